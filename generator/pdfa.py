"""Archival and accessibility finishing of WeasyPrint's PDF, before its bytes are written.

WeasyPrint makes the PDF/A file and its tag tree; what it leaves to us:

- provenance in XMP (template id and version, data hash, case) with the PDF/A extension schema
  that PDF/A-1 and PDF/A-2 require for any property outside the predefined schemas;
- the running letterhead and footer (CSS margin boxes) are drawn as tagged content that no
  structure element owns: here they become pagination artifacts, as PDF/UA asks;
- table header cells get an explicit /Scope; images without alternative text (decorative,
  `![](bild.png)`) become artifacts instead of Figures a screen reader cannot describe; the
  paragraphs of a loose list item go into an LBody;
- images are never interpolated, and opaque SVG pattern tiles lose the transparency group
  WeasyPrint wraps them in: PDF/A forbids both (PDF/A-1 any transparency group);
- an e-mail link says so in its description (`describe_mail_links`);
- the PDF/UA-1 identification (`pdfuaid:part`) beside the PDF/A one, so one file is both;
- the streams: the XMP packet stays uncompressed (ISO 19005-1 6.7.2, 19005-2 6.6.2.1), every other
  stream is compressed here, and none may end in a carriage return (see `compress_streams`).

Everything works on pydyf objects through WeasyPrint's `finisher` hook, so the bytes stay
reproducible and no second PDF library is needed at run time.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element, SubElement, fromstring, register_namespace, tostring

import pydyf
from weasyprint.document import DocumentMetadata

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
MALLGEN = "urn:mallgen:xmp:1.0/"  # the namespace of mallgen's own XMP properties
EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
PDFUA_ID = "http://www.aiim.org/pdfua/ns/id/"
for _prefix, _uri in (("mallgen", MALLGEN), ("pdfaExtension", EXTENSION), ("pdfaSchema", SCHEMA), ("pdfaProperty", PROPERTY),
                      ("pdfuaid", PDFUA_ID)):
    register_namespace(_prefix, _uri)
PDFUA_PART = "1"  # ISO 14289-1: what every PDF declares besides its PDF/A part

# name -> description, in the order they are written
PROVENANCE = {
    "template": "Mallens id i mallgen",
    "templateVersion": "Mallens version",
    "dataHash": "SHA-256 av ärendets och organisationsprofilens uppgifter",
    "case": "Ärendets id",
}


class ArchivalMetadata(DocumentMetadata):  # type: ignore[misc]
    """WeasyPrint's metadata plus dc:language, the PDF/UA identification and mallgen's provenance
    in the same rdf:RDF."""

    def __init__(self, provenance: dict[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.provenance = provenance

    def generate_rdf_metadata(self, variant: str, version: int, conformance: str) -> bytes:
        rdf = fromstring(super().generate_rdf_metadata(variant, version, conformance))
        if self.lang:
            language = SubElement(_description(rdf), f"{{{DC}}}language")
            SubElement(SubElement(language, f"{{{RDF}}}Bag"), f"{{{RDF}}}li").text = self.lang
        SubElement(_description(rdf), f"{{{PDFUA_ID}}}part").text = PDFUA_PART
        own = _description(rdf)
        for name in PROVENANCE:
            SubElement(own, f"{{{MALLGEN}}}{name}").text = self.provenance[name]
        _extension_schemas(_description(rdf))
        data: bytes = tostring(rdf, encoding="utf-8")
        return data


def _description(rdf: Element) -> Element:
    element = SubElement(rdf, f"{{{RDF}}}Description")
    element.set(f"{{{RDF}}}about", "")
    return element


def _resource(parent: Element) -> Element:
    item = SubElement(parent, f"{{{RDF}}}li")
    item.set(f"{{{RDF}}}parseType", "Resource")
    return item


# Namespaces outside the schemas PDF/A predefines, described for PDF/A (ISO 19005-1 6.7.8, 19005-2 6.6.2.3.1):
# (schema name, namespace, prefix, [(property, value type, category, description)]).
EXTENSION_SCHEMAS = (
    ("PDF/UA Universal Accessibility Schema", PDFUA_ID, "pdfuaid",
     [("part", "Integer", "internal", "Indicates, which part of ISO 14289 standard is followed")]),
    ("mallgen – dokumentets ursprung", MALLGEN, "mallgen",
     [(name, "Text", "external", text) for name, text in PROVENANCE.items()]),
)


def _extension_schemas(description: Element) -> None:
    bag = SubElement(SubElement(description, f"{{{EXTENSION}}}schemas"), f"{{{RDF}}}Bag")
    for name, namespace, prefix, properties in EXTENSION_SCHEMAS:
        schema = _resource(bag)
        SubElement(schema, f"{{{SCHEMA}}}schema").text = name
        SubElement(schema, f"{{{SCHEMA}}}namespaceURI").text = namespace
        SubElement(schema, f"{{{SCHEMA}}}prefix").text = prefix
        seq = SubElement(SubElement(schema, f"{{{SCHEMA}}}property"), f"{{{RDF}}}Seq")
        for property_name, value_type, category, text in properties:
            item = _resource(seq)
            SubElement(item, f"{{{PROPERTY}}}name").text = property_name
            SubElement(item, f"{{{PROPERTY}}}valueType").text = value_type
            SubElement(item, f"{{{PROPERTY}}}category").text = category
            SubElement(item, f"{{{PROPERTY}}}description").text = text


# --- the tag tree ---------------------------------------------------------------------------------

PAGINATION = {"Type": "/Pagination"}
DECORATION = {"Type": "/Layout"}


def finish_pdf(document: Any, pdf: pydyf.PDF, padding: int = 0) -> None:
    """WeasyPrint finisher: what PDF/A and PDF/UA ask beyond what WeasyPrint writes.

    `padding` empty objects change the bytes of the object stream pydyf writes next (see `ambiguous`).
    """
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Stream):
            continue
        # PDF/A forbids image interpolation (ISO 19005-1 6.2.4, 19005-2 6.2.8); CSS `image-rendering: auto` asks for it.
        if obj.extra.get("Subtype") == "/Image" and "Interpolate" in obj.extra:
            obj.extra["Interpolate"] = "false"
        # WeasyPrint wraps every SVG pattern tile (a chart's hatching) in a transparency group. Where nothing in it
        # is transparent the group changes nothing on the page, and PDF/A-1 forbids it: a plain form XObject remains.
        group = obj.extra.get("Group")
        transparency = isinstance(group, dict) and group.get("S") == "/Transparency"
        if obj.extra.get("Subtype") == "/Form" and transparency and _opaque(pdf, obj):
            del obj.extra["Group"]
    finish_tags(pdf)
    describe_mail_links(pdf)
    complete_cid_sets(pdf)
    compress_streams(pdf)
    for _ in range(padding):
        pdf.add_object(pydyf.Dictionary())


def describe_mail_links(pdf: pydyf.PDF) -> None:
    """A link's description (/Contents, ISO 14289-1 7.18.5) is its target as WeasyPrint writes it; for an
    e-mail address, "E-post till anna@region.se" is what a screen reader should say, not "mailto:…"."""
    for obj in pdf.objects:
        action = obj.get("A") if isinstance(obj, dict) and obj.get("Subtype") == "/Link" else None
        target = _text(action.get("URI", "")) if isinstance(action, dict) else ""
        if target.startswith("mailto:"):
            obj["Contents"] = pydyf.String(f"E-post till {unquote(target[len('mailto:'):])}")


def complete_cid_sets(pdf: pydyf.PDF) -> None:
    """A font's CIDSet (written for PDF/A-1 only) names every glyph of the embedded program
    (ISO 19005-1 6.3.5, ISO 14289-1 7.21.4.2). WeasyPrint's subsets keep every glyph slot of the font,
    empty or not, but its CIDSet names only the glyphs it draws: not the ring of å, drawn as part of it."""
    from fontTools.ttLib import TTFont

    for obj in pdf.objects:
        if not (isinstance(obj, dict) and obj.get("Type") == "/FontDescriptor" and "CIDSet" in obj and "FontFile2" in obj):
            continue
        program = TTFont(io.BytesIO(_payload(pdf.objects[_number(obj["FontFile2"])])))
        count = int(program["maxp"].numGlyphs)
        bits = bytearray(b"\xff" * (count // 8) + (bytes([(0xFF00 >> count % 8) & 0xFF]) if count % 8 else b""))
        pdf.objects[_number(obj["CIDSet"])].stream = [bytes(bits)]


def ambiguous(pdf: bytes) -> bool:
    """A stream in the written file whose data ends in CR (see `compress_streams`)."""
    return b"\r\nendstream" in pdf


def compress_streams(pdf: pydyf.PDF) -> None:
    """Compress every stream but the XMP packet, and let none end in a carriage return.

    pydyf writes a stream as `stream`, data, `endstream` on lines of their own: data that ends in CR
    reads as ending in a CR LF end-of-line marker, one byte shorter than its /Length (ISO 19005-2
    6.1.7.1). Compressed data ends with its Adler-32 checksum, so about one stream in 256 would;
    those are written as hexadecimal text (ASCIIHexDecode), which ends in `>`. The object and
    cross-reference streams pydyf makes while writing, after this finisher, are `to_pdf`'s concern.
    """
    metadata = pdf.catalog.get("Metadata")
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Stream):
            continue
        if metadata is not None and obj.reference == metadata:
            obj.compress = False
            continue
        data = _payload(obj)
        if "Filter" not in obj.extra:
            packer = zlib.compressobj(level=9)
            data = packer.compress(data) + packer.flush()
            _add_filter(obj, "/FlateDecode")
        if data.endswith(b"\r"):
            data = data.hex().encode("ascii") + b">"
            _add_filter(obj, "/ASCIIHexDecode")
        obj.stream = [data]
        obj.compress = False


def _add_filter(stream: pydyf.Stream, name: str) -> None:
    """Put a filter in front of the stream's filters (the first one applies first on reading)."""
    filters = stream.extra.get("Filter")
    if filters is None:
        stream.extra["Filter"] = name
        return
    parameters = stream.extra.get("DecodeParms")
    stream.extra["Filter"] = pydyf.Array([name, *(filters if isinstance(filters, list) else [filters])])
    if parameters is not None:
        stream.extra["DecodeParms"] = pydyf.Array(["null", *(parameters if isinstance(parameters, list) else [parameters])])


