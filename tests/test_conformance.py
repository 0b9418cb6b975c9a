"""Archival and accessibility conformance of every example document, in every format.

PDF: PDF/A identification, fonts, output intent, forbidden features, the tag tree (headings, lists,
tables, figures, artifacts) and the metadata, read back with pikepdf. DOCX: the WordprocessingML
(heading styles, language, core properties, header rows, alt text, no text boxes or empty paragraphs),
and LibreOffice must open it. HTML: structure read with lxml, then axe-core in headless Chromium.

The examples are whatever `mallgen render` makes of examples/arenden/fordjupad-vardcentral.yaml, so a
new template is checked as soon as the example holds data for it. While the example still has sections
whose template is missing, a copy without those sections is used. Routine follow-up adds a team file
and a routine case of examples/rapport (ROUTINE_EXAMPLES).

Tests that need soffice, pdftotext, Chromium or axe-core skip when the tool is missing, but fail in CI
(CI=true), where scripts/test installs them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import select
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE, EXAMPLES, ROOT
from lxml import etree
from lxml import html as lxml_html

from generator.cli import main
from generator.schema import case_schema, schema_dirs, section_key
from generator.templates import DocumentTemplate, catalogue, template_dirs

ORGANISATION = EXAMPLES / "organisation.yaml"
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe's best-practice rules for what the issue asks beyond WCAG's letter: landmarks, one h1, heading order.
AXE_STRUCTURE_RULES = [
    "region", "landmark-one-main", "landmark-no-duplicate-banner", "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-main", "landmark-banner-is-top-level", "landmark-contentinfo-is-top-level",
    "landmark-main-is-top-level", "page-has-heading-one", "heading-order", "empty-heading", "empty-table-header",
]


def _require(tool: str, found: bool, hint: str) -> None:
    """Missing tool: a failure in CI, where scripts/test installs it; a skip on a developer's machine."""
    if found:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{tool} is missing in CI: {hint}")
    pytest.skip(f"{tool} is not installed ({hint})")


# --- the example documents ------------------------------------------------------------------------

REPORT = EXAMPLES / "rapport"  # the yearly report's inputs (`mallgen report`)


@dataclass(frozen=True)
class Doc:
    """One rendered example document: its folder, file name without extension, and template."""

    folder: Path
    stem: str
    template: DocumentTemplate

    def path(self, extension: str) -> Path:
        return self.folder / f"{self.stem}.{extension}"

    @property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        return data


def _example_data() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _case_file(folder: Path) -> Path:
    """The example itself when it validates, else a copy without sections whose template is still missing."""
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE)])
    if result.exit_code == 0:
        return EXAMPLE
    known = _known_sections()
    data = {key: value for key, value in _example_data().items() if key in known}
    data["organisation"] = str(ORGANISATION)
    trimmed = folder / EXAMPLE.name
    trimmed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return trimmed


def _run(*args: str | Path) -> Path:
    """`mallgen ARGS -o OUT`; returns the one folder written into OUT (the last argument)."""
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in Path(args[-1]).iterdir() if p.is_dir()]
    return folder


# Routine follow-up: a team file (its four documents, the traffic-light assessment among them) and
# a routine case (a letter with a draft marking and indicator tables).
ROUTINE_EXAMPLES = (REPORT / "team" / "vardval-vardcentral.yaml", REPORT / "arenden" / "vc-hamnen.yaml")


def _other_cases() -> list[Path]:
    """The example case files besides EXAMPLE that hold document sections. Not here: the yearly
    report's inputs (checked through the report and ROUTINE_EXAMPLES), and a case whose letters are
    made in several languages (`sprak`): their language tags, titles and right-to-left layout differ
    from what the checks below expect of a Swedish letter, and tests/test_documents_termination.py
    checks them."""
    from conftest import example_case_files

    def multilingual(path: Path) -> bool:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return any(isinstance(section, dict) and "sprak" in section for section in data.values())

    return [path for path in example_case_files() if path != EXAMPLE and REPORT not in path.parents and not multilingual(path)]


def _render_examples(out: Path, case: Path, *options: str) -> list[Path]:
    """Every example: the case files' documents, the routine ones, and the yearly report when its example exists."""
    folders = [_run("render", case, *options, "-o", out / "arende")]
    folders += [_run("render", other, *options, "-o", out / f"arende-{index}") for index, other in enumerate(_other_cases())]
    folders += [_run("render", path, *options, "-o", out / f"lopande-{index}") for index, path in enumerate(ROUTINE_EXAMPLES)]
    report = REPORT / "rapport.yaml"
    if report.is_file():
        year = str(yaml.safe_load(report.read_text(encoding="utf-8"))["rapport"]["ar"])
        folders.append(_run("report", "--year", year, REPORT, *options, "-o", out / "rapport"))
    return folders


def _documents(folders: list[Path]) -> list[Doc]:
    templates = catalogue(tuple(template_dirs(None)))
    docs = []
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for stem in manifest["dokument"]:
            if not any(name.startswith(f"{stem}.") and name.endswith((".pdf", ".html")) for name in manifest["filer"]):
                continue  # the report's figures as CSV and XLSX
            # A document is named after its template, or the template plus a part (one per team).
            template = max((t for t in templates.values() if stem == t.id or stem.startswith(t.id + "-")), key=lambda t: len(t.id))
            docs.append(Doc(folder, stem, template))
    return docs


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _case_file(tmp_path_factory.mktemp("case"))


@pytest.fixture(scope="module")
def docs(case: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    """All formats of every example document (the organisation profile's default: PDF/A-2a)."""
    return _documents(_render_examples(tmp_path_factory.mktemp("out"), case))


@pytest.fixture(scope="module")
def docs_a1b(case: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Doc]:
    """The PDFs again, with a copy of the organisation profile that asks for PDF/A-1b."""
    folder = tmp_path_factory.mktemp("a1b")
    profile = yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))
    profile["arkiv"] = {"pdf": "pdf/a-1b"}
    (folder / "organisation.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return _documents(_render_examples(folder, case, "-f", "pdf,html", "--organisation", str(folder / "organisation.yaml")))


def _each(docs: list[Doc], check: Callable[[Doc], None]) -> None:
    """Run a check on every document; report every document that fails, not just the first."""
    failures = []
    for doc in docs:
        try:
            check(doc)
        except AssertionError as exc:
            failures.append(f"{doc.stem}: {exc}")
    assert not failures, "\n".join(failures)


def test_every_example_document_is_checked(docs: list[Doc]) -> None:
    rendered = {(doc.folder.name, doc.stem) for doc in docs}
    for path in [EXAMPLE, *_other_cases()]:
        sections = yaml.safe_load(path.read_text(encoding="utf-8"))
        for doc_id, template in catalogue(tuple(template_dirs(None))).items():
            if template.source == "arende" and section_key(doc_id) in sections and section_key(doc_id) in _known_sections():
                assert (sections["arende"]["id"], doc_id) in rendered, f"{doc_id} is in {path.name} but was not rendered"
    for doc in docs:
        for extension in ("pdf", "docx", "html"):
            assert doc.path(extension).is_file(), doc.path(extension)


def _known_sections() -> set[str]:
    case_documents = [doc_id for doc_id, t in catalogue(tuple(template_dirs(None))).items() if t.source == "arende"]
    return set(case_schema(case_documents, set(), schema_dirs(None)))


def _expected(doc: Doc) -> dict[str, str]:
    """What the metadata must say: the page title, the authority, the diarienummer from the manifest."""
    profile = yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))
    title = (lxml_html.fromstring(doc.path("html").read_bytes()).findtext(".//title") or "").strip()
    assert title.startswith(f"{doc.template.title} – "), title
    return {
        "title": title,
        "author": f"{profile['region']}, {profile['forvaltning']}",
        "diarienummer": doc.manifest["diarienummer"],
    }


