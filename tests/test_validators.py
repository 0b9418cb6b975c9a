"""Every example output checked by independent validators from PyPI, not by our own reading of the standards.

- PDF: `page-validation` (page.validate_pdf) against the PDF/A part the file declares and against
  PDF/UA-1, which every PDF declares too: zero failed rules.
- DOCX and XLSX: `openxml-audit` (the Open XML SDK rule set) under the Microsoft 365 profile: zero errors.

The documents are whatever the examples produce (the session fixture `example_outputs` renders every
example under examples/ once), so a new template or example is validated as soon as it exists.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import page
import pikepdf
import pydyf
import pytest
import yaml
from conftest import EXAMPLES, ExampleOutputs, example_case_files
from lxml import etree
from openxml_audit import FileFormat, OpenXmlValidator, ValidationSeverity

from generator.pdfa import ambiguous, compress_streams

XMP = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
       "pdfuaid": "http://www.aiim.org/pdfua/ns/id/"}


def _declared(pdf_path: Path) -> tuple[str, str]:
    """(PDF/A profile as page names it, e.g. "2a"; PDF/UA part) from the file's XMP."""
    with pikepdf.open(pdf_path) as pdf:
        root = etree.fromstring(pdf.Root.Metadata.read_bytes())

    def value(prefix: str, name: str) -> str:
        for description in root.iter(f"{{{XMP['rdf']}}}Description"):
            text = description.get(f"{{{XMP[prefix]}}}{name}") or description.findtext(f"{prefix}:{name}", namespaces=XMP)
            if text:
                return text
        return ""

    return value("pdfaid", "part") + value("pdfaid", "conformance").lower(), value("pdfuaid", "part")


def pdf_findings(path: Path) -> list[str]:
    """Every failed rule of the declared PDF/A profile and of PDF/UA-1, as `profile RULE: message`."""
    pdfa, ua = _declared(path)
    assert pdfa and ua == "1", f"declares PDF/A {pdfa or 'nothing'} and PDF/UA {ua or 'nothing'}; both are required"
    findings = []
    for profile in (pdfa, "ua1"):
        report = page.validate_pdf(path, profile=profile)
        assert report.rules.total > 0, f"{profile}: no rule was checked"
        findings += [f"{profile} {f.rule_id}: {f.message}" for f in report.failures]
    return findings


_OPENXML = OpenXmlValidator(file_format=FileFormat.MICROSOFT_365, max_errors=0)


def openxml_errors(path: Path) -> list[str]:
    """Every error the Open XML SDK rule set finds under the Microsoft 365 profile."""
    return [str(e) for e in _OPENXML.validate(path).errors if e.severity == ValidationSeverity.ERROR]


def _all_clean(paths: list[Path], findings: type[object] | object) -> None:
    assert callable(findings)
    problems = {path: findings(path) for path in paths}
    rules = Counter(item.split(":")[0] for found in problems.values() for item in found)
    listing = "\n".join(f"{path.parent.name}/{path.name}:\n  " + "\n  ".join(found) for path, found in problems.items() if found)
    assert not listing, f"findings per rule: {dict(rules)}\n{listing}"


def test_the_examples_produce_documents_to_validate(example_outputs: ExampleOutputs) -> None:
    # Every case file with a document section and every report folder: nothing is left out silently.
    assert example_case_files(), "no example case file holds data for a document"
    for extension in ("pdf", "docx", "html", "md"):
        assert example_outputs.files(extension), f"the examples produced no {extension}"
    assert len(example_outputs.files("pdf")) == len(example_outputs.files("docx")) == len(example_outputs.files("html"))


def test_every_pdf_is_pdfa_and_pdfua_by_page_validation(example_outputs: ExampleOutputs) -> None:
    _all_clean(example_outputs.files("pdf"), pdf_findings)


def test_every_docx_passes_openxml_audit_for_microsoft_365(example_outputs: ExampleOutputs) -> None:
    _all_clean(example_outputs.files("docx"), openxml_errors)


def test_every_xlsx_passes_openxml_audit_for_microsoft_365(example_outputs: ExampleOutputs) -> None:
    _all_clean(example_outputs.files("xlsx"), openxml_errors)