def _payload(stream: pydyf.Stream) -> bytes:
    """The bytes pydyf writes between `stream` and `endstream`, before compression."""
    data: bytes = pydyf.Stream(stream.stream).data  # <</Length n>>, stream, data, endstream: one a line
    return data.split(b"\nstream\n", 1)[1][: -len(b"\nendstream")]


def _opaque(pdf: pydyf.PDF, form: pydyf.Stream) -> bool:
    """No soft mask and no alpha below 1 in a form XObject's own graphics states."""
    resources = _resolve(pdf, form.extra.get("Resources")) or {}
    states = _resolve(pdf, resources.get("ExtGState")) or {}
    for value in states.values():
        state = _resolve(pdf, value)
        if not isinstance(state, dict):
            return False
        if state.get("SMask", "/None") != "/None" or any(float(state.get(k, 1)) != 1 for k in ("CA", "ca")):
            return False
    return True


def _resolve(pdf: pydyf.PDF, value: Any) -> Any:
    return pdf.objects[_number(value)] if isinstance(value, bytes | bytearray) else value


def finish_tags(pdf: pydyf.PDF) -> None:
    """Artifacts for margin boxes and decorative images, /Scope on header cells."""
    root_ref = pdf.catalog.get("StructTreeRoot")
    if root_ref is None:
        return
    tree = _Tree(pdf)
    root = tree.get(root_ref)
    artifacts: dict[tuple[int, int], dict[str, str]] = {}

    # 1. Marked content that no reachable structure element owns: WeasyPrint's margin boxes
    #    (running letterhead, footer, page numbers).
    reachable = set(tree.walk(root))
    parent_tree = tree.get(root["ParentTree"])
    nums = parent_tree["Nums"]
    for page in range(len(pdf.page_references)):
        owners = nums[2 * page + 1]
        for mcid, owner in enumerate(owners):
            if owner != "null" and _number(owner) not in reachable:
                artifacts[(page, mcid)] = PAGINATION
                tree.get(owner).clear()  # keep object numbers stable; an empty dictionary owns nothing

    # 2. Figures without alternative text are decoration.
    for number in sorted(reachable):
        element = tree.objects[number]
        if not isinstance(element, pydyf.Dictionary) or element.get("S") != "/Figure" or element.get("Alt"):
            continue
        for page, mcid in tree.marked_content(element):
            artifacts[(page, mcid)] = DECORATION
        parent = tree.get(element["P"])
        parent["K"] = pydyf.Array([kid for kid in parent["K"] if kid != element.reference])
        element.clear()

    # 3. Header cells: column headers in THead, explicit for readers that ignore /Headers.
    for number in sorted(reachable):
        element = tree.objects[number]
        if isinstance(element, dict) and element.get("S") == "/TH":
            section = tree.get(tree.get(element["P"])["P"])
            element.setdefault("A", pydyf.Dictionary({"O": "/Table"}))["Scope"] = "/Column" if section.get("S") == "/THead" else "/Row"

    # 4. List items hold a label and a body only (ISO 32000-1 14.8.4.3.3): the paragraphs of a loose
    #    Markdown list item (`<li><p>…</p></li>`) go into an LBody.
    for number in sorted(reachable):
        element = tree.objects[number]
        if isinstance(element, pydyf.Dictionary) and element.get("S") == "/LI":
            _wrap_list_body(pdf, tree, element, nums)

    # 5. WeasyPrint tags page by page (one Part per page): a table running over a page break became one
    #    Table at the end of a page's Part and another at the start of the next, each with the header.
    #    To a reader it is one table; the header repeated on the new page is pagination.
    for number in sorted(reachable):
        document = tree.objects[number]
        if isinstance(document, pydyf.Dictionary) and document.get("S") == "/Document":
            _join_split_tables(tree, [tree.get(kid) for kid in document.get("K", []) if isinstance(kid, bytes | bytearray)], artifacts)

    for (page, mcid), _kind in artifacts.items():
        nums[2 * page + 1][mcid] = "null"
    for page, (stream, resources) in enumerate(tree.page_streams()):
        for content in tree.content_streams(stream, resources):
            _mark_artifacts(content, {mcid: kind for (p, mcid), kind in artifacts.items() if p == page})


