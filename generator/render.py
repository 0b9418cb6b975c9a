"""Pure rendering stages: Jinja -> Markdown -> HTML -> PDF/A, and Markdown -> DOCX.

Nothing here writes files. WeasyPrint is imported only when a PDF is made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import io
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.container import container_plugin

from .errors import TemplateError
from .resources import bundled
from .templates import LAYOUT, DocumentTemplate, Kind, Markdown, environment, template_error

# Blocks a template can mark with `::: name` … `:::`; each has a look in HTML and a style in DOCX.
CONTAINERS = ("mottagare", "avsandare", "signatur", "beslut", "sekretess", "exempel", "kopia", "bilagor", "tjansteskrivelse", "kvittens")
SAFE_SCHEMES = ("http:", "https:", "mailto:")
CHART_SCHEME = "diagram:"  # `![alt text](diagram:NAME)`: a chart passed to the renderer, never a file
PDF_LANGUAGE = "sv-SE"  # the catalog /Lang and dc:language of every PDF; HTML says lang="sv"


@dataclass(frozen=True)
class DocumentMeta:
    """What every format says about a document: title, case, date, origin."""

    title: str
    case_title: str
    case_id: str
    diarienummer: str
    date: dt.date
    author: str
    organisation: dict[str, Any]
    template_id: str
    template_version: str
    audience: str
    data_hash: str
    pdf_variant: str
    # The secrecy marking as one line (provision, date, authority), repeated in the running header
    # of every page; None when the document holds nothing confidential.
    secrecy: str | None = None
    # "Utkast – för granskning" on every page of a document its recipient has not approved yet
    # (the section's review status, pipeline.draft_marking); None otherwise.
    draft: str | None = None
    # A translated document (see `languages`): its BCP 47 tag, direction and Swedish name; None: Swedish.
    lang: str | None = None
    direction: str = "ltr"
    language_name: str | None = None

    @classmethod
    def of(cls, template: DocumentTemplate, profile: dict[str, Any], *, case_title: str, case_id: str,
           diarienummer: str, date: dt.date, data_hash: str) -> DocumentMeta:
        """A document's facts: the template and the organisation profile say the rest."""
        return cls(
            title=template.title,
            case_title=case_title,
            case_id=case_id,
            diarienummer=diarienummer,
            date=date,
            author=f"{profile['region']}, {profile['forvaltning']}",
            organisation=profile,
            template_id=template.template_id,
            template_version=template.version,
            audience=template.audience,
            data_hash=data_hash,
            pdf_variant=profile.get("arkiv", {}).get("pdf", "pdf/a-2a"),
        )

    @property
    def internal(self) -> bool:
        """Internal documents say so on every page."""
        return self.audience == "intern"

    @property
    def full_title(self) -> str:
        if self.language_name:
            return f"{self.title} ({self.language_name}) – {self.case_title}"
        return f"{self.title} – {self.case_title}"

    @property
    def pdf_language(self) -> str:
        """The catalog /Lang and dc:language: the translation's tag, else Swedish."""
        return self.lang or PDF_LANGUAGE

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def keywords(self) -> list[str]:
        return [self.diarienummer, self.template_id, "avtalsuppföljning"]

    def as_context(self) -> dict[str, Any]:
        """`meta` in a layout: the facts and the derived values as plain data (a layout is a
        template like any other and sees no objects)."""
        facts = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "organisation"}
        return {**facts, "internal": self.internal, "full_title": self.full_title, "pdf_language": self.pdf_language,
                "rtl": self.rtl, "keywords": self.keywords}


