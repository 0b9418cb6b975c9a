"""The library API the CLI calls: validate and render case files. Only `output` writes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .case import Source, read_yaml
from .context import build_context
from .errors import DataError, InputError, MallgenError, Problem, UsageError
from .organisation import load_profile, profile_path
from .render import DocumentMeta, render_markdown, to_docx, to_html, to_markdown_file, to_pdf
from .rules import check, refused_personnummer
from .schema import case_schema, schema_dirs, section_key, validate
from .templates import DocumentTemplate, catalogue, find_template, template_dirs

FORMATS = ("pdf", "docx", "html", "md")


@dataclass
class Options:
    """What a user chose on the command line, with the defaults of the brief."""

    documents: list[str] = field(default_factory=list)  # empty: every document the case holds data for
    formats: tuple[str, ...] = FORMATS
    templates: Path | None = None
    organisation: Path | None = None

    @property
    def dirs(self) -> tuple[Path, ...]:
        return tuple(template_dirs(self.templates))


@dataclass
class Case:
    """A validated case, ready to render."""

    source: Source
    data: dict[str, Any]
    schema: dict[str, Any]
    profile: dict[str, Any]
    documents: list[DocumentTemplate]
    data_hash: str
    warnings: list[Problem]

    @property
    def id(self) -> str:
        return str(self.data["arende"]["id"])


@dataclass(frozen=True)
class Rendered:
    """One output file's bytes, not yet written."""

    document: DocumentTemplate
    extension: str
    content: bytes


def parse_formats(text: str | None) -> tuple[str, ...]:
    if not text:
        return FORMATS
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UsageError(f"okänt format: {', '.join(unknown) or text!r}; välj bland {','.join(FORMATS)}")
    return chosen


def data_hash(data: dict[str, Any], profile: dict[str, Any]) -> str:
    canonical = json.dumps({"arende": data, "organisation": profile}, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_case(path: Path, options: Options) -> tuple[Case | None, list[Problem]]:
    """Read and check one case file. Returns the case (None if it has errors) and every problem."""
    dirs = options.dirs
    known = catalogue(dirs)
    for doc_id in options.documents:
        find_template(doc_id, dirs)  # unknown -d names fail before any file is read
    source = read_yaml(path)
    profile_file = profile_path(path, source.data, options.organisation)
    try:
        profile, problems = load_profile(profile_file)
    except InputError as exc:
        raise InputError(f"{path}: organisationsprofilen kunde inte läsas: {exc}") from None
    sdirs = schema_dirs(options.templates)
    schema = case_schema(list(known), set(options.documents), sdirs)
    data, case_problems = validate(source, schema, sdirs, profile.get("diarienummer_monster"))
    problems += case_problems
    if not any(not p.warning for p in case_problems):
        problems += check(data, source, profile)
    chosen = options.documents or [d for d in known if section_key(d) in data]
    documents = [known[d] for d in chosen]
    if profile.get("sekretess", {}).get("personnummer") == "vagra":
        problems += refused_personnummer(data, source, [section_key(d.id) for d in documents if not d.internal] + ["avvikelser", "vardgivare", "avtal"])
    if not documents and not any(not p.warning for p in problems):
        problems.append(source.problem((), "ärendet har inga uppgifter för något dokument; lägg till en sektion, t.ex. 'kallelse_dialogmote:' (se 'mallgen documents')"))
    if any(not p.warning for p in problems):
        return None, problems
    return Case(source, data, schema, profile, documents, data_hash(data, profile), problems), problems


def validate_files(paths: list[Path], options: Options) -> tuple[list[Case], list[Problem]]:
    """Check every file; raise DataError with all errors of all files at once, else return cases and warnings."""
    cases: list[Case] = []
    problems: list[Problem] = []
    failures: list[str] = []
    for path in paths:
        try:
            case, found = load_case(path, options)
        except InputError as exc:
            failures.append(str(exc))
            continue
        problems += found
        if case is not None:
            cases.append(case)
    if failures or any(not p.warning for p in problems):
        raise DataError(problems, failures)
    return cases, problems


def document_meta(case: Case, document: DocumentTemplate) -> DocumentMeta:
    section = case.data.get(section_key(document.id), {})
    profile = case.profile
    return DocumentMeta(
        title=document.title,
        case_title=case.data["arende"]["rubrik"],
        case_id=case.id,
        diarienummer=case.data["arende"]["diarienummer"],
        date=section.get("datum") or case.data["arende"]["startdatum"],
        author=f"{profile['region']}, {profile['forvaltning']}",
        organisation=profile,
        template_id=document.id,
        template_version=document.version,
        audience=document.audience,
        data_hash=case.data_hash,
        pdf_variant=profile.get("arkiv", {}).get("pdf", "pdf/a-2a"),
    )


def render_document(case: Case, document: DocumentTemplate, formats: tuple[str, ...], dirs: tuple[Path, ...]) -> list[Rendered]:
    """All requested formats of one document, in memory."""
    context = build_context(case.data, case.schema, document, case.profile, case.data_hash)
    meta = document_meta(case, document)
    body = render_markdown(document, context, dirs)
    out: list[Rendered] = []
    for extension in formats:
        if extension == "md":
            content = to_markdown_file(body, meta, dirs).encode("utf-8")
        elif extension == "html":
            content = to_html(body, meta, dirs).encode("utf-8")
        elif extension == "pdf":
            content = to_pdf(to_html(body, meta, dirs, for_pdf=True), meta, dirs)
        else:
            content = to_docx(body, meta, dirs)
        out.append(Rendered(document, extension, content))
    return out


def tool_version() -> str:
    return f"mallgen {__version__}"


__all__ = ["Case", "MallgenError", "Options", "Rendered", "load_case", "render_document", "validate_files"]
