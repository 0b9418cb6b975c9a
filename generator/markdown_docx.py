"""Markdown (markdown-it-py tokens) into Word paragraphs, runs, lists, tables and links.

The target is any python-docx block container (a document body or a docxtpl subdocument);
styles come from base.docx: Heading 1-3, List Bullet/Number (2), Table Grid, Hyperlink and one
paragraph style per `::: container` (Mottagare, Signatur, ...).
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from docx.document import Document as DocxDocument
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from .render import CHART_SCHEME, markdown_parser

CONTAINER_STYLES = {
    "mottagare": "Mottagare",
    "avsandare": "Avsändare",
    "signatur": "Signatur",
    "beslut": "Beslut",
    "sekretess": "Sekretess",
    "exempel": "Exempel",
    "kopia": "Kopia",
    "bilagor": "Bilagor",
    "tjansteskrivelse": "Tjänsteskrivelse",
}
# Containers that start on a page of their own (a receipt that is signed and returned as one sheet);
# their content keeps the ordinary styles.
NEW_PAGE_CONTAINERS = ("kvittens",)


class MissingStyleError(Exception):
    """The Word layout (base.docx) lacks a paragraph or character style the converter uses."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _StyleIds(dict[str, str]):
    def __missing__(self, name: str) -> str:
        raise MissingStyleError(name)


