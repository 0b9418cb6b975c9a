"""The template catalogue (mallar/), its search path and the one Jinja environment factory."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2.sandbox import MAX_RANGE

from .case import InvalidDate, is_date
from .errors import InputError, TemplateError, os_reason
from .formatting import FILTERS
from .resources import bundled
from .sandbox import BoundedEnvironment, TemplateLimitError
from .sandbox import Markdown as Markdown  # where templates' text types have always been imported from

AUDIENCES = {"intern": "Intern", "extern": "Extern", "namnd": "Nämnd eller styrelse"}
CASE_TYPES = {"fordjupad": "fördjupad uppföljning", "lopande": "löpande uppföljning"}
DEFAULT_SECRECY = "25 kap. 1 § OSL"  # patient data in health care: what a confidential attachment holds
SOURCE_NAME = "dokument.md"
LAYOUT = "_layout"
VERSIONS = "versioner"  # superseded versions of a template: <id>/versioner/<version>.md
SOURCES = ("arende", "arsrapport", "team")  # front matter `underlag`: what a document is made from
# Every front matter key a template may have; `mallgen check` warns about any other.
FRONT_MATTER_KEYS = ("id", "titel", "avsnitt", "malgrupp", "version", "giltig_fran", "giltig_till", "underlag", "arendetyp", "bilaga_till", "sekretess")


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
    source: str = "arende"  # front matter `underlag`: `arende` (a case file), `team` (a team file) or `arsrapport` (`mallgen report`)
    valid_to: dt.date | None = None  # front matter `giltig_till`: the last day this version applies
    file: str = SOURCE_NAME  # the source inside the template folder: dokument.md or versioner/<version>.md
    superseded: tuple[DocumentTemplate, ...] = ()  # older versions kept beside the current one
    case_types: tuple[str, ...] = tuple(CASE_TYPES)  # front matter `arendetyp`: the case types it exists for; absent: both
    parent: str | None = None  # front matter `bilaga_till`: the document this is a confidential attachment to
    secrecy: str | None = None  # front matter `sekretess`: the provision a confidential attachment is marked with
    # A language version of a multilingual template (see `languages`): the template's id, and the language code.
    base: str | None = None
    language: str | None = None

    @property
    def internal(self) -> bool:
        return self.audience == "intern"

    @property
    def confidential(self) -> bool:
        """A confidential attachment: the only kind of document that sees `sekretess: true` fields."""
        return self.parent is not None

    @property
    def template_id(self) -> str:
        """The template's own id: `id`, except for a language version (`<id>-<kod>`)."""
        return self.base or self.id

    @property
    def section_id(self) -> str:
        """The document whose case-file section this one is made from (an attachment: its parent's)."""
        return self.parent or self.template_id

    @property
    def name(self) -> str:
        """Loader name, e.g. `kallelse-dialogmote/dokument.md` or `kallelse-dialogmote/versioner/1.0.md`."""
        return f"{self.template_id}/{self.file}"

    @property
    def folder(self) -> Path:
        """The template's folder (`mallar/<id>`), also for a superseded version."""
        return self.path.parent.parent if self.file != SOURCE_NAME else self.path.parent

    @property
    def versions(self) -> tuple[DocumentTemplate, ...]:
        """This version and every superseded one, newest validity first."""
        return (self, *sorted(self.superseded, key=lambda v: v.valid_from, reverse=True))

    def valid_on(self, date: dt.date) -> bool:
        return self.valid_from <= date and (self.valid_to is None or date <= self.valid_to)

    def version_for(self, date: dt.date) -> DocumentTemplate | None:
        """The version valid on `date` (the latest-starting one if validities overlap), or None."""
        valid = [v for v in self.versions if v.valid_on(date)]
        return max(valid, key=lambda v: v.valid_from, default=None)

    @property
    def validity(self) -> str:
        """`från 2026-01-01` or `2026-01-01 – 2026-06-30`, as `mallgen documents` shows it."""
        if self.valid_to is None:
            return f"från {self.valid_from.isoformat()}"
        return f"{self.valid_from.isoformat()} – {self.valid_to.isoformat()}"

    def as_context(self) -> dict[str, Any]:
        """What a template sees of itself as `mall` (title, section, audience, version)."""
        return {
            "id": self.template_id,
            "titel": self.title,
            "avsnitt": self.section,
            "malgrupp": self.audience,
            "malgrupp_text": AUDIENCES[self.audience],
            "version": self.version,
            "giltig_fran": self.valid_from,
            "giltig_till": self.valid_to,
            "arendetyp": list(self.case_types),
            "bilaga_till": self.parent,
        }


