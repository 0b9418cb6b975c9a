"""Build mallar/_layout/base.docx: the Word letterhead every DOCX is rendered into.

The file is committed so a handbook owner can open and adjust it in Word; this script is how it
was made and how to remake it after changing the house style here. Run from the repo root:

    python scripts/make_base_docx.py
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from generator.markdown_docx import paragraph_border

FONT = "Arial"  # LibreOffice substitutes the metric-compatible Liberation Sans
ACCENT = RGBColor(0x1D, 0x4F, 0x73)  # 8.9:1 on white; each DOCX gets the profile's `farg` instead
ACCENT_HEX = "1D4F73"
TEXT_WIDTH = Cm(16)
OUT = Path(__file__).resolve().parent.parent / "mallar" / "_layout" / "base.docx"


def _font(style, size: float, bold: bool = False, color: RGBColor | None = None, italic: bool = False) -> None:
    style.font.name = FONT
    fonts = style.element.rPr.rFonts
    fonts.set(qn("w:eastAsia"), FONT)
    # A theme font (the default headings' Calibri Light) wins over the named one: drop it, so the
    # headings are in Arial as in the PDF.
    for key in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(key), None)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = italic
    if color is not None:
        style.font.color.rgb = color


def _spacing(style, before: float, after: float, keep_next: bool = False) -> None:
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.keep_with_next = keep_next


def _swedish(document) -> None:
    """Document language sv-SE for spelling, hyphenation and screen readers."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    for key in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(key), "sv-SE")
    fonts = r_pr.find(qn("w:rFonts"))
    for key in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(key), FONT)
    for key in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(key), None)
    settings = document.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    theme_lang.set(qn("w:val"), "sv-SE")


def _paragraph_style(document, name: str, size: float = 11, **kwargs) -> object:
    styles = document.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles["Normal"]
    _font(style, size, **{k: v for k, v in kwargs.items() if k in ("bold", "color", "italic")})
    _spacing(style, kwargs.get("before", 0), kwargs.get("after", 6), kwargs.get("keep_next", False))
    return style


def _left_border(style) -> None:
    """The accent line left of a tjänsteskrivelse's head, as in the PDF."""
    paragraph_border(style.element.get_or_add_pPr(), "left", size=24, space=8, color=ACCENT_HEX)
    style.paragraph_format.left_indent = Cm(0.3)


def _box(style, size: int, color: str) -> None:
    """A line on every side, as the PDF draws the decision and the secrecy marking. Word and
    LibreOffice join consecutive paragraphs with the same borders and indent into one box; the
    indent keeps the lines inside the margins (a border stands `space` points outside the text)."""
    p_pr = style.element.get_or_add_pPr()
    for side in ("top", "left", "bottom", "right"):
        paragraph_border(p_pr, side, size=size, space=4, color=color)
    style.paragraph_format.left_indent = style.paragraph_format.right_indent = Cm(0.25)


def _field(paragraph, instruction: str) -> None:
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice both update."""
    def char(kind: str):
        run = OxmlElement("w:r")
        fld = OxmlElement("w:fldChar")
        fld.set(qn("w:fldCharType"), kind)
        run.append(fld)
        return run

    paragraph._p.append(char("begin"))
    run = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run.append(instr)
    paragraph._p.append(run)
    paragraph._p.append(char("separate"))
    value = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    value.append(text)
    paragraph._p.append(value)
    paragraph._p.append(char("end"))


def _tabbed(container, left: str, right: str, style: str, bold_left: bool = False) -> object:
    paragraph = container.add_paragraph(style=style)
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    run = paragraph.add_run(left)
    run.bold = bold_left or None
    paragraph.add_run("\t" + right)
    return paragraph


def _letterhead(container, first, style: str) -> object:
    """The markings and the three letterhead lines, from paragraph `first` of `container` on.

    The markings are on every page: "Intern – lämnas inte ut" on internal documents, "Utkast – för
    granskning" on drafts, the secrecy marking (OSL 5 kap. 5 §) on confidential ones. docxtpl's {%p %}
    tags remove their own paragraph, so a document without a marking has no empty line."""
    first.text = "{%p if meta.internal %}"
    marking = container.add_paragraph(style=style)
    marking.add_run("Intern – lämnas inte ut").bold = True
    marking.paragraph_format.space_after = Pt(4)
    container.add_paragraph("{%p endif %}")
    container.add_paragraph("{%p if meta.draft %}")
    marking = container.add_paragraph(style=style)
    marking.add_run("{{ meta.draft }}").bold = True
    marking.paragraph_format.space_after = Pt(4)
    container.add_paragraph("{%p endif %}")
    container.add_paragraph("{%p if meta.secrecy %}")
    marking = container.add_paragraph(style=style)
    marking.add_run("{{ meta.secrecy }}").bold = True
    marking.paragraph_format.space_after = Pt(4)
    container.add_paragraph("{%p endif %}")
    line = container.add_paragraph(style=style)
    line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    line.add_run("{{ org.region }}", style="Regionnamn")  # bold, in the profile's colour (set per document)
    line.add_run("\tDiarienummer {{ meta.diarienummer }}")
    _tabbed(container, "{{ org.forvaltning }}", "Datum {{ meta.date | iso }}", style)
    return _tabbed(container, "{{ org.avdelning }}", "{% if org.fiktiv %}EXEMPEL – fiktiv region{% endif %}", style)


def _page_footer(footer, styles) -> None:
    """The same footer as the PDF's: the region and its address, the page, the template and version."""
    line = footer.paragraphs[0]
    line.style = styles["Footer"]
    line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    line.add_run("{{ org.region }} · {{ org.postadress }} · Tel {{ org.telefon }} · {{ org.webbplats }}\tSida ")
    _field(line, "PAGE")
    line.add_run(" (")
    _field(line, "NUMPAGES")
    line.add_run(")")
    origin = footer.add_paragraph(style="Footer")
    origin.add_run("Mall {{ meta.template_id }} version {{ meta.template_version }}")


