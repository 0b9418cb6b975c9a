"""Pure rendering stages: Jinja -> Markdown -> HTML -> PDF/A, and Markdown -> DOCX.

Nothing here writes files. WeasyPrint is imported only when a PDF is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

from .resources import bundled
from .templates import LAYOUT, DocumentTemplate, Markdown, environment, template_error

# Blocks a template can mark with `::: name` … `:::`; each has a look in HTML and a style in DOCX.
CONTAINERS = ("mottagare", "avsandare", "signatur", "beslut", "sekretess", "exempel")
SAFE_SCHEMES = ("http:", "https:", "mailto:")


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

    @property
    def full_title(self) -> str:
        return f"{self.title} – {self.case_title}"

    @property
    def keywords(self) -> list[str]:
        return [self.diarienummer, self.template_id, "avtalsuppföljning"]


def _safe_link(url: str) -> bool:
    """Only web and mail links; never file:, javascript:, data: or anything else."""
    lowered = url.strip().lower()
    return lowered.startswith(SAFE_SCHEMES) or lowered.startswith("#")


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML is never rendered."""
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    for name in CONTAINERS:
        parser.use(container_plugin, name=name)
    parser.validateLink = _safe_link
    return parser


def render_markdown(template: DocumentTemplate, context: dict[str, Any], dirs: tuple[Path, ...]) -> str:
    """Stage 1: the document's Jinja source with its context, giving Markdown."""
    env = environment(dirs, "markdown")
    try:
        text = env.get_template(template.name).render(context)
    except jinja2.TemplateError as exc:
        raise template_error(exc) from None
    return text.strip() + "\n"


def to_markdown_file(body: str, meta: DocumentMeta, dirs: tuple[Path, ...]) -> str:
    """The .md output: a plain header (organisation, diarienummer, date) above the body."""
    return _render_layout(dirs, "markdown", "dokument.md", body=Markdown(body), meta=meta, org=meta.organisation)


def markdown_to_html(markdown: str) -> str:
    return markdown_parser().render(markdown)


def to_html(body: str, meta: DocumentMeta, dirs: tuple[Path, ...], for_pdf: bool = False) -> str:
    """Stage 2: a complete, self-contained HTML page with the shared letterhead."""
    css = (bundled("mallar") / LAYOUT / "stil.css").read_text(encoding="utf-8")
    user_css = next((d / LAYOUT / "stil.css" for d in dirs[:-1] if (d / LAYOUT / "stil.css").is_file()), None)
    if user_css is not None:
        css += "\n" + user_css.read_text(encoding="utf-8")
    fonts = bundled("fonts") if for_pdf else None
    return _render_layout(
        dirs, "markup", "dokument.html",
        body=markdown_to_html(body), meta=meta, org=meta.organisation, css=css,
        for_pdf=for_pdf, fonts=fonts.as_uri() if fonts else "",
    )


def _render_layout(dirs: tuple[Path, ...], kind: str, name: str, **context: Any) -> str:
    env = environment(dirs, kind)  # type: ignore[arg-type]
    try:
        return env.get_template(f"{LAYOUT}/{name}").render(context)
    except jinja2.TemplateError as exc:
        raise template_error(exc) from None


def to_pdf(html: str, meta: DocumentMeta, dirs: tuple[Path, ...]) -> bytes:
    """Stage 3: PDF/A (2a by default, tagged) with embedded fonts and reproducible bytes."""
    from weasyprint import HTML

    fetcher = _restricted_fetcher(tuple(d.resolve() for d in (*dirs, bundled("fonts"))))
    identifier = hashlib.sha256(f"{meta.case_id}/{meta.template_id}/{meta.data_hash}".encode()).hexdigest()[:32].encode()
    document = HTML(string=html, base_url=str(bundled("mallar") / LAYOUT) + "/", url_fetcher=fetcher).render()
    pdf = document.write_pdf(pdf_variant=meta.pdf_variant, pdf_identifier=identifier, uncompressed_pdf=False)
    assert isinstance(pdf, bytes)
    return pdf


@lru_cache(maxsize=None)
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


def to_docx(body: str, meta: DocumentMeta, dirs: tuple[Path, ...]) -> bytes:
    """Stage 2b: the Markdown body as a docxtpl subdocument inside base.docx, reproducible bytes."""
    from docxtpl import DocxTemplate

    from .markdown_docx import add_markdown

    base = _find_layout_file(dirs, meta.template_id, "base.docx")
    template = DocxTemplate(str(base))
    subdoc = template.new_subdoc()
    add_markdown(subdoc.subdocx, subdoc.subdocx, body)
    try:
        template.render({"body": subdoc, "meta": meta, "org": meta.organisation}, jinja_env=environment(dirs, "markup"))
    except jinja2.TemplateError as exc:
        error = template_error(exc)
        raise type(error)(base, None, str(exc)) from None
    moment = dt.datetime.combine(meta.date, dt.time(0, 0))
    props = template.docx.core_properties
    props.title = meta.full_title
    props.subject = meta.diarienummer
    props.author = meta.author
    props.keywords = ", ".join(meta.keywords)
    props.language = "sv-SE"
    props.category = meta.template_id
    props.comments = f"Mall {meta.template_id} version {meta.template_version}; data {meta.data_hash}"
    props.created = props.modified = moment
    props.last_modified_by = meta.author
    props.revision = 1
    buffer = io.BytesIO()
    template.save(buffer)
    return normalize_zip(buffer.getvalue())


def normalize_zip(data: bytes) -> bytes:
    """Same content, same bytes: fixed timestamps and order in the DOCX container."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()