def select_version(template: DocumentTemplate, date: dt.date) -> tuple[DocumentTemplate, str | None]:
    """The version of `template` to render a document dated `date` with, and a warning when no
    version is valid on that date (then the current version is used)."""
    chosen = template.version_for(date)
    if chosen is not None:
        return chosen, None
    known = "; ".join(f"{v.version} ({v.validity})" for v in template.versions)
    return template, (f"ingen version av mallen '{template.id}' gäller {date.isoformat()} (versioner: {known}); "
                      f"dokumentet skapas med version {template.version}")


_TEMPLATE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def front_matter_text(path: Path) -> str | None:
    """The raw front matter of a template source (between the '---' lines), or None."""
    match = _FRONT.match(path.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def front_matter_lines(front: str) -> dict[str, int]:
    """The file line of each top-level front matter key (the file's line 1 is the opening '---')."""
    return {m.group(1): n + 2 for n, line in enumerate(front.split("\n")) if (m := re.match(r"([A-Za-z_][\w-]*)\s*:", line))}


def parse_template(path: Path) -> DocumentTemplate:
    """A template's front matter; `path` is `<id>/dokument.md` or `<id>/versioner/<version>.md`."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(path, None, "mallen är inte sparad som UTF-8") from None
    except OSError as exc:
        raise TemplateError(path, None, f"mallen kan inte läsas ({os_reason(exc)})") from None
    match = _FRONT.match(text)
    if not match:
        raise TemplateError(path, 1, "front matter saknas (börja filen med '---', fälten id, titel, avsnitt, malgrupp, version, giltig_fran och '---')")
    meta = front_matter(path, match.group(1))
    lines = front_matter_lines(match.group(1))

    def at(key: str) -> int:
        return lines.get(key, 1)

    missing = [k for k in ("id", "titel", "avsnitt", "malgrupp", "version", "giltig_fran") if k not in meta]
    if missing:
        raise TemplateError(path, 1, f"front matter saknar {', '.join(missing)}")
    for key in ("id", "titel", "avsnitt", "malgrupp", "version", "underlag"):
        if key in meta and (not isinstance(meta[key], (str, int, float)) or isinstance(meta[key], bool)):
            raise TemplateError(path, at(key), f"{key} ska vara en text, t.ex. {key}: {_FRONT_EXAMPLES[key]}")
    if not str(meta["titel"]).strip():
        raise TemplateError(path, at("titel"), "titeln är tom")
    if meta["malgrupp"] not in AUDIENCES:
        raise TemplateError(path, at("malgrupp"), f"malgrupp '{meta['malgrupp']}' är okänd; välj bland {', '.join(AUDIENCES)}")
    folder = path.parent.parent if path.parent.name == VERSIONS else path.parent
    if meta["id"] != folder.name:
        raise TemplateError(path, at("id"), f"id '{meta['id']}' ska vara samma som mappens namn '{folder.name}'")
    if not _TEMPLATE_ID.fullmatch(meta["id"]):  # it names output files and a YAML section
        raise TemplateError(path, at("id"), f"id '{meta['id']}' får bara innehålla små bokstäver a–z, siffror och bindestreck")
    for key in ("giltig_fran", "giltig_till"):
        if isinstance(meta.get(key), InvalidDate):
            raise TemplateError(path, at(key), f"{key}: datumet {meta[key]} finns inte")
    if not is_date(meta["giltig_fran"]):
        raise TemplateError(path, at("giltig_fran"), "giltig_fran ska vara ett datum (ÅÅÅÅ-MM-DD)")
    if meta.get("underlag", "arende") not in SOURCES:
        raise TemplateError(path, at("underlag"), f"underlag '{meta['underlag']}' är okänt; välj {', '.join(SOURCES[:-1])} eller {SOURCES[-1]}")
    valid_to = meta.get("giltig_till")
    if valid_to is not None and not is_date(valid_to):
        raise TemplateError(path, at("giltig_till"), "giltig_till ska vara ett datum (ÅÅÅÅ-MM-DD)")
    if valid_to is not None and valid_to < meta["giltig_fran"]:
        raise TemplateError(path, at("giltig_till"), "giltig_till är före giltig_fran")
    case_types = meta.get("arendetyp", list(CASE_TYPES))
    case_types = [case_types] if isinstance(case_types, str) else case_types
    if not isinstance(case_types, list) or not case_types or any(not isinstance(t, str) or t not in CASE_TYPES for t in case_types):
        raise TemplateError(path, at("arendetyp"), f"arendetyp ska vara en lista med {' och/eller '.join(CASE_TYPES)}, t.ex. arendetyp: [fordjupad]")
    parent, secrecy = meta.get("bilaga_till"), meta.get("sekretess")
    if parent is not None and (not isinstance(parent, str) or not _TEMPLATE_ID.fullmatch(parent)):
        raise TemplateError(path, at("bilaga_till"), "bilaga_till ska vara id för dokumentet som bilagan hör till, t.ex. bilaga_till: anmodan-om-rattelse")
    if (parent is None) != (secrecy in (None, False)):
        raise TemplateError(path, at("bilaga_till" if parent is not None else "sekretess"),
                            "en sekretessbelagd bilaga anger både bilaga_till (dokumentet den hör till) och "
                            "sekretess (true, eller bestämmelsen, t.ex. 25 kap. 1 § OSL)")
    if secrecy is not None and secrecy is not True and not (isinstance(secrecy, str) and secrecy.strip()):
        raise TemplateError(path, at("sekretess"), "sekretess ska vara true eller sekretessbestämmelsen, t.ex. sekretess: 25 kap. 1 § OSL")
    return DocumentTemplate(
        id=meta["id"],
        title=meta["titel"],
        section=str(meta["avsnitt"]),
        audience=meta["malgrupp"],
        version=str(meta["version"]),
        valid_from=meta["giltig_fran"],
        path=path,
        source=meta.get("underlag", "arende"),
        valid_to=valid_to,
        file=path.relative_to(folder).as_posix(),
        case_types=tuple(t for t in CASE_TYPES if t in case_types),
        parent=parent,
        secrecy=(DEFAULT_SECRECY if secrecy is True else secrecy) if parent else None,
    )


_FRONT_EXAMPLES = {"id": "mallens-id", "titel": "Kallelse till dialogmöte", "avsnitt": '"3.2"', "malgrupp": "extern",
                   "version": '"1.0"', "underlag": "arende"}


def front_matter(path: Path, front: str) -> dict[str, Any]:
    """The front matter's fields, read like a case file (an impossible date is an InvalidDate, an
    alias bomb or a tag is refused); every failure names the template and line."""
    from .case import parse_yaml

    try:
        meta = parse_yaml("\n" + front, path).data  # the file's line 1 is the opening '---'
    except InputError as exc:
        match = re.match(rf"{re.escape(str(path))}:(\d+): (.*)", str(exc), re.S)
        line, message = (int(match.group(1)), match.group(2)) if match else (1, str(exc))
        raise TemplateError(path, line, f"front matter: {message}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise TemplateError(path, 2, "front matter ska bestå av fält (nyckel: värde)")
    return meta


HANDBOOK_DATA = "handbok.yaml"  # beside a template: the handbook's own lists (steps, roles) a handbook owner edits


@cache
def _handbook_data(path: Path) -> Any:
    from .case import read_yaml

    try:
        return read_yaml(path, what="handbokens uppgifter", numbered_keys=True).data  # a case file's limits: no alias bombs
    except InputError as exc:
        match = re.match(rf"{re.escape(str(path))}:(\d+): (.*)", str(exc), re.S)
        line, message = (int(match.group(1)), match.group(2)) if match else (None, str(exc).removeprefix(f"{path}: "))
        raise TemplateError(path, line, f"handbokens uppgifter kan inte läsas: {message}") from None


def handbook_data(template: DocumentTemplate) -> Any:
    """`handbok.yaml` beside the template (`handbok` in its context), or None when it has none.

    What the handbook prescribes as lists (the 19 steps of an action plan, the roles) is data, so a
    handbook owner corrects it without touching the template, and a case file records only its own part.
    """
    path = template.folder / HANDBOOK_DATA
    return _handbook_data(path) if path.is_file() else None


def handbook_section(section: str) -> str:
    """`3.2` -> `3.2`, `4 (steg 3a)` -> `kap. 4, steg 3a`, `5` -> `kap. 5`."""
    if match := re.fullmatch(r"(\d+) \((.+)\)", section):
        return f"kap. {match.group(1)}, {match.group(2)}"
    return f"kap. {section}" if section.isdigit() else section


def template_dirs(user_dir: Path | None = None) -> list[Path]:
    """The search path: the user's `--mallar` folder first, then the bundled templates."""
    if user_dir is not None and not user_dir.is_dir():
        raise InputError(f"{user_dir}: mallmappen finns inte (angiven med --mallar).")
    return [*([user_dir] if user_dir else []), bundled("mallar")]