def _join_split_tables(tree: _Tree, parts: list[Any], artifacts: dict[tuple[int, int], dict[str, str]]) -> None:
    running = None  # a table that filled a whole page and may go on over the next
    for index in range(len(parts) - 1):
        ends, starts = parts[index].get("K", []), parts[index + 1].get("K", [])
        last = running or (tree.get(ends[-1]) if isinstance(ends, list) and ends and isinstance(ends[-1], bytes | bytearray) else None)
        first = tree.get(starts[0]) if isinstance(starts, list) and starts and isinstance(starts[0], bytes | bytearray) else None
        running = None
        if _continues(tree, last, first):
            _join_table(tree, last, first, artifacts)
            parts[index + 1]["K"] = pydyf.Array(starts[1:])
            running = last if len(starts) == 1 else None


def _sections(tree: _Tree, table: Any) -> dict[str, Any]:
    return {tree.get(kid).get("S"): tree.get(kid) for kid in table.get("K", []) if isinstance(kid, bytes | bytearray)}


def _rows(tree: _Tree, section: Any) -> list[Any]:
    return [tree.get(kid) for kid in section.get("K", []) if isinstance(kid, bytes | bytearray)]


def _continues(tree: _Tree, first: Any, second: Any) -> bool:
    """`second` is the rest of `first` on the next page: two Tables side by side in the structure,
    the second starting on the page after the first ends, with headers of the same shape."""
    if not (isinstance(first, dict) and isinstance(second, dict) and first.get("S") == second.get("S") == "/Table"):
        return False
    one, two = _sections(tree, first), _sections(tree, second)
    if not {"/THead", "/TBody"} <= one.keys() & two.keys():
        return False
    last_row, first_row = _rows(tree, one["/TBody"])[-1:], _rows(tree, two["/TBody"])[:1]
    if not (last_row and first_row and "Pg" in last_row[0] and "Pg" in first_row[0]):
        return False
    pages = tree.pdf.page_references
    if pages.index(first_row[0]["Pg"]) != pages.index(last_row[0]["Pg"]) + 1:
        return False
    shape = [[len(row.get("K", []))] for row in _rows(tree, one["/THead"])]
    return shape == [[len(row.get("K", []))] for row in _rows(tree, two["/THead"])]