@pytest.fixture(scope="module")
def pdfs_a1b(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The example cases' PDFs again, with a profile that asks for PDF/A-1b."""
    from click.testing import CliRunner

    from generator.cli import main

    folder = tmp_path_factory.mktemp("a1b")
    profile = yaml.safe_load((EXAMPLES / "organisation.yaml").read_text(encoding="utf-8"))
    profile["arkiv"] = {"pdf": "pdf/a-1b"}
    (folder / "organisation.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    for index, path in enumerate(example_case_files()):
        args = ["render", path, "-f", "pdf", "--organisation", folder / "organisation.yaml", "-o", folder / "ut" / str(index)]
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return sorted((folder / "ut").rglob("*.pdf"))


def test_every_pdf_a1b_is_also_pdfua(pdfs_a1b: list[Path]) -> None:
    assert pdfs_a1b and all(_declared(path) == ("1b", "1") for path in pdfs_a1b)
    _all_clean(pdfs_a1b, pdf_findings)


# --- the validators can fail ----------------------------------------------------------------------


def test_page_validation_finds_an_untagged_pdf_without_language(example_outputs: ExampleOutputs, tmp_path: Path) -> None:
    with pikepdf.open(example_outputs.files("pdf")[0]) as pdf:
        pdf.Root.MarkInfo.Marked = False
        del pdf.Root["/Lang"]
        pdf.save(tmp_path / "otaggad.pdf")
    findings = pdf_findings(tmp_path / "otaggad.pdf")
    assert any(f.startswith("2a ") and "TAGGED" in f for f in findings)
    assert any(f.startswith("ua1 ") and "LANGUAGE" in f for f in findings)


def test_openxml_audit_finds_an_element_out_of_place(example_outputs: ExampleOutputs, tmp_path: Path) -> None:
    source = example_outputs.files("docx")[0]
    broken = tmp_path / "trasig.docx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(broken, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "word/document.xml":  # a run directly in the body, outside any paragraph
                data = data.replace(b"<w:body>", b"<w:body><w:r><w:t>fel</w:t></w:r>", 1)
            new.writestr(item, data)
    assert openxml_errors(broken)


# --- streams no reader can misread ----------------------------------------------------------------


def _ends_in_cr_when_compressed() -> bytes:
    """Content whose zlib stream ends in CR (the low byte of its Adler-32 checksum is 13)."""
    for n in range(256):  # each "q " adds 145 to the checksum's low sum: every residue mod 256 comes up
        data = b"q " * n + b"Q"
        if zlib.compress(data, 9).endswith(b"\r"):
            return data
    raise AssertionError("no such content found")


def test_a_stream_that_would_end_in_cr_is_written_as_hex() -> None:
    data = _ends_in_cr_when_compressed()
    pdf = pydyf.PDF()
    stream = pydyf.Stream([data])
    pdf.add_object(stream)
    plain = pydyf.Stream([b"q Q"])
    pdf.add_object(plain)
    compress_streams(pdf)
    assert stream.extra["Filter"] == ["/ASCIIHexDecode", "/FlateDecode"] and plain.extra["Filter"] == "/FlateDecode"
    out = io.BytesIO()
    pdf.write(out)
    assert not ambiguous(out.getvalue())
    with pikepdf.open(io.BytesIO(out.getvalue())) as reread:
        assert reread.get_object(stream.number, 0).read_bytes() == data
        assert reread.get_object(plain.number, 0).read_bytes() == b"q Q"


# --- Word-native DOCX -----------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _word_native_problems(path: Path) -> list[str]:
    """What keeps Word 365 from treating the file as its own: compatibility mode, separators, app.xml, empty runs."""
    problems = []
    with zipfile.ZipFile(path) as package:
        settings = etree.fromstring(package.read("word/settings.xml"))
        app = etree.fromstring(package.read("docProps/app.xml"))
        parts = {name: etree.fromstring(package.read(name)) for name in package.namelist()
                 if name.startswith("word/") and name.endswith(".xml")}
    modes = [s.get(f"{{{W}}}val") for s in settings.iter(f"{{{W}}}compatSetting") if s.get(f"{{{W}}}name") == "compatibilityMode"]
    if modes != ["15"]:
        problems.append(f"compatibilityMode {modes}, not 15 (Word shows 'Kompatibilitetsläge')")
    for name, value in (("decimalSymbol", ","), ("listSeparator", ";")):
        found = settings.find(f"{{{W}}}{name}")
        if found is None or found.get(f"{{{W}}}val") != value:
            problems.append(f"{name} is not {value!r}")
    application = app.findtext("{*}Application") or ""
    if not application.startswith("mallgen"):
        problems.append(f"app.xml names {application!r} as the application")
    for name, root in parts.items():
        for run in root.iter(f"{{{W}}}r"):
            content = [child for child in run if etree.QName(child).localname != "rPr"]
            if all(etree.QName(c).localname == "t" and not c.text for c in content):
                problems.append(f"{name}: an empty run")
                break
    return problems


def test_every_docx_is_word_native(example_outputs: ExampleOutputs) -> None:
    _all_clean(example_outputs.files("docx"), _word_native_problems)


def test_the_shared_letterhead_is_word_native() -> None:
    from generator.resources import bundled

    assert _word_native_problems(bundled("mallar") / "_layout" / "base.docx") == []