@cache
def catalogue(dirs: tuple[Path, ...]) -> dict[str, DocumentTemplate]:
    """Every document template found along the search path; the first folder wins."""
    found: dict[str, DocumentTemplate] = {}
    for folder in dirs:
        for path in sorted(folder.glob(f"*/{SOURCE_NAME}")):
            if path.parent.name.startswith("_") or path.parent.name in found:
                continue
            current = parse_template(path)
            older = tuple(parse_template(p) for p in sorted((path.parent / VERSIONS).glob("*.md")))
            found[path.parent.name] = replace(current, superseded=older) if older else current
    if len(dirs) > 1:
        _keep_catalogue_audience(found, catalogue(dirs[-1:]))
    for template in found.values():
        if template.parent is not None and (found.get(template.parent) is None or found[template.parent].parent is not None):
            line = front_matter_lines(front_matter_text(template.path) or "").get("bilaga_till", 1)
            raise TemplateError(template.path, line, f"bilaga_till: dokumentet '{template.parent}' finns inte (eller är själv en bilaga)")
    return dict(sorted(found.items(), key=lambda item: (_section_key(item[1].section), item[0])))


def _keep_catalogue_audience(found: dict[str, DocumentTemplate], bundled: dict[str, DocumentTemplate]) -> None:
    """A user's template for a document of the catalogue keeps the catalogue's audience and, for a
    confidential attachment, its parent: the audience decides which fields a document may see, so a
    user folder declaring `malgrupp: intern` for a letter to the provider would hand it the team's
    internal assessment."""
    for doc_id, template in found.items():
        known = bundled.get(doc_id)
        if known is None or template.path == known.path:
            continue
        for version in template.versions:
            lines = front_matter_lines(front_matter_text(version.path) or "")
            if version.audience != known.audience:
                raise TemplateError(version.path, lines.get("malgrupp", 1),
                                    f"malgrupp: '{doc_id}' är ett dokument i katalogen med målgruppen {known.audience}; "
                                    "en egen mall för det kan inte ändra målgruppen. "
                                    f"Skriv malgrupp: {known.audience}, eller ge mallen ett eget id")
            if version.parent != known.parent:
                expected = f"bilaga_till: {known.parent}" if known.parent else "ingen bilaga_till"
                raise TemplateError(version.path, lines.get("bilaga_till", lines.get("malgrupp", 1)),
                                    f"'{doc_id}' är ett dokument i katalogen med {expected}; en egen mall för det kan inte ändra det")


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


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!{}])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)", re.M)
_ENTITY = re.compile(r"&(?=#?\w+;)")
_WHITESPACE = re.compile(r"[ \t\r\n\f\v\x1c-\x1f\x85\u2028\u2029]+")


