"""The Word document looks like the PDF: lists keep their numbers, tables are readable (columns as
wide as their words, no date or word broken, rows that do not split, a header row on every page),
the decision and secrecy boxes have their borders, headings and letterhead the profile's colour,
and the footer says what the PDF's does."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from conftest import EXAMPLES
from docx.oxml.ns import qn
from test_letters import example, flat, invoke, many_records, pdf_pages, write

from generator.markdown_docx import CELL_PADDING, TABLE_FONT_SIZE, add_markdown, text_width
from generator.resources import bundled

CASE_ID = "FU-2026-014"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def soffice_pdfs(files: list[Path], folder: Path) -> dict[str, list[str]]:
    """Each DOCX as LibreOffice lays it out: the text of every page, table rows on one line each."""
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None or shutil.which("pdftotext") is None:
        pytest.skip("soffice or pdftotext is not installed")
    subprocess.run([binary, f"-env:UserInstallation={(folder / 'profil').as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *map(str, files)], capture_output=True, timeout=600, check=True)
    pages = {}
    for path in files:
        text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(folder / f"{path.stem}.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        pages[path.stem] = [page for page in text.split("\f") if page.strip()]
    return pages


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example case in a region whose colour is not the example's, with 40 more patient records
    in the anmodan's confidential attachment (its table runs over several pages)."""
    folder = tmp_path_factory.mktemp("docx")
    profile = folder / "organisation.yaml"
    profile.write_text((EXAMPLES / "organisation.yaml").read_text(encoding="utf-8").replace("farg: '#1d4f73'", "farg: '#7a1f5c'"),
                       encoding="utf-8")
    data = example()
    data["organisation"] = str(profile)
    data["anmodan_om_rattelse"]["journalposter"] += many_records(40)
    result = invoke("render", write(folder / "arende.yaml", data), "-f", "docx,pdf,html", "-o", folder / "ut")
    assert result.exit_code == 0, result.output
    return folder / "ut" / CASE_ID


# --- lists -------------------------------------------------------------------------------------------

LISTS = """1. Första punkten
   1. första underpunkten
   2. andra underpunkten
2. Andra punkten

   Ett stycke till i andra punkten.
3. Tredje punkten
   1. ny underpunkt

Ett stycke mellan listorna.

4. En egen lista som börjar på 4
"""


def _numbered(markdown: str) -> list[tuple[str, str, int | None, int | None]]:
    """(style, text, numId, start of that numbering) of each paragraph."""
    document = docx.Document(str(bundled("mallar") / "_layout" / "base.docx"))
    add_markdown(document, document, markdown)
    buffer = io.BytesIO()
    document.save(buffer)
    reread = docx.Document(io.BytesIO(buffer.getvalue()))
    numbering = reread.part.numbering_part.element
    rows = []
    for paragraph in reread.paragraphs:
        if not paragraph.text:
            continue
        num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
        num_id = num_pr.numId.val if num_pr is not None and num_pr.numId is not None else None
        start = None
        if num_id is not None:
            num = numbering.num_having_numId(num_id)
            override = num.find(f"{W}lvlOverride/{W}startOverride")
            start = int(override.get(qn("w:val"))) if override is not None else None
        rows.append((paragraph.style.name, paragraph.text, num_id, start))
    return rows


def test_every_ordered_list_counts_from_its_own_start_nested_ones_too() -> None:
    rows = _numbered(LISTS)
    by_text = {text: (style, num, start) for style, text, num, start in rows}
    outer = by_text["Första punkten"][1]
    assert by_text["Andra punkten"][1] == by_text["Tredje punkten"][1] == outer
    assert by_text["Ett stycke till i andra punkten."] == ("List Continue", None, None)  # continues item 2, no number
    first, second = by_text["första underpunkten"], by_text["ny underpunkt"]
    assert first[0] == second[0] == "List Number 2"
    assert by_text["andra underpunkten"][1] == first[1]
    assert first[1] != second[1] and first[2] == second[2] == 1  # the second nested list starts at 1 again
    assert by_text["En egen lista som börjar på 4"][1:] != (outer, None) and by_text["En egen lista som börjar på 4"][2] == 4


@pytest.mark.office
def test_lists_number_in_libreoffice_as_in_the_pdf(tmp_path: Path) -> None:
    document = docx.Document(str(bundled("mallar") / "_layout" / "base.docx"))
    add_markdown(document, document, LISTS)
    document.save(str(tmp_path / "listor.docx"))
    lines = [" ".join(line.split()) for line in soffice_pdfs([tmp_path / "listor.docx"], tmp_path)["listor"][0].splitlines()]
    start = lines.index("1. Första punkten")
    assert [line for line in lines[start:] if line][:9] == [
        "1. Första punkten", "1. första underpunkten", "2. andra underpunkten", "2. Andra punkten", "Ett stycke till i andra punkten.",
        "3. Tredje punkten", "1. ny underpunkt", "Ett stycke mellan listorna.", "4. En egen lista som börjar på 4"]


# --- tables ------------------------------------------------------------------------------------------


def _control_plan_table(folder: Path) -> docx.table.Table:
    document = docx.Document(str(folder / "kontrollplan.docx"))
    return next(t for t in document.tables if t.rows[0].cells[0].text == "Vad")


