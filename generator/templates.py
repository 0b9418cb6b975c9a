"""The template catalogue (mallar/), its search path and the one Jinja environment factory."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import InputError, TemplateError
from .formatting import FILTERS
from .resources import bundled

AUDIENCES = {"intern": "Intern", "extern": "Extern", "namnd": "Nämnd eller styrelse"}
SOURCE_NAME = "dokument.md"
LAYOUT = "_layout"


@dataclass(frozen=True)
class DocumentTemplate:
    """One document of the catalogue: its Markdown+Jinja source and front matter."""

    id: str
    title: str
    section: str
    audience: str
    version: str
    valid_from: dt.date
    path: Path

    @property
    def internal(self) -> bool:
        return self.audience == "intern"

    @property
    def name(self) -> str:
        """Loader name, e.g. `kallelse-dialogmote/dokument.md`."""
        return f"{self.id}/{SOURCE_NAME}"


_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def parse_template(path: Path) -> DocumentTemplate:
    text = path.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    if not match:
        raise TemplateError(path, 1, "front matter saknas (börja filen med '---', fälten id, titel, avsnitt, malgrupp, version, giltig_fran och '---')")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise TemplateError(path, 1, f"front matter är inte giltig YAML: {exc}") from None
    missing = [k for k in ("id", "titel", "avsnitt", "malgrupp", "version", "giltig_fran") if k not in meta]
    if missing:
        raise TemplateError(path, 1, f"front matter saknar {', '.join(missing)}")
    if meta["malgrupp"] not in AUDIENCES:
        raise TemplateError(path, 1, f"malgrupp '{meta['malgrupp']}' är okänd; välj bland {', '.join(AUDIENCES)}")
    if meta["id"] != path.parent.name:
        raise TemplateError(path, 1, f"id '{meta['id']}' ska vara samma som mappens namn '{path.parent.name}'")
    if not isinstance(meta["giltig_fran"], dt.date):
        raise TemplateError(path, 1, "giltig_fran ska vara ett datum (ÅÅÅÅ-MM-DD)")
    return DocumentTemplate(
        id=meta["id"],
        title=meta["titel"],
        section=str(meta["avsnitt"]),
        audience=meta["malgrupp"],
        version=str(meta["version"]),
        valid_from=meta["giltig_fran"],
        path=path,
    )


def template_dirs(user_dir: Path | None = None) -> list[Path]:
    """The search path: the user's `--mallar` folder first, then the bundled templates."""
    if user_dir is not None and not user_dir.is_dir():
        raise InputError(f"{user_dir}: mallmappen finns inte (angiven med --mallar).")
    return [*([user_dir] if user_dir else []), bundled("mallar")]


@lru_cache(maxsize=None)
def catalogue(dirs: tuple[Path, ...]) -> dict[str, DocumentTemplate]:
    """Every document template found along the search path; the first folder wins."""
    found: dict[str, DocumentTemplate] = {}
    for folder in dirs:
        for path in sorted(folder.glob(f"*/{SOURCE_NAME}")):
            if path.parent.name.startswith("_") or path.parent.name in found:
                continue
            found[path.parent.name] = parse_template(path)
    return dict(sorted(found.items(), key=lambda item: (_section_key(item[1].section), item[0])))


def _section_key(section: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", section)) or (99,)


def find_template(doc_id: str, dirs: tuple[Path, ...]) -> DocumentTemplate:
    templates = catalogue(dirs)
    if doc_id not in templates:
        import difflib

        close = difflib.get_close_matches(doc_id, list(templates), n=1)
        hint = f" Menade du '{close[0]}'?" if close else " Se 'mallgen documents'."
        searched = ", ".join(str(d) for d in dirs)
        raise InputError(f"dokumentet '{doc_id}' finns inte (sökte i {searched}).{hint}")
    return templates[doc_id]


class Markdown(str):
    """Text that is already Markdown: inserted as is, not escaped."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!{}])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)", re.M)
_ENTITY = re.compile(r"&(?=#?\w+;)")


def escape_markdown(value: Any) -> str:
    """Make plain data print literally in Markdown: `Vård & Omsorg <Nord> AB` stays exactly that."""
    if isinstance(value, Markdown):
        return value
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = " ".join(str(value).split())  # a plain field is one line: keeps tables and lists intact
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def as_markdown(value: Any) -> Markdown:
    """Filter `md`: a free-text field written in Markdown (raw HTML in it is never rendered)."""
    return Markdown("" if value is None else str(value).strip())


Kind = Literal["markdown", "markup"]


class _Loader(jinja2.FileSystemLoader):
    """Loads sources with their front matter blanked out, so line numbers stay those of the file."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        match = _FRONT.match(source)
        if match:
            source = "\n" * match.group(0).count("\n") + source[match.end():]
        return source, filename, uptodate


@lru_cache(maxsize=None)
def environment(dirs: tuple[Path, ...], kind: Kind) -> jinja2.Environment:
    """The only place a Jinja environment is made: sandboxed, strict, same filters everywhere.

    `markdown` renders document sources (plain values are Markdown-escaped), `markup` renders
    HTML and the DOCX header/footer XML (values are HTML/XML-escaped).
    """
    options: dict[str, Any] = dict(
        loader=_Loader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    if kind == "markdown":
        env = ImmutableSandboxedEnvironment(autoescape=False, finalize=escape_markdown, **options)
    else:
        env = ImmutableSandboxedEnvironment(autoescape=True, **options)
    env.filters.update(FILTERS)
    env.filters["md"] = as_markdown
    return env


def template_error(exc: jinja2.TemplateError) -> TemplateError:
    """Turn a Jinja error into one that names the template file and line."""
    path, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:  # runtime errors: Jinja rewrites frames to the template's file and line
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".md", ".html", ".xml")):
            path, line = filename, tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, jinja2.UndefinedError):
        message = f"okänd variabel eller fält: {exc.message}"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        message = f"syntaxfel: {exc.message}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        message = f"mallen '{exc.name}' finns inte"
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"otillåten åtgärd i mallen: {exc}"
    else:
        message = str(exc)
    return TemplateError(path or "mall", line, message)