def _safe_link(url: str) -> bool:
    """Only web and mail links; never file:, javascript:, data: or anything else."""
    lowered = url.strip().lower()
    return lowered.startswith((*SAFE_SCHEMES, CHART_SCHEME)) or lowered.startswith("#")


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML is never rendered."""
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    for name in CONTAINERS:
        parser.use(container_plugin, name=name)
    parser.validateLink = _safe_link  # type: ignore[method-assign]  # markdown-it-py's documented hook
    parser.core.ruler.push("header_scope", _header_scope)
    parser.core.ruler.push("stray_breaks", _stray_breaks)
    parser.core.ruler.push("email_links", _link_email_addresses)
    parser.add_render_rule("image", _render_image)  # charts; any other image via _image_as_text
    return parser


def _image_as_text(renderer: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
    """Images come only from the layout: a Markdown image shows its alt text, as in DOCX, so a
    document opened in a browser never fetches a picture from somewhere else."""
    return escapeHtml(renderer.renderInlineAsText(tokens[index].children or [], options, env))


def _stray_breaks(state: Any) -> None:
    """A line break a template left with nothing after it never shows: at the end of a paragraph
    CommonMark keeps its backslash as text, and two in a row make an empty line. Both happen when an
    optional value is missing (a contact without phone or e-mail), so they are dropped here, once
    for every template and format."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        children = [c for i, c in enumerate(token.children)
                    if not (c.type == "hardbreak" and (i == 0 or token.children[i - 1].type in ("hardbreak", "softbreak")))]
        while children and children[-1].type in ("hardbreak", "softbreak"):
            children.pop()
        trailing = len(token.content) - len(token.content.rstrip("\\"))
        if trailing % 2 == 1 and children and children[-1].type == "text" and children[-1].content.endswith("\\"):
            children[-1].content = children[-1].content[:-1].rstrip()  # an odd backslash: a break marker, not an escaped "\\"
        token.children = children


def _header_scope(state: Any) -> None:
    """Markdown tables only have a header row: every `th` heads its column (WCAG 1.3.1, H63)."""
    for token in state.tokens:
        if token.type == "th_open":
            token.attrSet("scope", "col")


# A document's Markdown body, at most: about 200 pages. The largest real document (an annual report
# of a region's every contract) is a tenth of it; a PDF of this size takes half a minute, of ten
# times it (a legal but absurd 2 MB case) twenty minutes and gigabytes.
MAX_BODY = 600_000


def body_size_problem(body: str, document: DocumentTemplate) -> str | None:
    """Why `body` is too long to lay out, in Swedish, or None."""
    if len(body) <= MAX_BODY:
        return None
    size, limit = (f"{n:,}".replace(",", "\u00a0") for n in (len(body), MAX_BODY))
    return f"dokumentet '{document.id}' blir {size} tecken långt (högst {limit}, ungefär 200 sidor); korta fritexterna eller dela upp uppgifterna"


# An e-mail address as people write it (Swedish letters in names too), ending in a top-level domain, so
# a full stop after it stays outside: the schema's `namn@exempel.se` fields, and addresses in free text.
EMAIL = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~@-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w@-])")


def _link_email_addresses(state: Any) -> None:
    """Every e-mail address in the text becomes a `mailto:` link (HTML, PDF and DOCX alike), unless it
    already is part of a link's text; code stays code."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, depth = [], 0
        for token in block.children:
            depth += 1 if token.type == "link_open" else -1 if token.type == "link_close" else 0
            if token.type != "text" or depth or not EMAIL.search(token.content):
                children.append(token)
                continue
            position = 0
            for match in EMAIL.finditer(token.content):
                if match.start() > position:
                    children.append(_text_token(token.content[position:match.start()], token))
                link = Token("link_open", "a", 1, attrs={"href": "mailto:" + quote(match.group(), safe="@.!$'*+-=^_`{|}~")})
                children += [link, _text_token(match.group(), token), Token("link_close", "a", -1)]
                position = match.end()
            if position < len(token.content):
                children.append(_text_token(token.content[position:], token))
        block.children = children


def _text_token(content: str, like: Token) -> Token:
    token = Token("text", "", 0, content=content)
    token.level = like.level
    return token


def render_markdown(template: DocumentTemplate, context: dict[str, Any], dirs: tuple[Path, ...]) -> str:
    """Stage 1: the document's Jinja source with its context, giving Markdown."""
    env = environment(dirs, "markdown")
    try:
        text = env.get_template(template.name).render(context)
    except Exception as exc:  # a filter given the wrong kind of value raises anything; name the line
        raise template_error(exc) from None
    return text.strip() + "\n"