def build() -> Path:
    document = Document()
    _swedish(document)
    styles = document.styles
    _font(styles["Normal"], 11)
    _spacing(styles["Normal"], 0, 6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    for level, size in ((1, 18), (2, 14), (3, 12), (4, 11)):
        style = styles[f"Heading {level}"]
        _font(style, size, bold=True, color=ACCENT)
        _spacing(style, 18 if level == 1 else 12, 6, keep_next=True)
    _font(styles["Title"], 20, bold=True, color=ACCENT)
    for name in ("List Bullet", "List Bullet 2", "List Bullet 3", "List Number", "List Number 2", "List Number 3"):
        _spacing(styles[name], 0, 3)
    _font(styles["Quote"], 11, italic=True)
    for name in ("Header", "Footer"):
        _font(styles[name], 9 if name == "Header" else 8.5, color=None if name == "Header" else RGBColor(0x4D, 0x4D, 0x4D))
        styles[name].paragraph_format.tab_stops.clear_all()  # the default centre tab breaks the layout
        for stop in styles[name].element.pPr.findall(qn("w:tabs")):
            styles[name].element.pPr.remove(stop)
    letterhead = _paragraph_style(document, "Brevhuvud", size=9, after=0)
    letterhead.paragraph_format.line_spacing = 1.0
    recipient = _paragraph_style(document, "Mottagare", after=18)
    recipient.paragraph_format.left_indent = Cm(8.5)
    _paragraph_style(document, "Avsändare", size=10, before=12, after=0)
    # A decision's signature block is several paragraphs (decision line, signatories): one unit.
    _paragraph_style(document, "Signatur", before=24, after=0, keep_next=True)
    # The decision box is one unit, kept with what follows it (the signature).
    _box(_paragraph_style(document, "Beslut", before=6, after=6, keep_next=True), size=8, color=ACCENT_HEX)
    _box(_paragraph_style(document, "Sekretess", size=10, bold=True, after=12), size=16, color="1A1A1A")
    _paragraph_style(document, "Exempel", size=9, italic=True, color=RGBColor(0x59, 0x59, 0x59))
    _paragraph_style(document, "Kopia", size=10, before=12, after=0)
    _paragraph_style(document, "Bilagor", size=10, before=12, after=0)
    head = _paragraph_style(document, "Tjänsteskrivelse", before=0, after=12)
    _left_border(head)
    _paragraph_style(document, "Kod", size=9, after=0)
    _paragraph_style(document, "Tabellrubrik", size=10, bold=True, after=0)
    _paragraph_style(document, "Tabelltext", size=10, after=0)
    styles["Kod"].font.name = "Courier New"
    code = styles.add_style("Kodtext", WD_STYLE_TYPE.CHARACTER)
    code.font.name = "Courier New"
    region = styles.add_style("Regionnamn", WD_STYLE_TYPE.CHARACTER)  # the region's name in the letterhead
    region.font.bold = True
    region.font.size = Pt(11)
    region.font.color.rgb = ACCENT
    link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = RGBColor(0x0B, 0x5C, 0xAD)
    link.font.underline = True
    table = styles.add_style("Tabell", WD_STYLE_TYPE.TABLE)
    table.base_style = styles["Table Grid"]
    table.paragraph_format.space_after = Pt(0)

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(3.2), Cm(2.5)
    section.header_distance = section.footer_distance = Cm(1.2)
    section.start_type = WD_SECTION.NEW_PAGE

    # Page 1 carries its letterhead as the first lines of the body, where a screen reader reads it once
    # before the title (Word's headers are outside the reading order); from page 2 on it is the header.
    section.different_first_page_header_footer = True
    header = section.header
    header.is_linked_to_previous = False
    _letterhead(header, header.paragraphs[0], "Header")
    section.first_page_header.is_linked_to_previous = False
    for footer in (section.footer, section.first_page_footer):
        footer.is_linked_to_previous = False
        _page_footer(footer, styles)

    body = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    last = _letterhead(document, document.add_paragraph(), "Brevhuvud")
    last.paragraph_format.space_after = Pt(18)
    document.element.body.remove(body._p)
    body = document.add_paragraph()
    body.text = "{{p body }}"
    document.core_properties.language = "sv-SE"
    document.core_properties.author = ""
    document.core_properties.title = ""
    document.core_properties.comments = ""
    document.core_properties.last_modified_by = ""
    document.core_properties.revision = 1
    package_rels = document.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):  # python-docx's preview picture of another document
            del package_rels[rel_id]
    for rel_id, rel in list(document.part.rels.items()):
        # Word 2010's copy of the styles, still in English (en-US): Word 2013+ and LibreOffice use styles.xml.
        if rel.reltype.endswith("/stylesWithEffects"):
            del document.part.rels[rel_id]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(OUT))
    _word_native(OUT)
    return OUT


def _word_native(path: Path) -> None:
    """Word 2013+ mode, Swedish separators and an app.xml naming mallgen: the same parts every rendered
    DOCX gets, so the letterhead opened in Word 365 is not in "Kompatibilitetsläge" either."""
    from generator.render import normalize_zip, word_native

    data = path.read_bytes()
    path.write_bytes(normalize_zip(data, word_native(data)))


if __name__ == "__main__":
    print(build())