def _html_main(path: Path) -> Any:
    return lxml_html.fromstring(path.read_bytes()).find(".//main")


def _html_heading_levels(path: Path) -> list[int]:
    return [int(h.tag[1]) for h in _html_main(path).iter("h1", "h2", "h3", "h4", "h5", "h6")]


# --- PDF helpers ----------------------------------------------------------------------------------

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    "mallgen": "urn:mallgen:xmp:1.0/",
}
# Schemas PDF/A-1 and PDF/A-2 predefine; a property in any other namespace needs an extension schema.
PREDEFINED_XMP = {
    "http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/xap/1.0/", "http://ns.adobe.com/xap/1.0/rights/",
    "http://ns.adobe.com/xap/1.0/mm/", "http://ns.adobe.com/xap/1.0/bj/", "http://ns.adobe.com/xap/1.0/t/pg/",
    "http://ns.adobe.com/xmp/1.0/DynamicMedia/", "http://ns.adobe.com/pdf/1.3/", "http://ns.adobe.com/photoshop/1.0/",
    "http://ns.adobe.com/camera-raw-settings/1.0/", "http://ns.adobe.com/tiff/1.0/", "http://ns.adobe.com/exif/1.0/",
    "http://ns.adobe.com/exif/1.0/aux/", "http://www.aiim.org/pdfa/ns/id/", "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.aiim.org/pdfa/ns/extension/", "http://www.aiim.org/pdfa/ns/schema#",
    "http://www.aiim.org/pdfa/ns/property#", "http://www.aiim.org/pdfa/ns/type#", "http://www.aiim.org/pdfa/ns/field#",
}
STANDARD_TYPES = {
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index", "NonStruct", "Private",
    "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody", "Table", "TR", "TH", "TD", "THead", "TBody",
    "TFoot", "Span", "Quote", "Note", "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT", "RP",
    "Warichu", "WT", "WP", "Figure", "Formula", "Form",
}
TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}
PAINT_OPERATORS = {"Do", "sh", "f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "BI", "INLINE IMAGE"}


def _xmp(pdf: pikepdf.Pdf) -> Any:
    raw = pdf.Root.Metadata.read_bytes()
    assert raw.startswith(b"<?xpacket begin="), "the XMP packet has no xpacket header"
    return etree.fromstring(raw)


def _xmp_value(root: Any, prefix: str, name: str) -> str | None:
    """A simple XMP property, written as attribute or element; for Alt/Seq/Bag the first item."""
    qname = f"{{{NS[prefix]}}}{name}"
    for description in root.iter(f"{{{NS['rdf']}}}Description"):
        if qname in description.attrib:
            return str(description.attrib[qname])
        element = description.find(qname)
        if element is not None:
            item = element.find(".//rdf:li", NS)
            return (item if item is not None else element).text or ""
    return None


def _elements(node: Any, depth: int = 0) -> Iterator[tuple[Any, int]]:
    """Structure elements below a StructTreeRoot or StructElem, in document order."""
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid, depth
            yield from _elements(kid, depth + 1)


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    items = list(kids) if isinstance(kids, pikepdf.Array) else ([] if kids is None else [kids])
    return [k for k in items if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def _type(element: Any) -> str:
    return str(element.S)[1:]


def _tree(pdf: pikepdf.Pdf) -> list[tuple[Any, int]]:
    root = pdf.Root.get("/StructTreeRoot")
    assert root is not None, "the PDF has no structure tree (not tagged)"
    return list(_elements(root))


def _all_objects(pdf: pikepdf.Pdf) -> Iterator[Any]:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            yield obj


def _content_streams(pdf: pikepdf.Pdf, page: pikepdf.Page) -> Iterator[tuple[Any, Any]]:
    """(content, resources) of a page and of every form XObject it draws, recursively."""
    seen: set[tuple[int, int]] = set()

    def visit(content: Any, resources: Any) -> Iterator[tuple[Any, Any]]:
        yield content, resources
        for target, inner in _forms(content, resources, "Do"):
            if target.objgen not in seen:
                seen.add(target.objgen)
                yield from visit(target, inner)

    yield from visit(page, page.obj.get("/Resources"))


def _forms(content: Any, resources: Any, operators: str = "") -> Iterator[tuple[Any, Any]]:
    x_objects = resources.get("/XObject", {}) if resources is not None else {}
    for instruction in pikepdf.parse_content_stream(content, operators):
        if str(instruction.operator) == "Do":
            target = x_objects.get(instruction.operands[0])
            if target is not None and target.get("/Subtype") == "/Form":
                yield target, target.get("/Resources", resources)


def _marked_content(pdf: pikepdf.Pdf, page: pikepdf.Page) -> Iterator[tuple[list[Any], str]]:
    """For every operator: the stack of enclosing marked-content (tag, properties), and the operator.

    A form XObject's content is inside whatever marked content its `Do` is in (ISO 32000-1 14.6)."""

    def walk(content: Any, resources: Any, outer: list[Any], depth: int) -> Iterator[tuple[list[Any], str]]:
        stack = list(outer)
        x_objects = resources.get("/XObject", {}) if resources is not None else {}
        for instruction in pikepdf.parse_content_stream(content):
            operands, name = instruction.operands, str(instruction.operator)
            if name == "BMC":
                stack.append((str(operands[0]), None))
            elif name == "BDC":
                stack.append((str(operands[0]), operands[1] if isinstance(operands[1], pikepdf.Dictionary) else None))
            elif name == "EMC":
                stack.pop()
            yield list(stack), name
            if name == "Do" and depth < 10:
                target = x_objects.get(operands[0])
                if target is not None and target.get("/Subtype") == "/Form":
                    yield from walk(target, target.get("/Resources", resources), stack, depth + 1)

    yield from walk(page, page.obj.get("/Resources"), [], 0)


def _pdf_checks(path: Path, part: int, conformance: str) -> pikepdf.Pdf:
    """The PDF/A requirements the tests can check without a validator; returns the open file."""
    pdf = pikepdf.open(path)
    # Identification (ISO 19005-1 6.7.11, 19005-2 6.6.4): what the profile asked for.
    root = _xmp(pdf)
    assert _xmp_value(root, "pdfaid", "part") == str(part)
    assert _xmp_value(root, "pdfaid", "conformance") == conformance
    assert pdf.pdf_version == ("1.4" if part == 1 else "1.7")
    assert pdf.Root.Metadata.get("/Type") == "/Metadata" and pdf.Root.Metadata.get("/Subtype") == "/XML"
    if part == 1:
        assert "/Filter" not in pdf.Root.Metadata, "PDF/A-1 forbids a filtered metadata stream"
    # File structure: an ID, no encryption.
    assert len(pdf.trailer.ID) == 2 and "/Encrypt" not in pdf.trailer

    # Output intent (19005-1 6.2.2): one PDF/A intent with an embedded RGB ICC profile.
    intents = pdf.Root.OutputIntents
    assert len(intents) == 1 and intents[0].S == "/GTS_PDFA1"
    icc = intents[0].DestOutputProfile.read_bytes()
    assert icc[16:20] == b"RGB " and int(intents[0].DestOutputProfile.N) == 3
    assert str(intents[0].OutputConditionIdentifier)
    if part == 1:
        assert icc[8] < 4, "PDF/A-1 needs an ICC profile of version 2 or 3"

    # Info dictionary and XMP say the same (19005-1 6.7.3, 19005-2 6.6.2.3).
    info = pdf.docinfo
    for key, prefix, name in (
        ("/Title", "dc", "title"), ("/Author", "dc", "creator"), ("/Subject", "dc", "description"),
        ("/Keywords", "pdf", "Keywords"), ("/Creator", "xmp", "CreatorTool"), ("/Producer", "pdf", "Producer"),
    ):
        if key in info:
            assert _xmp_value(root, prefix, name) == str(info[key]), f"{key} differs between Info and XMP"
    for key, name in (("/CreationDate", "CreateDate"), ("/ModDate", "ModifyDate")):
        if key in info:
            xmp_date = _xmp_value(root, "xmp", name)
            assert xmp_date and str(info[key])[2:10] == xmp_date[:10].replace("-", "")
    # Every XMP property outside the predefined schemas is described by an extension schema.
    declared = {
        (s.findtext("pdfaSchema:namespaceURI", namespaces=NS), p.findtext("pdfaProperty:name", namespaces=NS))
        for s in root.iterfind(".//pdfaExtension:schemas/rdf:Bag/rdf:li", NS)
        for p in s.iterfind("pdfaSchema:property/rdf:Seq/rdf:li", NS)
    }
    for description in root.iter(f"{{{NS['rdf']}}}Description"):
        properties = [etree.QName(a) for a in description.attrib] + [etree.QName(c) for c in description]
        for qname in properties:
            if qname.namespace not in PREDEFINED_XMP:
                assert (qname.namespace, qname.localname) in declared, f"XMP property {qname} lacks an extension schema"

    # Fonts (19005-1 6.3, 19005-2 6.2.11): embedded, subset, Unicode-mapped.
    fonts = [o for o in _all_objects(pdf) if o.get("/Type") == "/Font"]
    assert fonts, "no fonts at all"
    for font in fonts:
        subtype = str(font.Subtype)
        assert subtype != "/Type3" or "/ToUnicode" in font
        if subtype == "/Type0":
            descendant = font.DescendantFonts[0]
            descriptor = descendant.FontDescriptor
            assert "/ToUnicode" in font, f"{font.BaseFont} has no ToUnicode map"
            if descendant.Subtype == "/CIDFontType2":
                assert "/CIDToGIDMap" in descendant
            if part == 1:
                assert "/CIDSet" in descriptor, "PDF/A-1 needs a CIDSet for a subset CID font"
        elif subtype in ("/TrueType", "/Type1", "/MMType1"):
            descriptor = font.FontDescriptor
        else:
            continue
        program = next((descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor), None)
        assert program is not None, f"font {font.BaseFont} is not embedded"
        assert re.fullmatch(r"/[A-Z]{6}\+.+", str(font.BaseFont)), f"font {font.BaseFont} is not marked as a subset"
        if "/FontFile2" in descriptor:
            from fontTools.ttLib import TTFont

            # WeasyPrint keeps glyph ids, so a subset has as many glyph slots as the font, but most are empty.
            glyf = TTFont(io.BytesIO(program.read_bytes()))["glyf"]
            drawn = sum(1 for name in glyf.glyphs if glyf[name].numberOfContours)
            assert drawn < 500, f"font {font.BaseFont} embeds {drawn} glyph outlines: not a subset"

    # Forbidden features, object by object.
    forbidden_actions = {"/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/JavaScript", "/Hide",
                         "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView"}
    for obj in _all_objects(pdf):
        assert "/JS" not in obj and "/JavaScript" not in obj and "/AA" not in obj
        assert str(obj.get("/S", "")) not in forbidden_actions or obj.get("/Type") == "/StructElem"
        group = obj.get("/Group")
        assert not (isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency"), "transparency group"
        if obj.get("/Subtype") == "/Image":
            assert "/Alternates" not in obj and "/OPI" not in obj and not obj.get("/Interpolate", False)
            assert "/SMask" not in obj or part > 1, "PDF/A-1 forbids soft masks (an image with transparency)"
        assert obj.get("/Subtype") != "/PS" and obj.get("/Subtype2") != "/PS", "PostScript XObject"
        if isinstance(obj, pikepdf.Stream):
            filters = obj.get("/Filter")
            names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)] if filters else []
            assert "/LZWDecode" not in names and "/F" not in obj
        if obj.get("/Type") == "/Annot":
            flags = int(obj.get("/F", 0))
            assert flags & 4 and not flags & (1 | 2 | 32), "annotation not printable or hidden"
            assert obj.get("/Subtype") not in ("/Sound", "/Movie", "/FileAttachment", "/3D")
    names = pdf.Root.get("/Names")
    assert names is None or ("/EmbeddedFiles" not in names and "/JavaScript" not in names)
    assert "/OCProperties" not in pdf.Root or part > 1
    for page in pdf.pages:
        # Graphics states: no soft mask, no constant alpha below 1, no blend mode but Normal, no transfer functions.
        for _content, resources in _content_streams(pdf, page):
            for state in (resources.get("/ExtGState", {}) if resources is not None else {}).values():
                assert state.get("/SMask", pikepdf.Name("/None")) == pikepdf.Name("/None")
                assert float(state.get("/CA", 1)) == 1 and float(state.get("/ca", 1)) == 1
                assert str(state.get("/BM", "/Normal")) in ("/Normal", "/Compatible")
                assert "/TR" not in state and "/HTP" not in state
        for _stack, operator in _marked_content(pdf, page):
            assert operator not in ("k", "K"), "DeviceCMYK colour without a CMYK output intent"
    return pdf


def _structure_checks(pdf: pikepdf.Pdf, html: Path) -> list[tuple[Any, int]]:
    """Tagged-PDF requirements shared by both profiles; the HTML of the same document is the reference."""
    assert pdf.Root.MarkInfo.Marked is True
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    tree = _tree(pdf)
    role_map = pdf.Root.StructTreeRoot.get("/RoleMap", {})
    for element, _depth in tree:
        kind = _type(element)
        assert kind in STANDARD_TYPES or f"/{kind}" in role_map, f"non-standard structure type {kind}"
    # Headings: exactly one H1, no skipped level, the same outline as the HTML of the same document.
    levels = [int(_type(e)[1]) for e, _ in tree if re.fullmatch(r"H[1-6]", _type(e))]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"skipped heading level: {levels}"
    assert levels == _html_heading_levels(html)
    # Lists: L holds LI (or a nested L), LI holds Lbl and LBody.
    main = _html_main(html)
    items = [e for e, _ in tree if _type(e) == "LI"]
    assert len(items) >= len(main.findall(".//li"))
    for element, _ in tree:
        if _type(element) == "L":
            assert _kids(element) and all(_type(k) in ("LI", "L", "Caption") for k in _kids(element))
        if _type(element) == "LI":
            assert {_type(k) for k in _kids(element)} <= {"Lbl", "LBody"} and "LBody" in {_type(k) for k in _kids(element)}
    # Tables: one Table per table of the page, also when it runs over a page break (the header repeated
    # on the next page is an artifact), starting with a header row of TH cells with a scope; every data
    # cell names its headers.
    tables = [e for e, _ in tree if _type(e) == "Table"]
    assert len(tables) == len(main.findall(".//table")), "a table split at a page break is still two Tables"
    for table in tables:
        cells = [e for e, _ in _elements(table)]
        sections = [_type(k) for k in _kids(table)]
        assert sections[0] == "THead", f"a table part without its header row: {sections}"
        header_ids = set()
        for cell in cells:
            if _type(cell) == "TH":
                assert cell.A.get("/Scope") in ("/Column", "/Row", "/Both"), "a header cell without /Scope"
                header_ids.add(bytes(cell.ID))
        assert header_ids, "a table without header cells"
        for cell in cells:
            if _type(cell) == "TD":
                headers = cell.A.get("/Headers")
                assert headers and {bytes(h) for h in headers} <= header_ids, "a data cell that names no header"
    # Links: an annotation in the tag tree (OBJR under Link) with a description (ISO 14289-1 7.18.5).
    linked = {
        kid.Obj.objgen for e, _ in tree if _type(e) == "Link" for kid in e.K
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
    }
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") == "/Link":
                assert str(annotation.get("/Contents", "")).strip(), "a link without a description"
                assert annotation.objgen in linked and "/StructParent" in annotation, "a link outside the tag tree"
    # Figures: alternative text on each; one per image with alt text and per chart (inline SVG with a title).
    figures = [e for e, _ in tree if _type(e) == "Figure"]
    for figure in figures:
        assert str(figure.get("/Alt", "")).strip(), "a Figure without alternative text"
    described = [img for img in main.iter("img") if img.get("alt", "").strip()]
    described += [svg for svg in main.iter("svg") if (svg.findtext("title") or "").strip()]
    assert len(figures) == len(described)
    return tree


def _content_ownership(pdf: pikepdf.Pdf) -> dict[int, int]:
    """Every piece of text is either real content owned by a structure element or an artifact.

    Returns the number of pagination-artifact text operators per page."""
    reachable = {e.objgen for e, _ in _tree(pdf)}
    parent_tree = pdf.Root.StructTreeRoot.ParentTree
    assert "/Nums" in parent_tree, "a parent tree with /Kids is not supported by this test"
    numbers = list(parent_tree.Nums)
    owners = {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}
    pagination: dict[int, int] = {}
    for index, page in enumerate(pdf.pages):
        mcids: set[int] = set()
        pagination[index] = 0
        for stack, operator in _marked_content(pdf, page):
            if not stack:
                assert operator not in TEXT_OPERATORS | PAINT_OPERATORS, f"untagged content ({operator}) on page {index + 1}"
                continue
            tag, properties = stack[-1]
            if any(t == "/Artifact" for t, _ in stack):
                artifact = next(p for t, p in stack if t == "/Artifact")
                if operator in TEXT_OPERATORS and artifact is not None and artifact.get("/Type") == "/Pagination":
                    pagination[index] += 1
                continue
            mcid = next((int(p.MCID) for _t, p in reversed(stack) if p is not None and "/MCID" in p), None)
            if operator in TEXT_OPERATORS | {"Do"}:
                assert mcid is not None, f"text on page {index + 1} is neither tagged nor an artifact"
                mcids.add(mcid)
        page_owners = owners[int(page.obj.StructParents)]
        for mcid in mcids:
            owner = page_owners[mcid]
            assert isinstance(owner, pikepdf.Dictionary) and owner.objgen in reachable, (
                f"page {index + 1}: marked content {mcid} belongs to no element of the structure tree"
            )
        for mcid, owner in enumerate(page_owners):
            if isinstance(owner, pikepdf.Dictionary):
                assert owner.objgen in reachable, f"page {index + 1}: the parent tree names an orphan element for {mcid}"
    return pagination


def _untagged_text(pdf_path: Path, tmp: Path) -> tuple[str, str]:
    """(all text, text without artifacts) via pdftotext: what a reader of the tags gets."""
    _require("pdftotext", shutil.which("pdftotext") is not None, "apt-get install poppler-utils")
    pdf = pikepdf.open(pdf_path)
    for page in pdf.pages:
        kept: list[Any] = []
        depth = 0
        for instruction in pikepdf.parse_content_stream(page):
            name = str(instruction.operator)
            if depth:
                depth += 1 if name in ("BMC", "BDC") else -1 if name == "EMC" else 0
                continue
            if name in ("BMC", "BDC") and str(instruction.operands[0]) == "/Artifact":
                depth = 1
                continue
            kept.append(instruction)
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))
    stripped = tmp / f"{pdf_path.stem}-utan-artefakter.pdf"
    pdf.save(stripped)

    def text(path: Path) -> str:
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout

    return text(pdf_path), text(stripped)