def to_markdown_file(body: str, meta: DocumentMeta, dirs: tuple[Path, ...]) -> str:
    """The .md output, plain text for e-mail: a plain header (organisation, diarienummer, date) above
    the body without `:::` blocks, backslash breaks or escapes (see generator/plain_text.py)."""
    from .plain_text import to_plain_text

    text = to_plain_text(markdown_parser().parse(body))
    return _render_layout(dirs, "markdown", "dokument.md", body=Markdown(text), meta=meta.as_context(), org=meta.organisation)


def markdown_to_html(markdown: str, charts: Mapping[str, Any] | None = None) -> str:
    """Markdown to HTML; `![alt](diagram:NAME)` becomes the chart `charts[NAME]` as inline SVG."""
    return str(markdown_parser().render(markdown, {"charts": charts or {}}))


def _render_image(renderer: Any, tokens: Sequence[Any], idx: int, options: Any, env: dict[str, Any]) -> str:
    """A chart as inline SVG with role="img", its alt text as aria-label and <title>.

    Any other image, and a chart name that was not passed, shows its alt text (`_image_as_text`).
    """
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    chart = (env.get("charts") or {}).get(src[len(CHART_SCHEME):]) if src.lower().startswith(CHART_SCHEME) else None
    if chart is None:
        return _image_as_text(renderer, tokens, idx, options, env)
    alt = escape(renderer.renderInlineAsText(token.children or [], options, env), quote=True)
    svg = str(chart.svg)
    head = svg.index(">", svg.index("<svg")) + 1
    opening = svg[:head].replace("<svg", f'<svg role="img" aria-label="{alt}" class="diagram" style="max-width: 100%;"', 1)
    return f"{opening}<title>{alt}</title>{svg[head:]}"


def to_html(body: str, meta: DocumentMeta, dirs: tuple[Path, ...], for_pdf: bool = False, charts: Mapping[str, Any] | None = None) -> str:
    """Stage 2: a complete, self-contained HTML page with the shared letterhead."""
    css = (bundled("mallar") / LAYOUT / "stil.css").read_text(encoding="utf-8")
    user_css = next((d / LAYOUT / "stil.css" for d in dirs[:-1] if (d / LAYOUT / "stil.css").is_file()), None)
    if user_css is not None:
        css += "\n" + style_sheet(user_css)
    fonts = bundled("fonts") if for_pdf else None
    return _render_layout(
        dirs, "markup", "dokument.html",
        body=markdown_to_html(body, charts), meta=meta.as_context(), org=meta.organisation, css=css,
        for_pdf=for_pdf, fonts=fonts.as_uri() if fonts else "",
    )


MAX_CSS_BYTES = 1024 * 1024  # a style sheet is a few kB


def style_sheet(path: Path) -> str:
    """A user's style sheet, safe to put inside `<style>`: `<` is written as the CSS escape `\\3c `,
    which means the same in a CSS string and cannot end the element (`</style><script>`)."""
    try:
        if path.stat().st_size > MAX_CSS_BYTES:
            raise TemplateError(path, None, f"stilmallen är för stor (högst {MAX_CSS_BYTES // 1024} kB)")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise TemplateError(path, line, "stilmallen är inte sparad som UTF-8; spara den som UTF-8 i din textredigerare") from None
    except OSError as exc:
        from .errors import os_reason

        raise TemplateError(path, None, f"stilmallen kan inte läsas ({os_reason(exc)})") from None
    return text.replace("<", "\\3c ")


def _render_layout(dirs: tuple[Path, ...], kind: Kind, name: str, **context: Any) -> str:
    env = environment(dirs, kind)
    try:
        return env.get_template(f"{LAYOUT}/{name}").render(context)
    except Exception as exc:  # as in render_markdown
        raise template_error(exc) from None


