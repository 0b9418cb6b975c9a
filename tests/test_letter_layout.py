"""How a letter reads in every format, as its recipient opens it: Markdown fields rendered (also
inside a numbered agenda item), a Teams link that is a link, no trace of missing contact details, a
signature that never starts a page alone, and an e-mail text without Markdown's markup."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import pikepdf
import pytest
from conftest import ExampleOutputs
from test_letters import example, flat, invoke, pdf_pages, write

from generator.leaks import docx_text, html_text

CASE_ID = "FU-2026-014"
CALL_IN = "kallelse-dialogmote"
TEAMS = ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ5ZTQ1ZjUtYTYxNy00ZDM1LWE0OTYtYTg4MzdjMDYzNmQ1%40thread.v2/0"
         "?context=%7b%22Tid%22%3a%22d1b0c2e4-1234-4abc-9def-0123456789ab%22%7d")
PURPOSE = ("Vi vill gå igenom **bemanningen** och [avtalets villkor](https://www.regionnorrsund.example/villkor).\n\n"
           "- schemat för **maj**\n- rekryteringen\n")


def render(tmp_path: Path, data: dict[str, Any], *documents: str, formats: str = "pdf,docx,html,md") -> Path:
    args: list[str | Path] = ["render", write(tmp_path / "arende.yaml", data), "-f", formats, "-o", tmp_path / "ut"]
    for document in documents:
        args += ["-d", document]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return tmp_path / "ut" / CASE_ID


@pytest.fixture(scope="module")
def teams_call_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A call-in to a Teams meeting, with a purpose written in Markdown, from an officer who gave no
    phone number, e-mail address or title."""
    data = example()
    data["kallelse_dialogmote"]["mote"]["plats"] = {"typ": "teams", "anslutning": TEAMS}
    data["kallelse_dialogmote"]["syfte"] = PURPOSE
    data["personer"]["handlaggare"] = {"namn": "Nguyễn Thị Lan"}
    return render(tmp_path_factory.mktemp("teams"), data, CALL_IN)


# --- Markdown fields -------------------------------------------------------------------------------


def test_a_markdown_field_inside_a_numbered_agenda_item_is_rendered(teams_call_in: Path) -> None:
    document = docx.Document(str(teams_call_in / f"{CALL_IN}.docx"))
    paragraphs = document.paragraphs
    purpose = next(p for p in paragraphs if p.text.startswith("Vi vill gå igenom"))
    assert purpose.text == "Vi vill gå igenom bemanningen och avtalets villkor."
    assert purpose.style.name == "List Continue"  # the item's second paragraph, without a number of its own
    assert [r.text for r in purpose.runs if r.bold] == ["bemanningen"]
    assert purpose._p.xpath("./w:hyperlink") and "avtalets villkor" in purpose._p.xpath("string(./w:hyperlink)")
    nested = [(p.style.name, p.text) for p in paragraphs if p.style.name.startswith("List Bullet 2")]
    assert nested == [("List Bullet 2", "schemat för maj"), ("List Bullet 2", "rekryteringen")]
    # the agenda keeps its six numbers in one list: the purpose does not start a new count
    items = [p for p in paragraphs if p.style.name == "List Number"]
    assert [p.text.split(" –")[0] for p in items] == ["Syfte med mötet", "Avtal och krav", "Genomgång av avvikelser",
                                                       "Vårdgivarens kommentarer", "Sammanfattning av krav på verksamheten", "Nästa steg"]
    assert len({p._p.pPr.numPr.numId.val for p in items}) == 1
    page = (teams_call_in / f"{CALL_IN}.html").read_text(encoding="utf-8")
    assert "Vi vill gå igenom <strong>bemanningen</strong> och <a href=\"https://www.regionnorrsund.example/villkor\">avtalets villkor</a>." in page
    for text in (flat("\n".join(pdf_pages(teams_call_in / f"{CALL_IN}.pdf"))), flat(docx_text((teams_call_in / f"{CALL_IN}.docx").read_bytes())),
                 flat(html_text(page)), (teams_call_in / f"{CALL_IN}.md").read_text(encoding="utf-8")):
        assert "**" not in text and "](" not in text and "\\" not in text
    pdf = flat("\n".join(pdf_pages(teams_call_in / f"{CALL_IN}.pdf")))
    assert "1. Syfte med mötet" in pdf and "Vi vill gå igenom bemanningen och avtalets villkor. ◦ schemat för maj ◦ rekryteringen 2. Avtal och krav" in pdf