class _Converter:
    def __init__(self, target: Any, document: DocxDocument, charts: Mapping[str, Any] | None = None,
                 text_width: int | None = None) -> None:
        self.target = target
        self.text_width = text_width or TEXT_WIDTH  # the page's width between the margins
        self.last: Paragraph | None = None  # the paragraph added last (a signature keeps it on its page)
        self.charts = charts or {}
        # Style names resolved once: python-docx scans every style of the document per lookup.
        self.style_ids = _StyleIds({style.name: style.style_id for style in document.styles})
        self.pictures = 0
        self.document = document
        self.part = document.part
        self.lists: list[tuple[str, int | None]] = []  # (kind, numId for ordered lists)
        self.item_first: list[bool] = []  # per open list: the next paragraph starts a list item
        self.numbered = True  # the current paragraph carries the list's number (not a continuation)
        self.container: str | None = None
        self.after_table = False  # the paragraph after a table gets air above it, not an empty paragraph
        self.new_page = False  # the next paragraph starts a new page (a NEW_PAGE_CONTAINERS block)

    # --- block level -------------------------------------------------------------------------

    def convert(self, tokens: Sequence[Token]) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                level = int(token.tag[1])
                paragraph = self._paragraph(f"Heading {min(level, 4)}")
                self.after_table = False
                self.inline(paragraph, tokens[i + 1].children or [])
                i += 3
                continue
            if kind == "paragraph_open":
                style = self._paragraph_style()
                # A list item's second paragraph continues the item: indented, without a number of its own.
                self.numbered = not self.lists or self.item_first[-1]
                if self.lists:
                    self.item_first[-1] = False
                paragraph = self._paragraph(style)
                if self.after_table:
                    paragraph.paragraph_format.space_before = Pt(10)
                    self.after_table = False
                self.inline(paragraph, tokens[i + 1].children or [])
                i += 3
                continue
            if kind in ("bullet_list_open", "ordered_list_open"):
                ordered = kind == "ordered_list_open"
                start = int(token.attrGet("start") or 1) if ordered else 1
                self.lists.append(("number" if ordered else "bullet", self._new_numbering(start, len(self.lists) + 1) if ordered else None))
                self.item_first.append(True)
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                self.item_first.pop()
            elif kind == "list_item_open" and self.item_first:
                self.item_first[-1] = True
            elif kind == "table_open":
                end = self._find_close(tokens, i, "table_close")
                self.table(tokens[i:end + 1])
                self.after_table = True
                i = end + 1
                continue
            elif kind.startswith("container_") and kind.endswith("_open"):
                self.container = kind[len("container_"):-len("_open")]
                self.new_page = self.container in NEW_PAGE_CONTAINERS
                if self.container in KEEP_WITH_PREVIOUS and self.last is not None:
                    # The signature never starts a page alone: the paragraph before it goes along.
                    self.last.paragraph_format.keep_with_next = True
            elif kind.startswith("container_") and kind.endswith("_close"):
                self.container = None
            elif kind in ("fence", "code_block"):
                for line in token.content.rstrip("\n").split("\n"):
                    paragraph = self._paragraph("Kod")
                    add_text(paragraph.add_run()._r, line)
            elif kind == "hr":
                self._horizontal_rule()
            elif kind == "blockquote_open":
                self.container = self.container or "citat"
            elif kind == "blockquote_close":
                self.container = None if self.container == "citat" else self.container
            i += 1

    def _paragraph(self, style: str) -> Paragraph:
        paragraph: Paragraph = self.target.add_paragraph()
        if style != "Normal":
            paragraph._p.style = self.style_ids[style]
        if self.new_page:
            paragraph.paragraph_format.page_break_before = True
            self.new_page = False
        if self.container in BOXES and self.lists:
            box_paragraph(paragraph, self.document.styles[CONTAINER_STYLES[self.container]])
        self.last = paragraph
        return paragraph

    def _paragraph_style(self) -> str:
        if self.lists:
            kind, _ = self.lists[-1]
            depth = len(self.lists)
            base = "List Number" if kind == "number" else "List Bullet"
            if not self.item_first[-1]:
                base = "List Continue"
            return base if depth == 1 else f"{base} {min(depth, 3)}"
        if self.container == "citat":
            return "Quote"
        if self.container in CONTAINER_STYLES:
            return CONTAINER_STYLES[self.container]
        return "Normal"

    def _find_close(self, tokens: Sequence[Token], start: int, close: str) -> int:
        for j in range(start, len(tokens)):
            if tokens[j].type == close:
                return j
        return len(tokens) - 1

    # --- lists: each ordered list restarts at its own start number -----------------------------

    def _new_numbering(self, start: int, depth: int = 1) -> int | None:
        """A numbering of its own for an ordered list at `depth`, so it starts at `start` and a
        later list (a nested one included) does not continue its numbers."""
        numbering = self.document.part.numbering_part.element
        style = self.document.styles["List Number" if depth == 1 else f"List Number {min(depth, 3)}"]
        num_pr = style.element.pPr.numPr if style.element.pPr is not None else None
        if num_pr is None or num_pr.numId is None:
            return None
        base_num = numbering.num_having_numId(num_pr.numId.val)
        num = numbering.add_num(base_num.abstractNumId.val)
        override = num.add_lvlOverride(ilvl=0)
        override.add_startOverride(start)
        return int(num.numId)

    def _apply_numbering(self, paragraph: Paragraph) -> None:
        if self.numbered and self.lists and self.lists[-1][0] == "number" and self.lists[-1][1] is not None:
            p_pr = paragraph._p.get_or_add_pPr()
            num_pr = p_pr.get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = 0
            num_pr.get_or_add_numId().val = self.lists[-1][1]

    # --- tables ----------------------------------------------------------------------------------

    def table(self, tokens: Sequence[Token]) -> None:
        rows: list[list[tuple[list[Token], str | None]]] = []
        header_rows = 0
        in_head = False
        for j, token in enumerate(tokens):
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                rows.append([])
                header_rows += 1 if in_head else 0
            elif token.type in ("th_open", "td_open"):
                style = str(token.attrGet("style") or "")
                align = style.split(":", 1)[1] if "text-align" in style else None
                rows[-1].append((tokens[j + 1].children or [], str(align) if align else None))
        if not rows:
            return
        columns = max(len(r) for r in rows)
        table = self.target.add_table(rows=len(rows), cols=columns)
        table.style = self.document.styles["Tabell"]
        table.autofit = False
        cells = table._cells  # once: table.cell(r, c) rebuilds the whole grid per call, quadratic in rows
        texts = [[(_plain(children), r < header_rows) for children, _ in row] for r, row in enumerate(rows)]
        widths, size = table_layout(texts, columns, self.text_width)
        for c, width in enumerate(widths):
            table.columns[c].width = width
            for r in range(len(rows)):
                cells[r * columns + c].width = width
        for r, row in enumerate(rows):
            for c, (children, align) in enumerate(row):
                cell = cells[r * columns + c]
                paragraph = cell.paragraphs[0]
                paragraph._p.style = self.style_ids["Tabellrubrik" if r < header_rows else "Tabelltext"]
                if align in ("right", "center"):
                    paragraph.alignment = 2 if align == "right" else 1
                self.inline(paragraph, children)
                if size != TABLE_FONT_SIZE:
                    for run in paragraph._p.iter(qn("w:r")):
                        _font_size(run, size)
            keep_row(table.rows[r]._tr, header=r < header_rows)

    def _horizontal_rule(self) -> None:
        paragraph = self._paragraph("Normal")
        paragraph_border(paragraph._p.get_or_add_pPr(), "bottom", size=6, space=1, color="999999")

    # --- inline ----------------------------------------------------------------------------------

    def inline(self, paragraph: Paragraph, children: Sequence[Token]) -> None:
        self._apply_numbering(paragraph)
        bold = italic = strike = False
        link: Any = None
        for token in children:
            kind = token.type
            if kind == "strong_open":
                bold = True
            elif kind == "strong_close":
                bold = False
            elif kind == "em_open":
                italic = True
            elif kind == "em_close":
                italic = False
            elif kind == "s_open":
                strike = True
            elif kind == "s_close":
                strike = False
            elif kind == "link_open":
                link = self._hyperlink(paragraph, str(token.attrGet("href") or ""))
            elif kind == "link_close":
                link = None
            elif kind in ("text", "code_inline", "softbreak", "hardbreak", "image"):
                text = token.content if kind != "softbreak" else " "
                if kind == "hardbreak":
                    run = paragraph.add_run()
                    run.add_break(WD_BREAK.LINE)
                    continue
                if kind == "image":
                    src = str(token.attrGet("src") or "")
                    chart = self.charts.get(src[len(CHART_SCHEME):]) if src.lower().startswith(CHART_SCHEME) else None
                    if chart is not None:
                        self._picture(paragraph, chart, token.content or "")
                        continue
                    text = token.content or ""  # other images only via the layout: show the alt text
                if not text:
                    continue  # markdown-it's empty text before emphasis: an empty run is noise in Word
                if link is not None:
                    self._link_run(link, text, bold, italic)
                    continue
                run = paragraph.add_run()
                add_text(run._r, text)
                run.bold = bold or None
                run.italic = italic or None
                if strike:
                    run.font.strike = True
                if kind == "code_inline":
                    run.style = self.document.styles["Kodtext"]

    def _picture(self, paragraph: Paragraph, chart: Any, alt: str) -> None:
        """The chart's PNG at its own size, the alt text as the picture's description (Word's alt text)."""
        shape = paragraph.add_run().add_picture(io.BytesIO(chart.png), width=Cm(chart.width_cm))
        self.pictures += 1
        ident = 9000 + self.pictures  # python-docx cannot see the main document's ids from a subdocument
        doc_pr = shape._inline.docPr
        doc_pr.set("id", str(ident))
        doc_pr.set("name", f"Diagram {self.pictures}")
        doc_pr.set("descr", alt)
        for c_nv_pr in shape._inline.xpath(".//pic:cNvPr"):
            c_nv_pr.set("id", str(ident))
            c_nv_pr.set("name", f"diagram-{self.pictures}.png")
            c_nv_pr.set("descr", alt)

    def _hyperlink(self, paragraph: Paragraph, url: str) -> Any:
        if url.startswith("#"):
            element = OxmlElement("w:hyperlink")
            element.set(qn("w:anchor"), url[1:])
        else:
            rel_id = self.part.relate_to(url, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink", is_external=True)
            element = OxmlElement("w:hyperlink")
            element.set(qn("r:id"), rel_id)
        paragraph._p.append(element)
        return element

    def _link_run(self, link: Any, text: str, bold: bool, italic: bool) -> None:
        run = OxmlElement("w:r")
        r_pr = OxmlElement("w:rPr")
        style = OxmlElement("w:rStyle")
        style.set(qn("w:val"), self.style_ids["Hyperlink"])
        r_pr.append(style)
        if bold:
            r_pr.append(OxmlElement("w:b"))
        if italic:
            r_pr.append(OxmlElement("w:i"))
        run.append(r_pr)
        add_text(run, text)
        link.append(run)


TEXT_WIDTH = Cm(16)  # A4 less the margins of base.docx
CELL_PADDING = Cm(0.4)  # Word's default cell margins, 0.19 cm on either side


# What may follow w:pBdr inside w:pPr (ECMA-376 CT_PPrBase): the border goes before the first of these.
_AFTER_BORDER = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
                 "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                 "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                 "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def paragraph_border(p_pr: Any, side: str, *, size: int, space: int, color: str) -> None:
    """A single line on one side of a paragraph (or paragraph style), in the element order Word's
    schema requires: appended at the end of w:pPr it makes the file invalid for Word."""
    border = p_pr.find(qn("w:pBdr"))
    if border is None:
        border = OxmlElement("w:pBdr")
        p_pr.insert_element_before(border, *_AFTER_BORDER)
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", str(space)), ("w:color", color)):
        line.set(qn(key), value)
    border.append(line)


# --- table layout: widths from what the columns hold -----------------------------------------------

TABLE_FONT_SIZE = 10.0  # pt, the Tabelltext and Tabellrubrik styles of base.docx
SMALLEST_TABLE_FONT = 8.0  # a table whose words do not fit at 10 pt is set smaller, down to this
_SLACK = 1.04  # Word's line breaking and kerning differ a little from a sum of advance widths
# What Word must not break at its hyphens: ISO dates, organisations- and personnummer, masked or not
# (2026-08-05, 559123-4561, 19XXXXXX-XXXX). Other hyphens (a phone number's, a word's) break as usual.
_UNBROKEN = re.compile(r"(?<![\dX])(?:\d{4}-\d{2}-\d{2}|[\dX]{6,8}-[\dX]{4})(?![\dX])")


def text_width(text: str, size: float = TABLE_FONT_SIZE, bold: bool = False) -> int:
    """The width of `text` in EMU, in Arial (Liberation Sans) at `size` points."""
    from .text_metrics import BOLD, REGULAR, UNITS_PER_EM

    widths = BOLD if bold else REGULAR
    fallback = widths[ord("n")]
    units = sum(widths.get(ord(char), fallback) for char in text)
    return int(units / UNITS_PER_EM * size * 12700 * _SLACK)


def _words(text: str) -> list[str]:
    """What a line may not break inside: words, and dates and numbers with their hyphens."""
    return text.split() or [""]


def table_layout(cells: list[list[tuple[str, bool]]], columns: int, width: int) -> tuple[list[int], float]:
    """Column widths (EMU, summing to `width`) and the font size (pt) for a table's cells (text,
    header?), the way a browser lays out a table: each column first gets its longest word, so no word
    is broken; what is left goes to the columns with the most text, up to their longest cell on one
    line. When the longest words alone do not fit at 10 pt, the table is set in a smaller size.
    """
    size = TABLE_FONT_SIZE
    while True:
        least, most = [], []
        for c in range(columns):
            column = [(text, header) for row in cells if c < len(row) for text, header in [row[c]]]
            least.append(max((text_width(w, size, h) for t, h in column for w in _words(t)), default=0) + CELL_PADDING)
            most.append(max((text_width(t, size, h) for t, h in column), default=0) + CELL_PADDING)
        if sum(least) <= width or size <= SMALLEST_TABLE_FONT:
            break
        size = max(SMALLEST_TABLE_FONT, round(size - 0.5, 1))
    if sum(least) > width:  # too many long words even at the smallest size: share in proportion
        return [int(width * w / sum(least)) for w in least], size
    if sum(most) <= width:  # every cell fits on one line: widen in proportion to the text
        return [int(w * width / sum(most)) for w in most], size
    spare, wanted = width - sum(least), [m - w for m, w in zip(most, least, strict=True)]
    return [int(w + spare * x / sum(wanted)) for w, x in zip(least, wanted, strict=True)], size


def keep_row(tr: Any, *, header: bool) -> None:
    """A row never splits over two pages; a header row repeats on every page the table runs over.
    (`w:trPr` takes its children in any order.)"""
    tr_pr = tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _font_size(run: Any, size: float) -> None:
    """The run's size in points (`w:sz`, put where the schema wants it among the run's properties)."""
    run.get_or_add_rPr().get_or_add_sz().set(qn("w:val"), str(int(size * 2)))


def _plain(children: Sequence[Token]) -> str:
    return "".join(t.content for t in children if t.type in ("text", "code_inline")) or ""


def add_text(run: Any, text: str) -> None:
    """The text of a run (`w:r`), with a no-break hyphen in each ISO date and organisations- or
    personnummer, so Word never breaks 2026-08-05 or 559123-4561 over two lines."""
    position = 0
    for match in _UNBROKEN.finditer(text):
        _add_t(run, text[position:match.start()])
        for number, part in enumerate(match.group(0).split("-")):
            if number:
                run.append(OxmlElement("w:noBreakHyphen"))
            _add_t(run, part)
        position = match.end()
    _add_t(run, text[position:])


def _add_t(run: Any, text: str) -> None:
    if text:
        element = OxmlElement("w:t")
        element.text = text
        element.set(qn("xml:space"), "preserve")
        run.append(element)


# --- boxes (the decision and the secrecy marking) and the profile's colour ---------------------------

BOXES = ("beslut", "sekretess")  # containers drawn as a box: their style has borders on all sides
KEEP_WITH_PREVIOUS = ("signatur",)


def box_paragraph(paragraph: Paragraph, box_style: Any) -> None:
    """A list paragraph inside a box: the box's borders and its left and right indent, so Word and
    LibreOffice draw the box around it too (they join bordered paragraphs with the same indent into
    one box); the number then stands at the box's edge, the text after a tab."""
    box = box_style.element.pPr
    if box is None:
        return
    p_pr = paragraph._p.get_or_add_pPr()
    borders = box.find(qn("w:pBdr"))
    if borders is not None and p_pr.find(qn("w:pBdr")) is None:
        p_pr.insert_element_before(copy.deepcopy(borders), *_AFTER_BORDER)
    indent = box.find(qn("w:ind"))
    ind = p_pr.get_or_add_ind()
    for side in ("w:left", "w:right"):
        ind.set(qn(side), indent.get(qn(side), "0") if indent is not None else "0")
    ind.set(qn("w:hanging"), "0")


def apply_profile_colour(document: DocxDocument, colour: str) -> None:
    """The organisation's colour (`farg`, `#rrggbb`) on what the PDF shows in it: headings, the
    region's name in the letterhead, the decision box and the line beside a tjänsteskrivelse's head."""
    from docx.shared import RGBColor

    value = colour.lstrip("#").upper()
    if not re.fullmatch(r"[0-9A-F]{6}", value):
        return
    styles = {style.name: style for style in document.styles}
    for name in ("Heading 1", "Heading 2", "Heading 3", "Heading 4", "Title", "Regionnamn"):
        if name in styles:
            styles[name].font.color.rgb = RGBColor.from_string(value)
    for name in ("Beslut", "Tjänsteskrivelse"):
        p_pr = styles[name].element.pPr if name in styles else None
        borders = p_pr.find(qn("w:pBdr")) if p_pr is not None else None
        for line in borders if borders is not None else ():
            line.set(qn("w:color"), value)


def add_markdown(target: Any, document: DocxDocument, markdown: str, charts: Mapping[str, Any] | None = None,
                 text_width: int | None = None) -> None:
    """Append Markdown to a python-docx container (document, cell or docxtpl subdoc).

    `![alt](diagram:NAME)` becomes the PNG of `charts[NAME]` with the alt text as its description.
    `text_width` (EMU): the page's width between its margins, which tables fill (default A4 in base.docx).
    """
    _Converter(target, document, charts, text_width).convert(markdown_parser().parse(markdown))



# --- language and direction of a translated document ----------------------------------------------
# Kept apart from the converter above: it marks what the converter made, after the fact.

# What may follow w:bidi inside w:pPr (ECMA-376 CT_PPrBase).
_AFTER_BIDI = ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
               "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
               "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
# What may follow w:lang inside w:rPr (CT_RPr).
_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")


def set_language(document: DocxDocument, lang: str, rtl: bool = False) -> None:
    """Mark the body of `document` (a docxtpl subdocument) as written in `lang` (BCP 47).

    Right to left (Arabic, Persian): every paragraph gets `w:bidi` (the paragraph runs from the
    right, lists and indents mirror), every table `w:bidiVisual` (first column on the right), and
    every run holding right-to-left letters `w:rtl` with its language in `w:lang/@w:bidi`; Word
    formats such runs with the complex-script properties, so bold and italic are given as
    `w:bCs`/`w:iCs` too. Runs of Latin letters and digits (names, addresses, telephone numbers)
    stay left to right, and the embedding marks the text carries (see `bidi`) keep their order.
    """
    from .bidi import first_strong

    body = document.element.body
    for paragraph in body.iter(qn("w:p")):
        if rtl:
            p_pr = paragraph.get_or_add_pPr()
            if p_pr.find(qn("w:bidi")) is None:
                p_pr.insert_element_before(OxmlElement("w:bidi"), *_AFTER_BIDI)
        for run in paragraph.iter(qn("w:r")):
            text = "".join(t.text or "" for t in run.iter(qn("w:t")))
            if not text:
                continue
            r_pr = run.get_or_add_rPr()
            right_to_left = rtl and any(first_strong(c) == "rtl" for c in text)
            if right_to_left:
                r_pr.get_or_add_rtl()
                if r_pr.find(qn("w:b")) is not None:
                    r_pr.get_or_add_bCs()
                if r_pr.find(qn("w:i")) is not None:
                    r_pr.get_or_add_iCs()
            language = r_pr.find(qn("w:lang"))
            if language is None:
                language = OxmlElement("w:lang")
                r_pr.insert_element_before(language, *_AFTER_LANG)
            language.set(qn("w:bidi" if right_to_left else "w:val"), lang)
    if rtl:
        for table in body.iter(qn("w:tbl")):
            table.tblPr.get_or_add_bidiVisual()