def load_weasyprint() -> None:
    """Import WeasyPrint without the fifty processes its search for libraries starts on Linux.

    WeasyPrint asks cffi for each library under every platform's name in turn ('libpango-1.0-0',
    'pango-1.0-0', 'pango-1.0', 'libpango-1.0.so.0', ...). cffi hands each name it cannot open to
    ctypes.util.find_library, which on Linux runs ldconfig, gcc and ld to look for it: half the
    cost of `import weasyprint`, spent on names that cannot exist here. The list also names every
    library by its Linux soname, which the dynamic loader opens directly. So the search is left out
    while WeasyPrint loads its libraries; on a system where that is not enough (other sonames), the
    import is simply done again the ordinary way.
    """
    if "weasyprint.text.ffi" in sys.modules or not sys.platform.startswith("linux"):
        return
    import ctypes.util

    search = ctypes.util.find_library
    ctypes.util.find_library = _not_searched
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints its installation help before failing
            importlib.import_module("weasyprint.text.ffi")
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = search


def _not_searched(name: str) -> None:
    return None


def to_pdf(html: str, meta: DocumentMeta, dirs: tuple[Path, ...]) -> bytes:
    """Stage 3: PDF/A (2a by default) with embedded fonts, tags, provenance in XMP and reproducible bytes."""
    load_weasyprint()
    from weasyprint import HTML

    from .pdfa import ArchivalMetadata, ambiguous, finish_pdf
    from .wordbreaks import keep_word_breaks, record_word_breaks

    fetcher = _restricted_fetcher(tuple(d.resolve() for d in (*dirs, bundled("fonts"))))
    identifier = hashlib.sha256(f"{meta.case_id}/{meta.template_id}/{meta.data_hash}".encode()).hexdigest()[:32].encode()
    record_word_breaks()
    document = HTML(string=html, base_url=str(bundled("mallar") / LAYOUT) + "/", url_fetcher=fetcher).render(font_config=_font_config())
    keep_word_breaks(document)  # before drawing: the tag text keeps the space where a line wraps
    moment = f"{meta.date.isoformat()}T00:00:00+00:00"
    document.metadata = ArchivalMetadata(
        provenance={
            "template": meta.template_id, "templateVersion": meta.template_version, "dataHash": meta.data_hash, "case": meta.case_id,
        },
        title=meta.full_title,
        authors=[meta.author],
        description=meta.diarienummer,
        keywords=meta.keywords,
        generator=f"mallgen – mall {meta.template_id} version {meta.template_version}",
        created=moment,
        modified=moment,
        lang=meta.pdf_language,
        attachments=document.metadata.attachments,
    )
    # Tags also for PDF/A-1b: the level-b profile does not ask for them, but the accessibility law does.
    # The object and cross-reference streams pydyf compresses last end in CR about once in 128 files;
    # an empty object more gives them other bytes (pdfa.compress_streams handles every other stream).
    for padding in range(8):
        pdf = document.write_pdf(
            pdf_variant=meta.pdf_variant, pdf_identifier=identifier, pdf_tags=True, uncompressed_pdf=False,
            finisher=partial(finish_pdf, padding=padding),
        )
        assert isinstance(pdf, bytes)
        if not ambiguous(pdf):
            return pdf
    raise AssertionError("every PDF written has a stream ending in CR")  # 2**-56: never


@lru_cache(maxsize=1)
def _font_config() -> Any:
    """One fontconfig set-up per process, shared by every PDF (it is the slow part of a first render)."""
    load_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _restricted_fetcher(roots: tuple[Path, ...]) -> Any:
    """WeasyPrint may read files from the template and font folders only: no network, no other files."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("file://"):
                raise ValueError(f"blocked non-local resource: {url}")
            from urllib.parse import unquote, urlparse

            path = Path(unquote(urlparse(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in roots):
                raise ValueError(f"blocked file outside the template folders: {path}")
            return URLFetcherResponse(url, body=path.read_bytes())

    return RestrictedFetcher(allowed_protocols={"file"})


def _find_layout_file(dirs: tuple[Path, ...], template_id: str, name: str) -> Path:
    """A document's own layout file beside its source wins over the shared one."""
    for folder in dirs:
        for candidate in (folder / template_id / name, folder / LAYOUT / name):
            if candidate.is_file():
                return candidate
    return bundled("mallar") / LAYOUT / name