def _join_table(tree: _Tree, first: Any, second: Any, artifacts: dict[tuple[int, int], dict[str, str]]) -> None:
    """Move the rows of `second` into `first`; its header becomes a pagination artifact."""
    one, two = _sections(tree, first), _sections(tree, second)
    same_header: dict[str, Any] = {}  # header id on the continuation -> the same column's id in the first part
    for row_one, row_two in zip(_rows(tree, one["/THead"]), _rows(tree, two["/THead"]), strict=True):
        for cell_one, cell_two in zip(row_one["K"], row_two["K"], strict=True):
            if "ID" in tree.get(cell_two) and "ID" in tree.get(cell_one):
                same_header[_text(tree.get(cell_two)["ID"])] = tree.get(cell_one)["ID"]
    for page, mcid in tree.marked_content(two["/THead"]):
        artifacts[(page, mcid)] = PAGINATION
    for element in [*(tree.objects[n] for n in tree.walk(two["/THead"])), two["/THead"]]:
        element.clear()
    body = one["/TBody"]
    for kid in two["/TBody"]["K"]:
        row = tree.get(kid)
        row["P"] = body.reference
        body["K"].append(kid)
        for cell_ref in row.get("K", []):
            cell = tree.get(cell_ref) if isinstance(cell_ref, bytes | bytearray) else None
            attributes = cell.get("A") if isinstance(cell, dict) else None
            if isinstance(attributes, dict) and attributes.get("Headers") is not None:
                attributes["Headers"] = pydyf.Array([same_header.get(_text(h), h) for h in attributes["Headers"]])
    two["/TBody"].clear()
    second.clear()