def escape_markdown(value: Any) -> str:
    """Make plain data print literally in Markdown: `Vård & Omsorg <Nord> AB` stays exactly that."""
    if isinstance(value, Markdown):
        return value
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    # A plain field is one line (keeps tables and lists intact); only ordinary whitespace is
    # collapsed, so the non-breaking spaces of amounts ("1 234 kr") survive.
    text = _WHITESPACE.sub(" ", str(value)).strip(" ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _CONTAINER_RUN.sub(r"\\\1", text)  # `::: beslut` at the start of a line would open a box
    # The backslash goes before the punctuation: "18\\. september" (a backslash before a digit is no escape in CommonMark).
    return _MD_LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


_CONTAINER_RUN = re.compile(r"(?<!\\)(:{3,})")
_RAW_HTML = re.compile(r"(?<!\\)<")
_IMAGE = re.compile(r"(?<!\\)!\[")
_LINK_TARGET = re.compile(r"(?<!\\)\]\((\s*<?)([^)\s>]*)")
_LINK_DEFINITION = re.compile(r"^([ ]{0,3})\[([^\]\n]+)\]:[ \t]*<?([^\s>]*)", re.M)
DATA_LINK_SCHEMES = ("http://", "https://", "mailto:", "#")


def _safe_target(target: str) -> bool:
    return target.strip().lower().startswith(DATA_LINK_SCHEMES)


def as_markdown(value: Any) -> Markdown:
    """Filter `md`: a free-text field written in Markdown, made safe for every format, the .md file
    included (whatever renders it later):

    - `:::` blocks belong to templates: in data, anywhere (also in a block quote or a list), they
      would forge a secrecy or decision box, so every `:::` is escaped;
    - raw HTML and autolinks: `<` is escaped, so `<script>` stays text;
    - images: `![…](…)` stays text, so no viewer fetches a picture from elsewhere;
    - links: only http(s), mailto and `#`; any other target (`javascript:`, `file:`, `data:`, a
      disguised scheme) leaves the brackets as text.
    """
    text = "" if value is None else str(value).strip()
    text = _CONTAINER_RUN.sub(r"\\\1", text)
    text = _RAW_HTML.sub(r"\\<", text)
    text = _IMAGE.sub(r"\\!\\[", text)
    text = _LINK_TARGET.sub(lambda m: m.group(0) if _safe_target(m.group(2)) else "\\" + m.group(0), text)
    text = _LINK_DEFINITION.sub(lambda m: m.group(0) if _safe_target(m.group(3)) else f"{m.group(1)}\\{m.group(0)[len(m.group(1)):]}", text)
    return Markdown(text)


_URL = re.compile(r"https?://[^\s<>\"'|]+", re.I)
SHORT_LINK = 40  # an address this long is shown as it is; a longer one would run over lines in print


def as_link(value: Any, text: str | None = None) -> Markdown:
    """Filter `lank`: every web address in a plain value becomes a link, clickable in every format.

    What the reader sees is `text` when given (`{{ m.plats.anslutning | lank("Anslut till mötet") }}`),
    else the address itself when it is short, else its host (`teams.microsoft.com`): a long address
    shown in full would break over lines and could not be typed from paper anyway. The rest of the
    value is printed as plain text.
    """
    raw = "" if value is None else _WHITESPACE.sub(" ", str(value)).strip(" ")
    out, position = [], 0
    for match in _URL.finditer(raw):
        url = match.group(0).rstrip(".,;:!?")
        if url.count(")") > url.count("("):
            url = url.rstrip(")")
        out.append(escape_markdown(raw[position:match.start()]))
        shown = text or (url if len(url) <= SHORT_LINK else url.split("/")[2])
        out.append(f"[{escape_markdown(shown)}](<{url.replace('<', '%3C').replace('>', '%3E')}>)")
        position = match.start() + len(url)
    out.append(escape_markdown(raw[position:]))
    return Markdown("".join(out))


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def fill_text(text: Any, values: Any = None, direction: str = "ltr") -> Markdown:
    """Filter `fyll`: a translated text (Markdown, from the template's language file) with its
    `{namn}` placeholders replaced by `values[namn]`, each value escaped as plain data and, in a
    right-to-left text, kept in its own direction (`bidi.keep_direction`).

    `{{ sprak.text.stanger | fyll({"mottagning": vardgivare.verksamhet}, sprak.riktning) }}`.
    A placeholder without a value is an error naming it, so a translation cannot lose a fact silently.
    """
    from .bidi import keep_direction

    given = values if isinstance(values, dict) else {}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in given:
            known = ", ".join(sorted(given)) or "inga"
            raise jinja2.TemplateRuntimeError(f"texten har platshållaren {{{name}}} men mallen ger inget värde för den (finns: {known})")
        item = given[name]
        shown = item if isinstance(item, Markdown) else escape_markdown(item)
        return keep_direction(str(shown), direction)

    return as_markdown(_PLACEHOLDER.sub(value, "" if text is None else str(text)))


Kind = Literal["markdown", "markup"]


class _Loader(jinja2.FileSystemLoader):
    """Loads sources with their front matter blanked out, so line numbers stay those of the file."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        match = _FRONT.match(source)
        if match:
            source = "\n" * match.group(0).count("\n") + source[match.end():]
        return source, filename, uptodate


@cache
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
    markdown = kind == "markdown"  # Markdown: plain values escaped as Markdown; markup: as HTML/XML
    env = BoundedEnvironment(autoescape=not markdown, **({"finalize": escape_markdown} if markdown else {}), **options)
    env.filters.update(FILTERS)
    env.filters["md"] = as_markdown
    env.filters["lank"] = as_link
    env.filters["fyll"] = fill_text
    return env


def reset_caches() -> None:
    """Forget the catalogue and the compiled templates (the live preview re-reads them after an edit)."""
    catalogue.cache_clear()
    environment.cache_clear()
    _handbook_data.cache_clear()


_TEXT_SUFFIXES = (".md", ".html", ".xml", ".txt")


def template_digest(template: DocumentTemplate, dirs: tuple[Path, ...]) -> str:
    """SHA-256 over every file in the template folders a document's rendering can read.

    Those are the document's own folder (with its versions, translations, own layout), every shared folder (named with a leading '_':
    partials in `_gemensamt`, the letterhead and styles in `_layout`, and any added later), and
    the folder of every template its source or a shared template includes or imports by name
    (another document's part, an attachment's parent). If any of them names a template only at
    run time, every folder counts. Each folder is read along the whole search path, with its
    place on it, so an override added in `--mallar` counts too. Cheap: a few hundred kB.
    """
    digest = hashlib.sha256()
    for index, folder in enumerate(dirs):
        for name in sorted(template_folders(template, dirs)):
            root = folder / name
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and not p.name.endswith("~")):
                content = path.read_bytes()
                digest.update(f"{index}\0{path.relative_to(folder).as_posix()}\0{len(content)}\0".encode())
                digest.update(content)
    return "sha256:" + digest.hexdigest()


def template_folders(template: DocumentTemplate, dirs: tuple[Path, ...]) -> set[str]:
    """The template folders (by name) whose files a document's rendering can read; see `template_digest`."""
    every = {p.name for d in dirs if d.is_dir() for p in d.iterdir() if p.is_dir()}
    folders = {template.template_id} | {name for name in every if name.startswith("_")}
    env = environment(dirs, "markdown")
    pending = [template.name] + [
        f"{name}/{p.relative_to(d / name).as_posix()}"
        for d in dirs for name in sorted(folders - {template.template_id}) if (d / name).is_dir()
        for p in sorted((d / name).rglob("*")) if p.suffix in _TEXT_SUFFIXES
    ]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source = env.loader.get_source(env, name)[0] if env.loader is not None else ""
        except jinja2.TemplateNotFound:
            continue  # rendering says so, with the template's line
        names = _referenced(source)
        if names is None:
            return every
        for referenced in names:
            folders.add(referenced.split("/")[0])
            pending.append(referenced)
    return folders