# --- the Teams link ----------------------------------------------------------------------------------


def test_a_teams_link_is_a_link_in_every_format(teams_call_in: Path) -> None:
    label = "Anslut till mötet i Microsoft Teams"
    page = (teams_call_in / f"{CALL_IN}.html").read_text(encoding="utf-8")
    assert f'<strong>Anslutning:</strong> <a href="{TEAMS.replace("&", "&amp;")}">{label}</a>' in page
    with pikepdf.open(teams_call_in / f"{CALL_IN}.pdf") as pdf:
        uris = [str(a.A.URI) for p in pdf.pages for a in p.get("/Annots", []) if a.get("/Subtype") == "/Link" and "/A" in a]
    assert TEAMS in uris
    assert f"Anslutning: {label}" in [line.strip() for page in pdf_pages(teams_call_in / f"{CALL_IN}.pdf") for line in page.splitlines()]
    document = docx.Document(str(teams_call_in / f"{CALL_IN}.docx"))
    targets = {r.rId: r.target_ref for r in document.part.rels.values() if r.reltype.endswith("/hyperlink")}
    place = next(p for p in document.paragraphs if "Anslutning:" in p.text)
    links = place._p.xpath("./w:hyperlink")
    assert [targets[link.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")] for link in links] == [TEAMS]
    assert links[0].xpath("string(.)") == label
    markdown = (teams_call_in / f"{CALL_IN}.md").read_text(encoding="utf-8")
    assert f"Anslutning: {label} ({TEAMS})" in markdown


# --- contact details -------------------------------------------------------------------------------


def test_missing_contact_details_leave_no_trace(teams_call_in: Path) -> None:
    document = docx.Document(str(teams_call_in / f"{CALL_IN}.docx"))
    blocks = {p.style.name: p.text for p in document.paragraphs if p.style.name in ("Avsändare", "Signatur")}
    assert blocks == {
        "Signatur": "Nguyễn Thị Lan\nAvdelningen för avtalsuppföljning",
        "Avsändare": "Handläggare: Nguyễn Thị Lan\nAvdelningen för avtalsuppföljning, Hälso- och sjukvårdsförvaltningen",
    }
    markdown = (teams_call_in / f"{CALL_IN}.md").read_text(encoding="utf-8")
    assert "Nguyễn Thị Lan  \nAvdelningen för avtalsuppföljning\n\nHandläggare: Nguyễn Thị Lan  \n" \
           "Avdelningen för avtalsuppföljning, Hälso- och sjukvårdsförvaltningen\n\n" in markdown
    page = (teams_call_in / f"{CALL_IN}.html").read_text(encoding="utf-8")
    assert re.search(r'<div class="avsandare">\s*<p><strong>Handläggare:</strong> Nguyễn Thị Lan<br />\s*'
                     r"Avdelningen för avtalsuppföljning, Hälso- och sjukvårdsförvaltningen</p>", page)
    lines = [line.strip() for page in pdf_pages(teams_call_in / f"{CALL_IN}.pdf") for line in page.splitlines() if line.strip()]
    end = lines.index("Välkomna!")
    assert lines[end + 1:end + 6] == ["Nguyễn Thị Lan", "Avdelningen för avtalsuppföljning", "Handläggare: Nguyễn Thị Lan",
                                      "Avdelningen för avtalsuppföljning, Hälso- och sjukvårdsförvaltningen", "Kopia till"]


def test_a_signer_without_a_title_leaves_no_empty_line(tmp_path: Path) -> None:
    data = example()
    data["personer"]["teamledare"] = {"namn": "Johan Berg"}  # signs the anmodan for the team
    folder = render(tmp_path, data, "anmodan-om-rattelse", formats="docx,md")
    signature = next(p.text for p in docx.Document(str(folder / "anmodan-om-rattelse.docx")).paragraphs
                     if p.style.name == "Signatur" and p.text.startswith("Johan Berg"))
    assert signature == "Johan Berg\nTeamledare\nför teamet för fördjupad uppföljning"
    assert "Johan Berg  \nTeamledare  \nför teamet för fördjupad uppföljning\n" in (folder / "anmodan-om-rattelse.md").read_text(encoding="utf-8")


# --- the signature never starts a page alone -------------------------------------------------------

# The call-in with 0, 1, 2 … paragraphs more before its end: together they move the page break over
# every position of a page, so one of them would put the signature on a page of its own.
PADDING = range(0, 22)
PARAGRAPH = "Verksamheten ska inför mötet sammanställa bemanningen för varje vecka under våren och skicka den till oss."


def _padded(tmp_path: Path, formats: str) -> list[Path]:
    outputs = []
    for n in PADDING:
        data = example()
        data["kallelse_dialogmote"]["ovrigt"] = "\n\n".join(f"Stycke {i + 1}. {PARAGRAPH}" for i in range(n))
        outputs.append(render(tmp_path / str(n), data, CALL_IN, formats=formats) / f"{CALL_IN}.{formats}")
    return outputs


def _alone(pages: list[str]) -> bool:
    """The page that holds the signature has nothing of the letter before it."""
    page = next(p for p in pages if "Regionutvecklare\nAvdelningen för avtalsuppföljning" in p)
    return "Välkomna!" not in page


def test_the_signature_never_starts_a_page_alone_in_the_pdf(tmp_path: Path) -> None:
    pdfs = _padded(tmp_path, "pdf")
    counts = [len(pdf_pages(path)) for path in pdfs]
    assert len(set(counts)) > 1, "the paddings must move the letter's end over a page break"
    assert [n for n, path in zip(PADDING, pdfs, strict=True) if _alone(pdf_pages(path))] == []


@pytest.mark.office
def test_the_signature_never_starts_a_page_alone_in_word(tmp_path: Path) -> None:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("soffice is not installed")
    files = _padded(tmp_path, "docx")
    for path in files:  # keep-with-next, as Word and LibreOffice lay it out
        paragraphs = docx.Document(str(path)).paragraphs
        first = next(i for i, p in enumerate(paragraphs) if p.style.name == "Signatur")
        assert paragraphs[first - 1].paragraph_format.keep_with_next
    converted = tmp_path / "pdf"
    for n, path in zip(PADDING, files, strict=True):
        copy_to = tmp_path / "docx" / f"{n}.docx"
        copy_to.parent.mkdir(exist_ok=True)
        shutil.copy(path, copy_to)
    subprocess.run([binary, f"-env:UserInstallation={(tmp_path / 'profil').as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(converted), *sorted(map(str, (tmp_path / "docx").iterdir()))], capture_output=True, timeout=600, check=True)
    pages = {n: pdf_pages(converted / f"{n}.pdf") for n in PADDING}
    assert len({len(p) for p in pages.values()}) > 1, "the paddings must move the letter's end over a page break"
    assert [n for n, p in pages.items() if _alone(p)] == []


# --- the .md is plain text for e-mail ----------------------------------------------------------------


def test_every_markdown_output_is_plain_text_for_e_mail(example_outputs: ExampleOutputs) -> None:
    files = example_outputs.files("md")
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            assert not line.startswith(":::"), (path.name, line)
            assert not line.rstrip().endswith("\\"), (path.name, line)
        assert "**" not in text and "](" not in text, path.name
        assert not re.search(r"\\[<>*_#\[\]|&-]", text), path.name  # no Markdown escapes


def test_no_markdown_markup_reaches_a_reader_of_any_example(example_outputs: ExampleOutputs) -> None:
    """Every example document, every format: no literal **, [text](address) or backslash."""
    checked = 0
    for path in [*example_outputs.files("docx"), *example_outputs.files("html")]:
        text = docx_text(path.read_bytes()) if path.suffix == ".docx" else html_text(re.sub(r"(?s)<style>.*?</style>", "", path.read_text(encoding="utf-8")))
        for markup in ("**", "](", "\\"):
            assert markup not in text, (path.name, markup)
        checked += 1
    for path in example_outputs.files("pdf"):
        text = "\n".join(pdf_pages(path))
        assert "**" not in text and "](" not in text and "\\" not in text, path.name
        checked += 1
    assert checked >= 30