def _text(value: Any) -> str:
    return str(getattr(value, "string", value))


def _wrap_list_body(pdf: pydyf.PDF, tree: _Tree, item: pydyf.Dictionary, nums: Any) -> None:
    kids: list[Any] = []
    body: pydyf.Dictionary | None = None
    for kid in item["K"]:
        kind = tree.get(kid).get("S") if isinstance(kid, bytes | bytearray) else None
        if kind in ("/Lbl", "/LBody"):
            kids.append(kid)
            body = None
            continue
        if body is None:
            body = pydyf.Dictionary({"Type": "/StructElem", "S": "/LBody", "K": pydyf.Array(), "P": item.reference})
            if "Pg" in item:
                body["Pg"] = item["Pg"]
            pdf.add_object(body)
            kids.append(body.reference)
        body["K"].append(kid)
        if isinstance(kid, int):  # marked content directly in the item: now owned by the body
            nums[2 * pdf.page_references.index(item["Pg"]) + 1][kid] = body.reference
        elif isinstance(kid, bytes | bytearray):
            target = tree.get(kid)
            if isinstance(target, dict) and "P" in target:
                target["P"] = body.reference
    item["K"] = pydyf.Array(kids)


def _mark_artifacts(stream: pydyf.Stream, kinds: dict[int, dict[str, str]]) -> None:
    """Turn `/Tag <</MCID n>> BDC` into `/Artifact <</Type /Pagination>> BDC` for the given MCIDs."""
    items = stream.stream
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("MCID") in kinds and i > 0:
            items[i - 1] = "/Artifact"
            items[i] = pydyf.Dictionary(kinds[item["MCID"]])


def _number(reference: Any) -> int:
    return int(bytes(reference).split()[0]) if isinstance(reference, bytes | bytearray) else int(str(reference).split()[0])


class _Tree:
    """Lookups in the not yet written pydyf PDF: references are `b"12 0 R"`."""

    def __init__(self, pdf: pydyf.PDF) -> None:
        self.pdf = pdf
        self.objects = pdf.objects

    def get(self, reference: Any) -> Any:
        return self.objects[_number(reference)]

    def walk(self, element: Any) -> Iterator[int]:
        """Object numbers of every structure element below `element` (StructTreeRoot or StructElem)."""
        kids = element.get("K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, bytes | bytearray) and kid.endswith(b"R"):
                target = self.get(kid)
                if isinstance(target, dict) and target.get("Type") == "/StructElem":
                    yield _number(kid)
                    yield from self.walk(target)

    def marked_content(self, element: Any) -> Iterator[tuple[int, int]]:
        """(page index, MCID) of every marked-content sequence in an element's subtree."""
        page = self.pdf.page_references.index(element["Pg"]) if "Pg" in element else None
        kids = element.get("K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, int) and page is not None:
                yield page, kid
            elif isinstance(kid, bytes | bytearray) and kid.endswith(b"R"):
                target = self.get(kid)
                if isinstance(target, dict) and target.get("Type") == "/StructElem":
                    yield from self.marked_content(target)

    def page_streams(self) -> Iterator[tuple[pydyf.Stream, Any]]:
        """Each page's content stream with its resources dictionary."""
        for reference in self.pdf.page_references:
            page = self.get(reference)
            yield self.get(page["Contents"]), self._resolve(page.get("Resources"))

    def _resolve(self, value: Any) -> Any:
        return self.get(value) if isinstance(value, bytes | bytearray) else value

    def content_streams(self, stream: pydyf.Stream, resources: Any, seen: frozenset[int] = frozenset()) -> Iterator[pydyf.Stream]:
        """A content stream and every form XObject it draws, recursively."""
        yield stream
        x_objects = self._resolve(resources.get("XObject")) if isinstance(resources, dict) else None
        for item in stream.stream:
            if not (x_objects and isinstance(item, bytes) and item.endswith(b" Do")):
                continue
            reference = x_objects.get(item[1:-3].decode())
            if isinstance(reference, bytes) and _number(reference) not in seen:
                target = self.get(reference)
                if isinstance(target, pydyf.Stream) and target.extra.get("Subtype") == "/Form":
                    inner = self._resolve(target.extra.get("Resources"))
                    yield from self.content_streams(target, inner, seen | {_number(reference)})