_REFERENCE = re.compile(r"{%[-+]?\s*(?:include|import|extends|from)\b(.*?)[-+]?%}", re.S)
_NAME = re.compile(r"""\s*(["'])([^"'\\]*)\1""")


@lru_cache(maxsize=256)
def _referenced(source: str) -> frozenset[str] | None:
    """The templates a source includes, imports or extends by name; None if one is named only at
    run time (a variable, a list). Read from the tags without parsing the template, which would
    cost more than everything else here; a tag inside a comment only adds a folder, never loses one."""
    names: set[str] = set()
    for argument in _REFERENCE.findall(source):
        name = _NAME.match(argument)
        if name is None:
            return None
        names.add(name.group(2))
    return frozenset(names)


def template_error(exc: Exception) -> TemplateError:
    """Turn an error raised while loading or running a template into one naming its file and line."""
    path, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:  # runtime errors: Jinja rewrites frames to the template's file and line
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".md", ".html", ".xml")):
            path, line = filename, tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, jinja2.UndefinedError):
        message = f"okänd variabel eller fält: {_undefined(exc.message or '')}"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        message = f"syntaxfel: {_syntax(exc.message or '')}"
    elif isinstance(exc, jinja2.TemplateNotFound):
        message = f"mallen '{exc.name}' finns inte"
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        attribute = re.search(r"attribute '([^']+)'", str(exc))
        what = f"attributet '{attribute.group(1)}'" if attribute else "det"
        message = f"otillåten åtgärd: mallen får inte använda {what}. Mallar körs i en sandlåda utan åtkomst till Python och filsystemet"
    elif isinstance(exc, TemplateLimitError):
        message = f"mallen stoppades: {exc}"
    elif isinstance(exc, OverflowError) and "MAX_RANGE" in str(exc):
        message = f"mallen stoppades: range() får ge högst {MAX_RANGE:,} tal".replace(",", " ")
    elif isinstance(exc, jinja2.TemplateError):
        message = str(exc)
    elif isinstance(exc, RecursionError):
        message = "mallen är för djupt nästlad eller anropar sig själv utan slut (oändlig rekursion)"
    elif isinstance(exc, MemoryError):
        message = "mallen stoppades: minnet tog slut (mallen skapar för stora värden)"
    else:
        detail = f": {exc}" if str(exc) else ""
        message = (f"mallen kunde inte köras ({type(exc).__name__}{detail}); kontrollera att filter som "
                   "datum, belopp och klockslag får rätt sorts värde")
    return TemplateError(path or "mall", line, message)