def to_docx(body: str, meta: DocumentMeta, dirs: tuple[Path, ...], charts: Mapping[str, Any] | None = None) -> bytes:
    """Stage 2b: the Markdown body as a docxtpl subdocument inside base.docx, reproducible bytes."""
    from docxtpl import DocxTemplate

    from .markdown_docx import MissingStyleError, add_markdown, apply_profile_colour, set_language

    base = _find_layout_file(dirs, meta.template_id, "base.docx")
    try:
        template = DocxTemplate(str(base))
        subdoc = template.new_subdoc()
        section = template.get_docx().sections[0]
        width = section.page_width - section.left_margin - section.right_margin if section.page_width else None
    except Exception as exc:  # python-docx raises many kinds for a file that is no Word document
        raise TemplateError(base, None, f"Word-mallen kan inte läsas: den är ingen giltig DOCX-fil ({type(exc).__name__}). "
                            "Spara den på nytt som Word-dokument (.docx)") from None
    try:
        apply_profile_colour(template.get_docx(), str(meta.organisation.get("farg") or ""))  # before boxes copy borders
        add_markdown(subdoc.subdocx, subdoc.subdocx, body, charts, text_width=width)
    except MissingStyleError as exc:
        raise TemplateError(base, None, f"Word-mallen saknar formatmallen '{exc.name}'; utgå från den inbyggda "
                            "mallar/_layout/base.docx, som har alla formatmallar dokumenten använder") from None
    if meta.lang is not None:
        set_language(subdoc.subdocx, meta.lang, rtl=meta.rtl)
    # The body goes in as its WordprocessingML text, never as the Subdoc: its python-docx document
    # has a save() that writes anywhere, and a layout is a template like any other.
    body_xml = Markup(str(subdoc))
    try:
        template.render({"body": body_xml, "meta": meta.as_context(), "org": meta.organisation}, jinja_env=environment(dirs, "markup"))
    except Exception as exc:  # as in render_markdown; the XML of a DOCX has no line numbers worth naming
        error = template_error(exc)
        raise TemplateError(base, None, str(error).split(": mallfel: ", 1)[-1]) from None
    buffer = io.BytesIO()
    template.save(buffer)
    return normalize_zip(buffer.getvalue(), {"docProps/core.xml": core_properties(meta), **word_native(buffer.getvalue())})


def to_formats(body: str, meta: DocumentMeta, formats: tuple[str, ...], dirs: tuple[Path, ...],
               charts: Mapping[str, Any] | None = None) -> list[tuple[str, bytes, str]]:
    """One Markdown body in every requested format: (extension, bytes, the text a reader sees).

    The text feeds the leak scan; for a PDF it is the HTML page WeasyPrint laid out.
    """
    from .leaks import extract_text, html_text

    out: list[tuple[str, bytes, str]] = []
    for extension in formats:
        if extension == "md":
            content = to_markdown_file(body, meta, dirs).encode("utf-8")
        elif extension == "html":
            content = to_html(body, meta, dirs, charts=charts).encode("utf-8")
        elif extension == "pdf":
            page = to_html(body, meta, dirs, for_pdf=True, charts=charts)
            # The scan reads the page WeasyPrint lays out, and what the XMP metadata says of the document.
            metadata = "\n".join([meta.full_title, meta.author, meta.diarienummer, meta.case_id, *meta.keywords])
            out.append((extension, to_pdf(page, meta, dirs), html_text(page) + "\n" + metadata))
            continue
        else:
            content = to_docx(body, meta, dirs, charts=charts)
        out.append((extension, content, extract_text(extension, content)))
    return out