def test_the_control_plans_six_columns_fit_their_words(rendered: Path) -> None:
    table = _control_plan_table(rendered)
    widths = [column.width for column in table.columns]
    section = docx.Document(str(bundled("mallar") / "_layout" / "base.docx")).sections[0]
    page = section.page_width - section.left_margin - section.right_margin
    assert abs(sum(widths) - page) < page * 0.01
    for c, width in enumerate(widths):
        for r, row in enumerate(table.rows):
            for word in row.cells[c].text.split():
                assert text_width(word, TABLE_FONT_SIZE, bold=r == 0) + CELL_PADDING <= width, (word, c)
    dates = table.rows[1].cells[5]._tc.xml
    assert dates.count("<w:noBreakHyphen/>") == 10  # five dates, two hyphens each: never broken at a hyphen
    assert table.rows[1].cells[5].text == "2026-08-05, 2026-09-05, 2026-10-05, 2026-11-05, 2026-12-05"


def test_table_rows_do_not_split_and_header_rows_repeat(rendered: Path) -> None:
    for name in ("kontrollplan", "anmodan-om-rattelse-bilaga", "slutrapport"):
        for table in docx.Document(str(rendered / f"{name}.docx")).tables:
            rows = table._tbl.findall(f"{W}tr")
            assert all(row.find(f"{W}trPr/{W}cantSplit") is not None for row in rows), name
            assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None, name


@pytest.mark.office
def test_in_libreoffice_no_word_breaks_and_the_header_repeats(rendered: Path, tmp_path: Path) -> None:
    pages = soffice_pdfs([rendered / "kontrollplan.docx", rendered / "anmodan-om-rattelse-bilaga.docx"], tmp_path)
    text = flat("\n".join(pages["kontrollplan"]))
    for row in _control_plan_table(rendered).rows:
        for cell in row.cells:
            for word in cell.text.split():
                assert re.search(rf"(^|\s){re.escape(word)}(\s|$)", text), f"'{word}' is broken over two lines"
    assert "tjänstgöringsschema" not in text.replace("tjänstgöringsscheman", "")
    attachment = pages["anmodan-om-rattelse-bilaga"]
    assert len(attachment) >= 2, "the test needs a table over several pages"
    for number, page in enumerate(attachment, 1):
        assert "Nr Patient Besöksdatum Det här ska rättas" in flat(page), f"page {number} has no header row"


# --- boxes, colour, footer ---------------------------------------------------------------------------


def _borders(p_pr) -> dict[str, tuple[str, str]]:
    borders = p_pr.find(f"{W}pBdr") if p_pr is not None else None
    return {child.tag.removeprefix(W): (child.get(qn("w:sz")), child.get(qn("w:color"))) for child in (borders if borders is not None else [])}


def test_the_decision_and_secrecy_boxes_have_their_borders(rendered: Path) -> None:
    plan = docx.Document(str(rendered / "kontrollplan.docx"))
    decision = plan.styles["Beslut"].element.pPr
    assert _borders(decision) == {side: ("8", "7A1F5C") for side in ("top", "left", "bottom", "right")}
    assert [p.text for p in plan.paragraphs if p.style.name == "Beslut"] == \
        ["Hälso- och sjukvårdsnämnden fastställde kontrollplanen 16 juni 2026, § 87."]
    secrecy = docx.Document(str(rendered / "anmodan-om-rattelse-bilaga.docx"))
    assert _borders(secrecy.styles["Sekretess"].element.pPr) == {side: ("16", "1A1A1A") for side in ("top", "left", "bottom", "right")}
    assert [p.style.name for p in secrecy.paragraphs if p.style.name != "Brevhuvud"][0] == "Sekretess"  # first after the letterhead
    # a numbered list inside the decision box is inside the box: same borders, same indent
    report = docx.Document(str(rendered / "slutrapport.docx"))
    box = [p for p in report.paragraphs if p.style.name in ("Beslut", "List Number") and p.text]
    assert [p.style.name for p in box] == ["Beslut", "Beslut", "List Number", "List Number", "List Number"]
    for paragraph in box[2:]:
        assert _borders(paragraph._p.pPr) == _borders(report.styles["Beslut"].element.pPr)
        assert paragraph.paragraph_format.left_indent == report.styles["Beslut"].paragraph_format.left_indent


def test_headings_and_letterhead_have_the_profiles_colour(rendered: Path) -> None:
    document = docx.Document(str(rendered / "kallelse-dialogmote.docx"))
    for name in ("Heading 1", "Heading 2", "Heading 3", "Regionnamn"):
        assert str(document.styles[name].font.color.rgb) == "7A1F5C", name
    region = next(r for p in document.sections[0].header.paragraphs for r in p.runs if r.text == "Region Norrsund")
    assert region.style.name == "Regionnamn"
    assert "--accent: #7a1f5c;" in (rendered / "kallelse-dialogmote.html").read_text(encoding="utf-8")  # the PDF's colour
    head = docx.Document(str(rendered / "slutrapport.docx")).styles["Tjänsteskrivelse"].element.pPr
    assert _borders(head) == {"left": ("24", "7A1F5C")}


def test_the_footer_says_what_the_pdfs_says(rendered: Path) -> None:
    document = docx.Document(str(rendered / "kallelse-dialogmote.docx"))
    footer = [p.text for p in document.sections[0].footer.paragraphs]
    address = "Region Norrsund · Box 1000, 999 01 Norrsund · Tel 0999-10 00 00 · www.regionnorrsund.example"
    assert footer == [f"{address}\tSida 1 (1)", "Mall kallelse-dialogmote version 1.0"]  # page fields as last computed
    pdf = [line.strip() for line in pdf_pages(rendered / "kallelse-dialogmote.pdf")[0].splitlines()]
    assert address in pdf and "Mall kallelse-dialogmote version 1.0" in pdf and "Sida 1 (2)" in pdf
