"""The pipeline contract: CLI messages and exit codes, every example in every format, and the
formats agreeing with each other on headings and tables."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import CASES, EXAMPLE, ROOT
from markdown_it import MarkdownIt

from generator.plain_text import WORD_JOINER

CORE = ["overlamning", "uppdragshandling", "kallelse-dialogmote", "anmodan-om-rattelse", "anmodan-om-rattelse-bilaga", "kontrollplan", "slutrapport",
        "protokoll-arendegenomgang", "prioritering", "grundutredning", "planeringsunderlag", "granskningslogg", "agenda-dialogmote",
        "lagesrapport", "kommunikationsplan"]
IN_CI = os.environ.get("CI") == "true"


def need(tool: str) -> None:
    """Tools the test setup installs: missing locally is a skip, missing in CI is a failure."""
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} is not installed; ./scripts/test should have installed it")
        pytest.skip(f"{tool} not installed")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every example case rendered once, in every format."""
    from click.testing import CliRunner

    from generator.cli import main

    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["render", *map(str, CASES), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def case_folder(out: Path) -> Path:
    return out / "FU-2026-014"


# --- the CLI contract -------------------------------------------------------------------------


def test_validate_reports_valid_case_and_its_documents(cli) -> None:
    result = cli("validate", EXAMPLE)
    assert result.exit_code == 0, result.output
    # the anmodan's confidential attachment is made with it, right after it
    in_catalogue_order = ("grundutredning, overlamning, prioritering, protokoll-arendegenomgang, uppdragshandling, "
                          "agenda-dialogmote, granskningslogg, kallelse-dialogmote, planeringsunderlag, kommunikationsplan, "
                          "lagesrapport, slutrapport, anmodan-om-rattelse, anmodan-om-rattelse-bilaga, kontrollplan")
    assert result.stdout == f"{EXAMPLE}: giltigt (15 dokument: {in_catalogue_order})\n"


def test_validate_reports_every_problem_at_once_with_file_and_line(cli, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("orgnr: 559123-4561", "orgnr: 559123-4562")
    text = text.replace("  svar_senast: 2026-04-08", "  svar_senast: 2026-04-20")
    case = tmp_path / "arende.yaml"
    case.write_text(text.replace("organisation: ../organisation.yaml", f"organisation: {ROOT / 'examples/organisation.yaml'}"), encoding="utf-8")
    lines = case.read_text(encoding="utf-8").splitlines()
    orgnr_line = next(i for i, line in enumerate(lines, 1) if "559123-4562" in line)
    reply_line = next(i for i, line in enumerate(lines, 1) if "svar_senast: 2026-04-20" in line)

    result = cli("validate", case)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{case}:{orgnr_line}: vardgivare.orgnr: ogiltigt organisationsnummer (kontrollsiffran stämmer inte)",
        f"{case}:{reply_line}: kallelse_dialogmote.svar_senast: sista svarsdag måste vara före mötesdagen",
        "2 fel hittades. Rätta dem och kör kommandot igen.",
    ]


def test_validate_per_document_requires_its_section(cli, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("kallelse_dialogmote:\n")
    end = text.index("anmodan_om_rattelse:\n")
    case = tmp_path / "arende.yaml"
    case.write_text(text[:start] + text[end:], encoding="utf-8")
    shutil.copy(ROOT / "examples/organisation.yaml", tmp_path.parent / "organisation.yaml")
    case.write_text(case.read_text(encoding="utf-8").replace("organisation: ../organisation.yaml", f"organisation: {ROOT / 'examples/organisation.yaml'}"), encoding="utf-8")

    assert cli("validate", case).exit_code == 0
    result = cli("validate", case, "-d", "kallelse-dialogmote")

    assert result.exit_code == 1
    first_key = next(i for i, line in enumerate(case.read_text(encoding="utf-8").splitlines(), 1) if line and not line.startswith("#"))
    assert result.stderr.splitlines() == [
        f"{case}:{first_key}: kallelse_dialogmote: fältet saknas men krävs",
        "1 fel hittades. Rätta det och kör kommandot igen.",
    ]


def test_unknown_document_and_format_are_usage_errors(cli) -> None:
    result = cli("render", EXAMPLE, "-d", "kalelse-dialogmote")
    assert result.exit_code == 2
    assert "Menade du 'kallelse-dialogmote'?" in result.stderr

    result = cli("render", EXAMPLE, "-f", "pdf,odt")
    assert result.exit_code == 2
    assert result.stderr == "Fel: okänt format: odt; välj bland pdf,docx,html,md\n"


def test_documents_lists_the_catalogue(cli) -> None:
    result = cli("documents")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Id", "Titel", "Avsnitt", "Målgrupp", "Version", "Giltig"]
    kallelse = next(line for line in lines if line.startswith("kallelse-dialogmote "))
    assert re.search(r"Kallelse till dialogmöte\s+3\.2\s+Extern\s+1\.0\s+från 2026-01-01$", kallelse)
    for doc in CORE:
        assert any(line.startswith(doc + " ") for line in lines), doc


def test_render_narrows_by_document_and_format(cli, tmp_path: Path) -> None:
    result = cli("render", EXAMPLE, "-d", "kallelse-dialogmote", "-f", "pdf,md", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "FU-2026-014"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == ["kallelse-dialogmote.md", "kallelse-dialogmote.pdf", "manifest.json"]
    assert result.stdout == f"FU-2026-014: 2 filer skrivna, 0 oförändrade i {folder.resolve()}\n"


def test_validate_does_not_import_weasyprint() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom generator.cli import main\n"
        f"r = CliRunner().invoke(main, ['validate', {str(EXAMPLE)!r}])\n"
        "assert r.exit_code == 0, r.output\nprint('weasyprint' in sys.modules, 'docx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False False"


def test_bundled_schemas_pass_cerberus_own_check() -> None:
    """`validate` trusts the bundled schemas instead of checking them at every start; this is that check."""
    import cerberus

    from generator.report.inputs import _schemas
    from generator.schema import Validator, case_schema, find_schema, schema_dirs
    from generator.templates import catalogue, template_dirs

    dirs = schema_dirs()
    for name, definition in (find_schema("definitioner", dirs) or {}).items():
        cerberus.schema_registry.add(name, definition)
    schemas = [case_schema(list(catalogue(tuple(template_dirs()))), set(), dirs), find_schema("organisation", dirs),
               *_schemas(tuple(template_dirs()), dirs).values()]
    for schema in schemas:
        assert schema
        Validator(schema)  # raises SchemaError with what is wrong


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the library search only starts processes on Linux")
def test_weasyprint_loads_without_starting_processes() -> None:
    """ctypes.util.find_library runs ldconfig, gcc and ld for every library name WeasyPrint tries;
    mallgen's import of WeasyPrint starts none of them, and WeasyPrint still works."""
    code = (
        "import subprocess\ncalls = []\nreal = subprocess.Popen.__init__\n"
        "def spy(self, *args, **kwargs):\n    calls.append(args)\n    real(self, *args, **kwargs)\n"
        "subprocess.Popen.__init__ = spy\n"
        "from generator.render import load_weasyprint\nload_weasyprint()\n"
        "from weasyprint import HTML\npdf = HTML(string='<p>Hej</p>').write_pdf()\nprint(len(calls), pdf[:5].decode())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["0", "%PDF-"]


# --- every example, every format ------------------------------------------------------------------


def test_render_writes_every_document_in_every_format_with_manifest(rendered: Path) -> None:
    folder = case_folder(rendered)
    for doc in CORE:
        for ext in ("pdf", "docx", "html", "md"):
            assert (folder / f"{doc}.{ext}").stat().st_size > 500, f"{doc}.{ext}"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["arende"] == "FU-2026-014"
    assert manifest["diarienummer"] == "HSN 2026-00123"
    assert manifest["data"].startswith("sha256:")
    assert set(manifest["dokument"]) == set(CORE)
    assert manifest["dokument"]["kallelse-dialogmote"]["version"] == "1.0"
    import hashlib

    for name, digest in manifest["filer"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def markdown_structure(text: str) -> tuple[list[tuple[int, str]], list[list[str]]]:
    """Headings (level, text) and table header rows, from our Markdown."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings, tables = [], []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            headings.append((int(token.tag[1]), _inline_text(tokens[i + 1])))
        if token.type == "thead_open":
            row, j = [], i
            while tokens[j].type != "thead_close":
                if tokens[j].type == "th_open":
                    row.append(_inline_text(tokens[j + 1]))
                j += 1
            tables.append(row)
    return headings, tables


def _inline_text(token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline")).strip()


def docx_structure(path: Path) -> tuple[list[tuple[int, str]], list[list[str]]]:
    document = docx.Document(str(path))
    headings = [(int(p.style.name.split()[-1]), p.text.strip()) for p in document.paragraphs if p.style.name.startswith("Heading")]
    tables = [[cell.text.strip() for cell in table.rows[0].cells] for table in document.tables]
    return headings, tables


@pytest.mark.parametrize("doc", CORE)
def test_docx_and_markdown_have_the_same_headings_and_tables(rendered: Path, doc: str) -> None:
    folder = case_folder(rendered)
    md_headings, md_tables = markdown_structure((folder / f"{doc}.md").read_text(encoding="utf-8"))
    docx_headings, docx_tables = docx_structure(folder / f"{doc}.docx")
    assert md_headings, "every document has headings"
    assert [h for h in md_headings if h[0] == 1] == [md_headings[0]], "exactly one H1, first"
    assert docx_headings == md_headings
    assert docx_tables == md_tables


@pytest.mark.parametrize("doc", CORE)
def test_html_and_pdf_carry_the_same_headings(rendered: Path, doc: str) -> None:
    need("pdftotext")
    folder = case_folder(rendered)
    md_headings, _ = markdown_structure((folder / f"{doc}.md").read_text(encoding="utf-8"))
    html = (folder / f"{doc}.html").read_text(encoding="utf-8")
    html_headings = [(int(level), re.sub(r"<[^>]+>", "", text).strip()) for level, text in re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", html, re.S)]
    import html as html_lib

    assert [(lvl, html_lib.unescape(t)) for lvl, t in html_headings] == md_headings
    text = subprocess.run(["pdftotext", "-layout", str(folder / f"{doc}.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    position = 0
    for _, heading in md_headings:
        found = flat.find(" ".join(heading.split()), position)
        assert found >= 0, f"{heading!r} missing or out of order in the PDF"
        position = found


def test_special_characters_print_literally_in_every_format(rendered: Path) -> None:
    folder = case_folder(rendered)
    name = "Vård & Omsorg <Nord> AB"
    paragraphs = docx.Document(str(folder / "kallelse-dialogmote.docx")).paragraphs
    recipient = next(p for p in paragraphs if p.text.strip() and p.style.name != "Brevhuvud")  # after page 1's letterhead
    assert name in recipient.text
    assert "Vård &amp; Omsorg &lt;Nord&gt; AB" in (folder / "kallelse-dialogmote.html").read_text(encoding="utf-8")
    md = (folder / "kallelse-dialogmote.md").read_text(encoding="utf-8")
    assert name in md.replace(WORD_JOINER, "")  # plain text, as read; the word joiner after '<' is invisible
    shown = MarkdownIt("commonmark", {"html": True}).render(md)  # a viewer that would render raw HTML shows it as text
    assert "<Nord>" not in shown and name in shown.replace(WORD_JOINER, "").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    if shutil.which("pdftotext"):
        pdf_text = subprocess.run(["pdftotext", str(folder / "kallelse-dialogmote.pdf"), "-"], capture_output=True, text=True, check=True).stdout
        assert name in pdf_text


def test_swedish_dates_and_letterhead(rendered: Path) -> None:
    folder = case_folder(rendered)
    md = (folder / "kallelse-dialogmote.md").read_text(encoding="utf-8")
    assert "Datum: 14 april 2026" in md  # the .md is plain text for e-mail: no ** around the label
    assert "Svar senast 8 april 2026" in md
    assert md.startswith("Region Norrsund – Hälso- och sjukvårdsförvaltningen (EXEMPEL – fiktiv region)  \nDiarienummer: HSN 2026-00123  \nDatum: 2026-03-30\n")
    document = docx.Document(str(folder / "kallelse-dialogmote.docx"))
    header = "\n".join(p.text for p in document.sections[0].header.paragraphs)
    assert "Diarienummer HSN 2026-00123" in header and "Datum 2026-03-30" in header
    footer_xml = document.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml and "Sida " in footer_xml


def test_pdf_is_pdf_a_with_embedded_fonts(rendered: Path) -> None:
    need("pdffonts")
    pdf = case_folder(rendered) / "kallelse-dialogmote.pdf"
    import pikepdf

    with pikepdf.open(pdf) as document:
        xmp = document.open_metadata()
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "A")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Title:           Kallelse till dialogmöte – Fördjupad uppföljning av Vårdcentralen Norrsund Centrum" in info
    assert "Tagged:          yes" in info


@pytest.mark.office
def test_libreoffice_opens_every_docx(rendered: Path, tmp_path: Path) -> None:
    need("soffice")
    need("pdftotext")
    folder = case_folder(rendered)
    documents = [folder / f"{doc}.docx" for doc in CORE]
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, documents)], capture_output=True, check=True, timeout=300)
    for doc in CORE:
        converted = tmp_path / f"{doc}.pdf"
        assert converted.exists(), f"LibreOffice could not open {doc}.docx"
        text = " ".join(subprocess.run(["pdftotext", str(converted), "-"], capture_output=True, text=True, check=True).stdout.split())
        headings, _ = docx_structure(folder / f"{doc}.docx")
        for _, heading in headings:
            assert " ".join(heading.split()) in text, f"{doc}: {heading!r}"
        assert "Diarienummer HSN 2026-00123" in text
        assert re.search(r"Sida 1 \(\d+\)", text), f"{doc}: page numbers"


# --- packaging --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_ships_templates_and_schemas_and_runs_from_elsewhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    wheel = next(dist.glob("mallgen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("generator/mallar/kallelse-dialogmote/dokument.md", "generator/mallar/_layout/base.docx", "generator/schema/bas.yaml",
                   "generator/fonts/LiberationSans-Regular.ttf", "generator/examples/organisation.yaml", "generator/py.typed"):
        assert needed in names, needed
    assert not any(n.startswith("tests/") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    case = workdir / "arende.yaml"
    case.write_text(EXAMPLE.read_text(encoding="utf-8").replace("organisation: ../organisation.yaml\n", ""), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run([sys.executable, "-m", "generator.cli", "render", "arende.yaml", "-d", "kallelse-dialogmote", "-f", "pdf,docx"],
                         cwd=workdir, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (workdir / "output/FU-2026-014/kallelse-dialogmote.pdf").exists()
    assert str(ROOT) not in run.stdout + run.stderr
    # The handbook owner's check and the generated skeletons work from the installed package too:
    # samples, accepted texts, base samples and the report's example inputs ship in the wheel.
    check = subprocess.run([sys.executable, "-m", "generator.cli", "check"], cwd=workdir, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert " kontrollerade: 0 fel" in check.stdout
    new = subprocess.run([sys.executable, "-m", "generator.cli", "new", "lopande", "-o", "avtal.yaml"], cwd=workdir, env=env,
                         capture_output=True, text=True)
    assert new.returncode == 0, new.stderr
    assert (workdir / "mallgen.schema.json").is_file()


def test_markdown_in_free_text_fields_comes_out_right_in_every_format(rendered: Path) -> None:
    """The example's deviation A2 holds a link and a table, A1 bold text and a bulleted list."""
    folder = case_folder(rendered)
    html = (folder / "anmodan-om-rattelse.html").read_text(encoding="utf-8")
    assert '<a href="https://termbank.socialstyrelsen.se">Socialstyrelsens termbank</a>' in html
    assert "<strong>januari–mars 2026</strong>" in html
    assert "<li>Säkerställ läkarbemanning om minst 40 timmar per vecka.</li>" in html
    assert '<th scope="col">Besökstyp</th>' in html

    document = docx.Document(str(folder / "anmodan-om-rattelse.docx"))
    body = document.element.body
    links = body.findall(".//" + docx.oxml.ns.qn("w:hyperlink"))
    link = next(h for h in links if "Socialstyrelsens termbank" in "".join(t.text or "" for t in h.iter(docx.oxml.ns.qn("w:t"))))
    assert document.part.rels[link.get(docx.oxml.ns.qn("r:id"))].target_ref == "https://termbank.socialstyrelsen.se"
    bold = [run.text for p in document.paragraphs for run in p.runs if run.bold]
    assert "januari–mars 2026" in bold
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "Säkerställ läkarbemanning om minst 40 timmar per vecka." in bullets
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Besökstyp")
    assert [c.text for c in table.rows[1].cells] == ["Fysiskt besök", "98", "67"]

    pdf = folder / "anmodan-om-rattelse.pdf"
    import pikepdf

    with pikepdf.open(pdf) as document_pdf:
        uris = [str(a.A.URI) for page in document_pdf.pages for a in page.get("/Annots", []) if "/A" in a and "/URI" in a.A]
    assert "https://termbank.socialstyrelsen.se" in uris