def core_properties(meta: DocumentMeta) -> bytes:
    """docProps/core.xml written directly: docxcompose rebinds python-docx's `cp` prefix to another
    namespace, which would put keywords, category and revision outside the core-properties schema."""
    from lxml import etree

    cp, dc, dcterms = ("http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
                       "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/")
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(f"{{{cp}}}coreProperties", nsmap={"cp": cp, "dc": dc, "dcterms": dcterms, "xsi": xsi})
    moment = f"{meta.date.isoformat()}T00:00:00Z"
    for namespace, name, value in (
        (dc, "title", meta.full_title),
        (dc, "subject", meta.diarienummer),
        (dc, "creator", meta.author),
        (cp, "keywords", ", ".join(meta.keywords)),
        (dc, "description", f"Mall {meta.template_id} version {meta.template_version}; data {meta.data_hash}"),
        (cp, "lastModifiedBy", meta.author),
        (cp, "revision", "1"),
        (dcterms, "created", moment),
        (dcterms, "modified", moment),
        (cp, "category", meta.template_id),
        (dc, "language", meta.pdf_language),
    ):
        element = etree.SubElement(root, f"{{{namespace}}}{name}")
        element.text = value
        if namespace == dcterms:
            element.set(f"{{{xsi}}}type", "dcterms:W3CDTF")
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


# --- Word-native package parts: what Word 365 itself would write ------------------------------------

W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WORD_COMPATIBILITY = "http://schemas.microsoft.com/office/word"
WORD_2013 = "15"  # compatibilityMode of Word 2013 and later: no "Kompatibilitetsläge" in Word 365


def word_native(docx: bytes) -> dict[str, bytes]:
    """New word/settings.xml and docProps/app.xml for a DOCX (see `word_settings`, `app_properties`)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        settings = package.read("word/settings.xml")
    return {"word/settings.xml": word_settings(settings), "docProps/app.xml": app_properties()}


def word_settings(settings: bytes) -> bytes:
    """The current Word mode (compatibilityMode 15) instead of Word 2010's, and the Swedish decimal comma
    and list separator (`;`) for fields and formulas. A setting the document lacks is left alone."""
    from lxml import etree

    root = etree.fromstring(settings)
    w = f"{{{W_MAIN}}}"
    compat = root.find(f"{w}compat")
    if compat is not None:
        for legacy in compat.findall(f"{w}useFELayout"):  # a Word 2010 layout option Word 2013 no longer writes
            compat.remove(legacy)
        mode = next((c for c in compat.iterfind(f"{w}compatSetting") if c.get(f"{w}name") == "compatibilityMode"), None)
        if mode is None:
            mode = etree.SubElement(compat, f"{w}compatSetting", {f"{w}name": "compatibilityMode", f"{w}uri": WORD_COMPATIBILITY})
        mode.set(f"{w}val", WORD_2013)
    for name, value in (("decimalSymbol", ","), ("listSeparator", ";")):
        element = root.find(f"{w}{name}")
        if element is not None:
            element.set(f"{w}val", value)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


def app_properties() -> bytes:
    """docProps/app.xml naming mallgen as the application that wrote the document."""
    from lxml import etree

    from . import __version__

    namespace = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
    root = etree.Element(f"{{{namespace}}}Properties", nsmap={None: namespace})
    for name, value in (("Application", f"mallgen {__version__}"), ("DocSecurity", "0"), ("ScaleCrop", "false"),
                        ("LinksUpToDate", "false"), ("SharedDoc", "false"), ("HyperlinksChanged", "false")):
        etree.SubElement(root, f"{{{namespace}}}{name}").text = value
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


def normalize_zip(data: bytes, replace: dict[str, bytes] | None = None) -> bytes:
    """Same content, same bytes: fixed timestamps and order in the DOCX container (`replace`: new part contents)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, (replace or {}).get(info.filename) or source.read(info.filename))
    return out.getvalue()