TAG_TEXT_BLOCKS = {"P", "H1", "H2", "H3", "H4", "H5", "H6", "LBody", "TD", "TH", "Caption"}


def _tag_text(pdf_path: Path) -> list[tuple[str, str]]:
    """(type, text) of every text block in the structure tree, its text as a reader of the tags gets it:
    the marked content of the element and everything below it, in logical order, joined as it is
    (poppler's `pdfinfo -struct-text`). List labels and figures (their alternative text speaks) are left out."""
    _require("pdfinfo", shutil.which("pdfinfo") is not None, "apt-get install poppler-utils")
    listing = subprocess.run(["pdfinfo", "-struct-text", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    blocks: list[tuple[str, list[str]]] = []
    stack: list[tuple[int, str, list[str] | None]] = []  # (depth, type, text of the block it opens)
    for line in listing.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        content = line.strip()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if content.startswith('"') and content.endswith('"') and len(content) > 1:
            if not any(kind in ("Lbl", "Figure") for _, kind, _ in stack):
                for _, _, parts in stack:
                    if parts is not None:
                        parts.append(content[1:-1])
            continue
        if content.startswith("/"):
            continue  # an attribute of the element above: `/Scope /Column`
        kind = re.split(r"[ :]", content, maxsplit=1)[0]  # `P (block)`, `Figure:`, `TH <400-0-0>:`
        parts = [] if kind in TAG_TEXT_BLOCKS else None
        if parts is not None:
            blocks.append((kind, parts))
        stack.append((depth, kind, parts))
    return [(kind, "".join(parts)) for kind, parts in blocks]


def _words(text: str) -> str:
    return " ".join(text.split())


# --- PDF tests ------------------------------------------------------------------------------------


def test_pdf_is_pdfa_2a(docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        _pdf_checks(doc.path("pdf"), part=2, conformance="A")

    _each(docs, check)


def test_pdf_structure_tree(docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        pdf = pikepdf.open(doc.path("pdf"))
        tree = _structure_checks(pdf, doc.path("html"))
        assert _type(tree[0][0]) == "Document"

    _each(docs, check)


def _letterhead_facts(doc: Doc) -> list[str]:
    """What the letterhead tells: markings, diarienummer, date and the example marking, as one reads them."""
    page = lxml_html.fromstring(doc.path("html").read_bytes())
    header = page.find(".//header")
    facts = [_words(p.text_content()) for p in header.iterfind(".//p[@class='markering']")]
    facts += [_words(p.text_content()) for p in header.iterfind(".//div[@class='dokumentfakta']/p")]
    assert any(f.startswith("Diarienummer ") for f in facts) and any(f.startswith("Datum ") for f in facts), facts
    return facts


def test_pdf_letterhead_is_read_once_and_runs_as_an_artifact(docs: list[Doc], tmp_path: Path) -> None:
    # A screen reader hears the letterhead once, before the title: page 1 carries it as content. From
    # page 2 on it is a running header, and that, the footer and the page numbers are pagination
    # artifacts: on every page, never read. (Until the letterhead was content on page 1, the diarienummer,
    # the date and "EXEMPEL – fiktiv region" were artifacts on every page and never read at all.)
    profile = yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))

    def check(doc: Doc) -> None:
        pdf = pikepdf.open(doc.path("pdf"))
        pages = len(pdf.pages)
        pagination = _content_ownership(pdf)
        assert all(count > 0 for count in pagination.values()), f"a page without running header/footer artifacts: {pagination}"
        everything, tagged = (_words(text) for text in _untagged_text(doc.path("pdf"), tmp_path))
        for repeated in (profile["postadress"], "Sida 1 (", f"Mall {doc.template.id} version"):
            assert repeated in everything
            assert repeated not in tagged, f"{repeated!r} is tagged content, not an artifact"
        facts = _letterhead_facts(doc)
        assert "Obs EXEMPEL – fiktiv region" in facts
        for fact in facts:
            assert everything.count(fact) == pages, f"{fact!r} is not on each of the {pages} pages"
            assert tagged.count(fact) == 1, f"{fact!r} is read {tagged.count(fact)} times, not once"
            assert tagged.index(fact) < tagged.index(doc.template.title.split()[0]), f"{fact!r} is read after the title"

    _each(docs, check)


HTML_TEXT_BLOCKS = ("p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "dt", "dd")


def test_pdf_tag_text_keeps_every_space_between_words(docs: list[Doc]) -> None:
    # Where a line wraps (or a <br> breaks it), the tagged text must still hold the space between the
    # last word of one line and the first of the next: each text block read from the tags is, word
    # for word, a piece of a text block of the same document's HTML. "lagenom" in the tags fails.
    wrapped = 0

    def check(doc: Doc) -> None:
        nonlocal wrapped
        page = lxml_html.fromstring(doc.path("html").read_bytes())
        html_blocks = [f" {_words(element.text_content())} " for element in page.iter(*HTML_TEXT_BLOCKS)]
        blocks = _tag_text(doc.path("pdf"))
        assert blocks, "no text in the structure tree"
        for kind, text in blocks:
            if _words(text):
                assert any(f" {_words(text)} " in block for block in html_blocks), f"{kind} reads {text!r}: not the HTML's words"
        wrapped += sum(1 for _, text in blocks if len(text) > 120)  # longer than a line of the page

    _each(docs, check)
    assert wrapped >= 10, "too few paragraphs over several lines to tell"


def test_pdf_tag_text_has_a_space_at_each_wrap_and_none_inside_words(tmp_path: Path) -> None:
    from generator.render import DocumentMeta, to_html, to_pdf

    profile = yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))
    meta = DocumentMeta(
        title="Prov", case_title="Radbrytning", case_id="T-2", diarienummer="HSN 2026-00002", date=dt.date(2026, 1, 2),
        author="Region Norrsund", organisation=profile, template_id="prov", template_version="1.0", audience="extern",
        data_hash="sha256:0", pdf_variant="pdf/a-2a",
    )
    compound = "-".join(["avtalsuppföljning"] * 12)  # wider than a line: it can only wrap after a hyphen
    sentence = ("Vårdgivaren ska med anledning av **avvikelsen** lämna en handlingsplan, och regionen följer upp "
                "att *planen* genomförs inom avtalad tid enligt lagen om valfrihetssystem. ")
    body = f"# Prov\n\n{sentence * 4}Rad ett\\\nrad två {compound} slut.\n"
    dirs = tuple(template_dirs(None))
    page = to_html(body, meta, dirs, for_pdf=True)
    (tmp_path / "prov.pdf").write_bytes(to_pdf(page, meta, dirs))
    expected = _words(lxml_html.fromstring(page).find(".//main").findall(".//p")[-1].text_content())
    assert "lagen om valfrihetssystem. Vårdgivaren" in expected and f"Rad ett rad två {compound}" in expected
    paragraphs = [text for kind, text in _tag_text(tmp_path / "prov.pdf") if kind == "P"]
    assert _words(paragraphs[-1]) == expected
    # The paragraph did wrap, also inside the compound word, and the page looks as before: one line each.
    lines = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "prov.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert sum(1 for line in lines.splitlines() if "avtalsuppföljning" in line) >= 2
    assert sum(1 for line in lines.splitlines() if "Vårdgivaren" in line or "handlingsplan" in line) >= 4


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")


def test_email_addresses_are_mailto_links_in_every_format(docs: list[Doc]) -> None:
    # Whoever reads the letter on a screen can write to the officer with one click: every e-mail address
    # the document prints is a mailto: link in HTML, in the PDF (a Link annotation in the tag tree, with a
    # description) and in the DOCX (a hyperlink).
    printed: set[str] = set()

    def check(doc: Doc) -> None:
        page = lxml_html.fromstring(doc.path("html").read_bytes())
        addresses = set(EMAIL_ADDRESS.findall(page.find(".//body").text_content()))
        linked = {a.get("href") for a in page.iter("a") if (a.get("href") or "").startswith("mailto:")}
        assert linked == {f"mailto:{address}" for address in addresses}, f"HTML links {linked}, prints {addresses}"
        for anchor in page.iter("a"):
            if anchor.get("href") in linked:
                assert anchor.text_content() == anchor.get("href")[len("mailto:"):], "a link that does not show its address"
        printed.update(addresses)
        with pikepdf.open(doc.path("pdf")) as pdf:
            tree = _tree(pdf)
            tagged = {kid.Obj.objgen for e, _ in tree if _type(e) == "Link" for kid in e.K
                      if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"}
            annotations = [a for p in pdf.pages for a in p.obj.get("/Annots", []) if str(a.get("/A", {}).get("/URI", "")).startswith("mailto:")]
            assert {str(a.A.URI) for a in annotations} == linked, "the PDF links other addresses than the HTML"
            for annotation in annotations:
                assert annotation.objgen in tagged, "a mailto: link outside the tag tree"
                assert str(annotation.Contents) == f"E-post till {str(annotation.A.URI)[len('mailto:'):]}"
        parts = _docx_parts(doc.path("docx"))
        with zipfile.ZipFile(doc.path("docx")) as archive:
            relations = etree.fromstring(archive.read("word/_rels/document.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in relations if r.get("TargetMode") == "External"}
        hyperlinks = {targets.get(h.get(f"{{{REL}}}id")): "".join(h.itertext()) for h in parts["word/document.xml"].iter(f"{{{W}}}hyperlink")}
        for address in addresses:
            assert hyperlinks.get(f"mailto:{address}") == address, f"no Word hyperlink for {address}"

    _each(docs, check)
    assert printed, "no example document prints an e-mail address"


def test_pdf_metadata(docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        pdf = pikepdf.open(doc.path("pdf"))
        expected = _expected(doc)
        info = pdf.docinfo
        assert str(pdf.Root.Lang) == "sv-SE"
        assert str(info.Title) == expected["title"]
        assert str(info.Author) == expected["author"]
        assert str(info.Subject) == expected["diarienummer"]
        keywords = [k.strip() for k in str(info.Keywords).split(",")]
        assert expected["diarienummer"] in keywords and doc.template.id in keywords
        root = _xmp(pdf)
        assert _xmp_value(root, "dc", "title") == expected["title"]
        assert _xmp_value(root, "dc", "language") == "sv-SE"
        # Where the filed PDF came from: template, version, data hash, case.
        assert _xmp_value(root, "mallgen", "template") == doc.template.id
        assert _xmp_value(root, "mallgen", "templateVersion") == doc.template.version == doc.manifest["dokument"][doc.stem]["version"]
        assert _xmp_value(root, "mallgen", "dataHash") == doc.manifest["dokument"][doc.stem]["data"]
        assert _xmp_value(root, "mallgen", "case") == doc.manifest["arende"]

    _each(docs, check)


def test_pdf_a1b_when_the_profile_asks(docs_a1b: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        pdf = _pdf_checks(doc.path("pdf"), part=1, conformance="B")
        # Still tagged: PDF/A-1b does not ask for it, the accessibility law does.
        _structure_checks(pdf, doc.path("html"))
        _content_ownership(pdf)
        assert str(pdf.Root.Lang) == "sv-SE"

    _each(docs_a1b, check)


def test_pdf_bytes_are_reproducible(case: Path, docs: list[Doc], tmp_path: Path) -> None:
    # Keyed by case and document: several example cases hold the same document.
    again = {(doc.folder.name, doc.stem): doc for doc in _documents(_render_examples(tmp_path, case, "-f", "pdf"))}
    assert set(again) == {(doc.folder.name, doc.stem) for doc in docs}
    for doc in docs:
        assert again[(doc.folder.name, doc.stem)].path("pdf").read_bytes() == doc.path("pdf").read_bytes(), (doc.folder.name, doc.stem)


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small opaque RGB PNG (no alpha channel: PDF/A-1 forbids soft masks)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("variant", "part", "conformance"), [("pdf/a-2a", 2, "A"), ("pdf/a-1b", 1, "B")])
def test_pdf_images_have_alt_text_or_are_artifacts(tmp_path: Path, variant: str, part: int, conformance: str) -> None:
    from generator.render import DocumentMeta, to_html, to_pdf

    (tmp_path / "diagram.png").write_bytes(_png(40, 20, (29, 79, 115)))
    profile = yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))
    meta = DocumentMeta(
        title="Prov", case_title="Bilder", case_id="T-1", diarienummer="HSN 2026-00001", date=dt.date(2026, 1, 2),
        author="Region Norrsund", organisation=profile, template_id="prov", template_version="1.0", audience="extern",
        data_hash="sha256:0", pdf_variant=variant,
    )
    dirs = (tmp_path, *template_dirs(None))
    uri = (tmp_path / "diagram.png").as_uri()
    page = to_html("# Prov\n\nText före bilderna.\n", meta, dirs, for_pdf=True).replace(
        "</main>", f'<p><img src="{uri}" alt="Stapeldiagram: tre avvikelser"> <img src="{uri}" alt=""></p></main>'
    )
    (tmp_path / "prov.pdf").write_bytes(to_pdf(page, meta, dirs))
    (tmp_path / "prov.html").write_text(page, encoding="utf-8")
    pdf = _pdf_checks(tmp_path / "prov.pdf", part, conformance)
    tree = _structure_checks(pdf, tmp_path / "prov.html")
    figures = [e for e, _ in tree if _type(e) == "Figure"]
    assert [str(f.Alt) for f in figures] == ["Stapeldiagram: tre avvikelser"]
    _content_ownership(pdf)
    # The decorative image is drawn, but as an artifact.
    drawn = [stack for stack, operator in _marked_content(pdf, pdf.pages[0]) if operator == "Do"]
    assert len(drawn) == 2 and sum(1 for s in drawn if any(t == "/Artifact" for t, _ in s)) == 1


# --- DOCX -----------------------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WNS = {
    "w": W,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "v": "urn:schemas-microsoft-com:vml",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
}


def _docx_parts(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return {n: etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xml")}


def _style_names(styles: Any) -> dict[str, str]:
    return {s.get(f"{{{W}}}styleId"): s.find("w:name", WNS).get(f"{{{W}}}val") for s in styles.iterfind("w:style", WNS)}


def test_docx_headings_use_builtin_styles_in_order(docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        parts = _docx_parts(doc.path("docx"))
        names = _style_names(parts["word/styles.xml"])
        levels = []
        for paragraph in parts["word/document.xml"].iter(f"{{{W}}}p"):
            style = paragraph.find("w:pPr/w:pStyle", WNS)
            name = names.get(style.get(f"{{{W}}}val")) if style is not None else None
            if name and name.startswith("heading "):
                levels.append(int(name.split()[1]))
                assert "".join(paragraph.itertext()).strip(), "an empty heading"
        # Word's built-in "heading N" styles: the navigation pane shows the outline.
        assert levels.count(1) == 1 and levels[0] == 1, levels
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"skipped heading level: {levels}"
        assert levels == [min(level, 4) for level in _html_heading_levels(doc.path("html"))]

    _each(docs, check)


def test_docx_letterhead_is_in_the_text_on_page_one_and_the_header_after(docs: list[Doc]) -> None:
    # Word's headers are outside the reading order: page 1's letterhead is the first lines of the body
    # (read once, before the title), and the header that repeats it is on page 2 and later only.
    def check(doc: Doc) -> None:
        from docx import Document

        document = Document(str(doc.path("docx")))
        facts = _letterhead_facts(doc)
        section = document.sections[0]
        assert section.different_first_page_header_footer
        first_page = _words(" ".join(p.text for p in section.first_page_header.paragraphs))
        later_pages = _words(" ".join(p.text for p in section.header.paragraphs))
        lines = [p for p in document.paragraphs if p.text.strip()]
        letterhead = [p for p in lines if p.style.name == "Brevhuvud"]
        assert letterhead and lines[: len(letterhead)] == letterhead, "the body does not begin with the letterhead"
        assert next(p.style.name for p in lines if p.style.name != "Brevhuvud").startswith(("Heading 1", "Sekretess", "Mottagare", "Tjänsteskrivelse"))
        body = _words(" ".join(p.text for p in lines))
        for fact in (fact.removeprefix("Obs ") for fact in facts):  # Word's letterhead has no "Obs" label
            assert fact in _words(" ".join(p.text for p in letterhead)), f"{fact!r} is not in page 1's letterhead"
            assert body.count(fact) == 1, f"{fact!r} is {body.count(fact)} times in the text"
            assert fact in later_pages, f"{fact!r} is not in the header of the later pages"
            assert fact not in first_page, f"{fact!r} is in page 1's header too"

    _each(docs, check)


def test_docx_language_and_core_properties(docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        parts = _docx_parts(doc.path("docx"))
        default = parts["word/styles.xml"].find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", WNS)
        assert default is not None and default.get(f"{{{W}}}val") == "sv-SE"
        other = {lang.get(f"{{{W}}}val") for part in parts.values() for lang in part.iter(f"{{{W}}}lang")} - {"sv-SE", None}
        assert not other, f"text marked in another language: {other}"
        core = parts["docProps/core.xml"]
        expected = _expected(doc)
        assert core.findtext("dc:title", namespaces=WNS) == expected["title"]
        assert core.findtext("dc:subject", namespaces=WNS) == expected["diarienummer"]
        assert core.findtext("dc:creator", namespaces=WNS) == expected["author"]
        assert core.findtext("dc:language", namespaces=WNS) == "sv-SE"
        assert expected["diarienummer"] in (core.findtext("cp:keywords", namespaces=WNS) or "")
        # Only elements of the core-properties schema, each once (Word repairs a file that breaks this).
        allowed = {
            f"{{{WNS['cp']}}}{n}" for n in ("keywords", "lastModifiedBy", "revision", "category", "contentStatus", "lastPrinted", "version")
        }
        allowed |= {f"{{{WNS['dc']}}}{n}" for n in ("title", "subject", "creator", "description", "language", "identifier")}
        allowed |= {f"{{{WNS['dcterms']}}}{n}" for n in ("created", "modified")}
        tags = [child.tag for child in core]
        assert set(tags) <= allowed and len(tags) == len(set(tags)), tags

    _each(docs, check)


def test_docx_tables_images_and_paragraphs(docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        parts = _docx_parts(doc.path("docx"))
        body = parts["word/document.xml"]
        tables = list(body.iter(f"{{{W}}}tbl"))
        assert len(tables) == len(_html_main(doc.path("html")).findall(".//table"))
        for table in tables:
            rows = table.findall("w:tr", WNS)
            # The header row is marked as such, so Word repeats it on every page and reads it as headers.
            assert rows[0].find("w:trPr/w:tblHeader", WNS) is not None, "a table whose header row is not marked"
            assert all(row.find("w:trPr/w:tblHeader", WNS) is None for row in rows[1:])
        for name, part in parts.items():
            if not name.startswith("word/") or name.endswith(("styles.xml", "numbering.xml")):
                continue
            # No text boxes: their text is outside the reading order.
            assert not list(part.iter(f"{{{W}}}txbxContent", f"{{{WNS['v']}}}textbox", f"{{{WNS['wps']}}}txbx")), name
            # Every picture has alternative text, or is marked decorative.
            for doc_pr in part.iter(f"{{{WNS['wp']}}}docPr"):
                decorative = any(etree.QName(e).localname == "decorative" and e.get("val") in ("1", "true") for e in doc_pr.iter())
                assert (doc_pr.get("descr") or "").strip() or decorative, f"{name}: a picture without alternative text"
            # No empty paragraphs for spacing (a paragraph that only carries a border is a rule, not spacing).
            # Page 1's header is empty on purpose (its letterhead is in the text) and holds the one empty
            # paragraph a header part must have (ISO/IEC 29500-1 17.10.4).
            if part.tag == f"{{{W}}}hdr" and not "".join(part.itertext()).strip() and len(part.findall(f"{{{W}}}p")) == 1:
                continue
            for paragraph in part.iter(f"{{{W}}}p"):
                if paragraph.getparent().tag == f"{{{W}}}tc":
                    continue
                has_content = "".join(paragraph.itertext()).strip() or paragraph.find(".//w:drawing", WNS) is not None
                is_rule = paragraph.find("w:pPr/w:pBdr", WNS) is not None
                assert has_content or is_rule, f"{name}: an empty paragraph"

    _each(docs, check)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.office
def test_docx_opens_in_libreoffice(docs: list[Doc], tmp_path: Path) -> None:
    binary = _soffice()
    _require("soffice", binary is not None, "apt-get install libreoffice-writer-nogui")
    assert binary is not None
    for folder in sorted({doc.folder for doc in docs}):
        target = tmp_path / folder.name
        files = [str(doc.path("docx")) for doc in docs if doc.folder == folder]
        result = subprocess.run(
            [binary, f"-env:UserInstallation={(tmp_path / 'profil').as_uri()}", "--headless", "--convert-to", "pdf", "--outdir",
             str(target), *files],
            capture_output=True, text=True, timeout=600,
        )
        assert result.returncode == 0, result.stderr
        for doc in docs:
            if doc.folder == folder:
                converted = target / f"{doc.stem}.pdf"
                assert converted.is_file(), f"LibreOffice could not open {doc.stem}.docx: {result.stdout}{result.stderr}"
                with pikepdf.open(converted) as pdf:
                    assert len(pdf.pages) >= 1


# --- HTML -----------------------------------------------------------------------------------------


def test_html_structure(docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        page = lxml_html.fromstring(doc.path("html").read_bytes())
        assert page.get("lang") == "sv"
        assert (page.findtext(".//title") or "").strip().startswith(doc.template.title)
        assert len(page.findall(".//h1")) == 1
        # Landmarks: banner, main, contentinfo, and nothing outside them.
        assert [child.tag for child in page.find("body")] == ["header", "main", "footer"]
        for th in page.iter("th"):
            assert th.get("scope") in ("col", "row", "colgroup", "rowgroup"), "a header cell without scope"

    _each(docs, check)


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (no extra packages, no port)."""

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="mallgen-chromium-")
        child_in, self._write = os.pipe()
        self._read_fd, child_out = os.pipe()

        def connect_pipes() -> None:  # the protocol pipe is fds 3 (commands) and 4 (replies)
            import fcntl

            commands, replies = fcntl.fcntl(child_in, fcntl.F_DUPFD, 10), fcntl.fcntl(child_out, fcntl.F_DUPFD, 10)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             "--disable-dev-shm-usage", f"--user-data-dir={self.profile.name}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=connect_pipes,
        )
        os.close(child_in)
        os.close(child_out)
        self._id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=True)

    def send(self, method: str, params: dict[str, Any] | None = None, session: bool = False, timeout: float = 60) -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next(timeout)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self._events.append(reply)

    def wait_event(self, method: str, timeout: float = 60) -> None:
        while True:
            for event in self._events:
                if event.get("method") == method:
                    self._events.remove(event)
                    return
            self._events.append(self._next(timeout))

    def _next(self, timeout: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read_fd], [], [], timeout)
            chunk = os.read(self._read_fd, 1 << 16) if ready else b""
            if not chunk:
                raise RuntimeError("Chromium did not answer")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def open(self, path: Path) -> None:
        self._events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session=True)
        self.wait_event("Page.loadEventFired")
        assert self.evaluate("location.href") == path.resolve().as_uri()

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def axe(self, path: Path, options: dict[str, Any]) -> dict[str, Any]:
        self.open(path)
        self.evaluate(AXE.read_text(encoding="utf-8"))
        report: dict[str, Any] = json.loads(self.evaluate(
            f"axe.run(document, {json.dumps(options)}).then(r => JSON.stringify("
            "{violations: r.violations, incomplete: r.incomplete, passes: r.passes.map(p => p.id)}))"
        ))
        return report

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.send("Browser.close", timeout=10)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read_fd)
        self.profile.cleanup()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    _require("chromium", binary is not None, "apt-get install chromium")
    _require("axe-core", AXE.is_file(), "cd tests/axe && npm ci")
    assert binary is not None
    browser = Chromium(binary)
    yield browser
    browser.close()


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(f"    {n['target']}: {n['failureSummary']}" for n in v["nodes"][:5])
        for v in violations
    )


def test_html_has_no_wcag_21_aa_violations(chromium: Chromium, docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        report = chromium.axe(doc.path("html"), {"runOnly": {"type": "tag", "values": AXE_TAGS}})
        assert not report["violations"], _describe(report["violations"])
        # Contrast that axe could not decide would be unverified: none allowed. Text inside a chart (an SVG
        # with role="img") axe cannot place on a background; it is measured here against the white page.
        undecided = [
            {**i, "nodes": [n for n in i["nodes"] if not _chart_text_contrast_ok(chromium, n)]}
            for i in report["incomplete"] if i["id"] == "color-contrast"
        ]
        undecided = [i for i in undecided if i["nodes"]]
        assert not undecided, _describe(undecided)
        assert "color-contrast" in report["passes"] and "html-has-lang" in report["passes"]

    _each(docs, check)


def _chart_text_contrast_ok(chromium: Chromium, node: dict[str, Any]) -> bool:
    """A chart's text: its fill against white, at least 4.5:1 (the charts are drawn on white)."""
    selector = json.dumps(node["target"][0])
    found = chromium.evaluate(
        f"(() => {{ const e = document.querySelector({selector}); const svg = e && e.closest('svg[role=img]');"
        " if (!svg) return null; const s = getComputedStyle(e);"
        " return {fill: s.fill, opacity: s.opacity, page: getComputedStyle(document.body).backgroundColor}; })()"
    )
    if not found or not found["fill"].startswith("rgb(") or float(found["opacity"]) != 1:
        return False
    if found["page"] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"):
        return False
    return _contrast(_rgb(found["fill"]), (255, 255, 255)) >= 4.5


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_html_landmarks_and_headings_in_the_browser(chromium: Chromium, docs: list[Doc]) -> None:
    def check(doc: Doc) -> None:
        report = chromium.axe(doc.path("html"), {"runOnly": {"type": "rule", "values": AXE_STRUCTURE_RULES}})
        assert not report["violations"], _describe(report["violations"])
        assert {"region", "landmark-one-main", "page-has-heading-one"} <= set(report["passes"])

    _each(docs, check)


def test_axe_finds_violations_in_a_broken_page(chromium: Chromium, tmp_path: Path) -> None:
    """The harness itself: a page that breaks WCAG must fail, or the tests above prove nothing."""
    broken = tmp_path / "trasig.html"
    broken.write_text(
        '<!DOCTYPE html><html><head><title>x</title></head><body><main><h1>Rubrik</h1>'
        '<p style="color:#bbbbbb">Ljusgrå text</p><img src="x.png"></main></body></html>',
        encoding="utf-8",
    )
    report = chromium.axe(broken, {"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert {"html-has-lang", "color-contrast", "image-alt"} <= {v["id"] for v in report["violations"]}


def _luminance(rgb: tuple[float, ...]) -> float:
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _rgb(css_colour: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"[\d.]+", css_colour)[:3])


def test_html_keyboard_focus_is_visible(chromium: Chromium, tmp_path: Path) -> None:
    """Tabbing to a link shows an outline with at least 3:1 contrast (WCAG 2.4.7, 1.4.11)."""
    from generator.render import DocumentMeta, to_html

    profile = yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))
    meta = DocumentMeta(
        title="Prov", case_title="Fokus", case_id="T-2", diarienummer="HSN 2026-00002", date=dt.date(2026, 1, 2),
        author="Region Norrsund", organisation=profile, template_id="prov", template_version="1.0", audience="extern",
        data_hash="sha256:0", pdf_variant="pdf/a-2a",
    )
    page = tmp_path / "fokus.html"
    page.write_text(to_html("# Prov\n\nLäs mer på [regionens webbplats](https://www.regionnorrsund.example).\n", meta,
                            tuple(template_dirs(None))), encoding="utf-8")
    chromium.open(page)
    chromium.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9}, session=True)
    chromium.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9}, session=True)
    style = chromium.evaluate(
        "(() => { const e = document.activeElement, s = getComputedStyle(e);"
        " return {tag: e.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor,"
        " background: getComputedStyle(document.body).backgroundColor}; })()"
    )
    assert style["tag"] == "A"
    assert style["style"] != "none" and style["width"] >= 2
    background = _rgb(style["background"]) if "0, 0, 0, 0" not in style["background"] else (255, 255, 255)
    assert _contrast(_rgb(style["colour"]), background) >= 3