def _undefined(text: str) -> str:
    """Jinja's English for a missing name, in Swedish."""
    if match := re.fullmatch(r"'(.+)' has no attribute '(.+)'", text):
        owner = "ett tomt värde (None)" if match.group(1) == "None" else "värdet"
        return f"fältet '{match.group(2)}' finns inte i {owner}; kontrollera stavningen mot schemat"
    if match := re.fullmatch(r"'(.+)' is undefined", text):
        return f"'{match.group(1)}' finns inte; kontrollera stavningen"
    return text


_SYNTAX: list[tuple[str, Callable[[re.Match[str]], str]]] = [
    (r"unexpected end of template.*looking for the following tags: (.+?)\. The innermost block that needs to be closed is '(\w+)'",
     lambda m: f"mallen tar slut innan blocket '{m.group(2)}' stängs; lägg till {m.group(1).replace(' or ', ' eller ')}"),
    (r"unexpected end of template", lambda m: "mallen tar slut mitt i ett uttryck"),
    (r"unexpected '(.+)'", lambda m: f"oväntat '{m.group(1)}'; kontrollera klamrarna {{{{ }}}} och {{% %}}"),
    (r"unexpected char '(.+)' at \d+", lambda m: f"oväntat tecken '{m.group(1)}'"),
    (r"Encountered unknown tag '(\w+)'", lambda m: f"okänd tagg '{m.group(1)}'"),
    (r"expected token '(.+)', got '(.+)'", lambda m: f"väntade '{m.group(1)}' men fick '{m.group(2)}'"),
    (r"no filter named '(.+)'", lambda m: f"filtret '{m.group(1)}' finns inte (finns: {', '.join([*FILTERS, 'md', 'lank', 'fyll'])})"),
    (r"no test named '(.+)'", lambda m: f"testet '{m.group(1)}' finns inte"),
]


def _syntax(text: str) -> str:
    """Jinja's English for a syntax error, in Swedish where we know the phrase."""
    for pattern, swedish in _SYNTAX:
        if match := re.search(pattern, text, re.S | re.I):
            return swedish(match)
    return text
