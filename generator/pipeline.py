"""The library API the CLI calls: validate and render case files. Only `output` writes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, languages, leaks
from .case import Source, is_date, read_yaml
from .charts import case_charts
from .context import build_context, has_secret_data, strip_internal, strip_marked
from .errors import DataError, InputError, MallgenError, Problem, UsageError, working_on
from .formatting import find_personnummer, mask_personnummer, public_numbers
from .indicators import read_indicators
from .leaks import duplicated_internal_text
from .organisation import board, example_profile_warning, is_profile, load_profile, profile_path, uses_example_profile
from .placeholders import left_in, placeholder_context
from .rules import check, refused_personnummer
from .schema import case_schema, schema_digest, schema_dirs, section_key, validate
from .team import check_team, is_team_file, team_context, team_folder, team_title
from .templates import (
    CASE_TYPES,
    DocumentTemplate,
    catalogue,
    environment,
    find_template,
    select_version,
    template_digest,
    template_dirs,
    template_error,
)

if TYPE_CHECKING:
    from .render import DocumentMeta

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
    # Per document id: its confidential attachments that have data (they are numbered in its letter).
    attachments: dict[str, list[DocumentTemplate]] = field(default_factory=dict)
    # What documents see that comes from other files: a section's indicator tables (`indikatorer`,
    # by section key), a team's routine cases (`bedomningar`). Part of the data hash.
    derived: dict[str, Any] = field(default_factory=dict)
    # A team file (`team:`, `ar:`) names its own output folder (team.team_folder); a case uses its id.
    folder: str | None = None

    @property
    def id(self) -> str:
        """The name of the output folder: the case id, or a team file's folder."""
        return self.folder or str(self.data["arende"]["id"])

    @property
    def is_team(self) -> bool:
        return self.folder is not None and "arende" not in self.data

    @property
    def diarienummer(self) -> str | None:
        """The case's diarienummer; a team file's, when its planning is registered."""
        value = self.data.get("diarienummer") if self.is_team else self.data["arende"].get("diarienummer")
        return str(value) if value else None


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
        named = ", ".join(unknown) if unknown else repr(text)
        raise UsageError(f"okänt format: {named}; välj bland {','.join(FORMATS)}")
    return chosen


def data_hash(data: dict[str, Any], profile: dict[str, Any], derived: dict[str, Any] | None = None) -> str:
    """One hash over everything a case's documents are made from (`derived`: data read from other files)."""
    content = {"arende": data, "organisation": profile, **({"underlag": derived} if derived else {})}
    canonical = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_case(path: Path, options: Options, source: Source | None = None) -> tuple[Case | None, list[Problem]]:
    """Read and check one case file. Returns the case (None if it has errors) and every problem.

    `source`: the file already parsed (a template's sample merged with its base), not read again.
    """
    _check_documents(options)
    # A template's sample (passed in) may show the skeleton's placeholders; a case file may not.
    from_file = source is None
    source = read_yaml(path) if source is None else source
    if is_team_file(source.data):
        return _load_team(path, source, options, from_file)
    if is_profile(source.data):
        return None, check_profile(path)
    return _check_case(path, source, options, from_file)


def _check_documents(options: Options) -> None:
    """Unknown -d names fail before any file is read."""
    for doc_id in options.documents:
        try:
            template = find_template(doc_id, options.dirs)
        except InputError as exc:
            raise UsageError(str(exc)) from None
        if template.source == "arsrapport":
            raise UsageError(f"dokumentet '{doc_id}' sammanställs ur ett helt års underlag med 'mallgen report --year ÅÅÅÅ INDATA...', inte ur en ärendefil.")


def _check_case(path: Path, source: Source, options: Options, from_file: bool = True, in_folder: bool = False) -> tuple[Case | None, list[Problem]]:
    """A case file found in a folder is one of many: `-d` asks for the documents it has data for
    (not that it must have them), and one with no document yet is returned without documents."""
    known = catalogue(options.dirs)
    profile_file = profile_path(path, source.data, options.organisation)
    try:
        profile, problems = load_profile(profile_file)
    except InputError as exc:
        named_in_case = options.organisation is None and "organisation" in source.data
        where = f"{path}:{source.line_of(('organisation',))}: organisation:" if named_in_case else f"{path}:"
        raise InputError(f"{where} organisationsprofilen kunde inte läsas: {exc}") from None
    if any(not p.warning for p in problems):
        return None, problems  # nothing of the case can be checked against a broken profile
    if from_file and uses_example_profile(path, source.data, options.organisation):  # samples are the example region's
        problems.append(source.problem((), example_profile_warning(profile, profile_file), warning=True))
    sdirs = schema_dirs(options.templates)
    own = case_documents(known)
    asked = [d for d in options.documents if d in own]
    if not in_folder:
        problems += _from_other_input(options.documents, known, source, "team", "ett teamunderlag (team:, ar:)", "en ärendefil")
    schema = case_schema(own, set() if in_folder else {known[d].section_id for d in asked}, sdirs)
    data, case_problems = validate(source, schema, sdirs, profile.get("diarienummer_monster"))
    problems += case_problems
    problems += check(data, source, profile, malformed=any(not p.warning for p in case_problems))
    if from_file:
        problems += left_in(data, schema, source, placeholder_context(sdirs))
    chosen = asked or ([] if options.documents else [d for d in own if section_key(d) in data and not known[d].confidential])
    if in_folder:  # one case of many: the chosen documents it has data for
        chosen = [d for d in chosen if section_key(known[d].section_id) in data]
    attachments = {
        parent: [t for t in known.values() if t.parent == parent and has_secret_data(data, schema, parent)]
        for parent in dict.fromkeys(known[d].section_id for d in chosen)
    }
    documents: list[DocumentTemplate] = []
    for doc_id in chosen:  # a confidential attachment is made with its document, right after it
        template = known[doc_id]
        for item in [template, *(attachments.get(doc_id, []) if not template.confidential else [])]:
            if any(d.id == item.id for d in documents):
                continue
            date = document_date(data, item.section_id)  # each document in the template version valid on its date
            version, warning = select_version(item, date) if is_date(date) else (item, None)
            documents.append(version)
            if warning:
                problems.append(source.problem((section_key(item.section_id), "datum"), warning, warning=True))
    documents, language_problems = languages.expand(documents, data, source)
    problems += language_problems
    problems += _wrong_case_type(documents, data, source)
    problems += _attachments_without_data(documents, attachments, data, source)
    if profile.get("sekretess", {}).get("personnummer") == "vagra" and not all(d.internal for d in documents):
        shared = [k for k in schema if k not in {section_key(d) for d in known} and k != "organisation"]
        # Confidential fields only reach a confidential attachment, which shows personnummer as the
        # profile's `bilaga_personnummer` says; a sole trader's organisationsnummer is shown as written.
        visible = strip_marked(strip_internal(data, {"type": "dict", "schema": schema}), {"type": "dict", "schema": schema}, "sekretess")
        visible = _without_personnummer_fields(visible)
        keys = shared + [section_key(d.id) for d in documents if not d.internal and not d.confidential]
        problems += refused_personnummer(visible, source, keys, public_numbers(data))
    if not any(not p.warning for p in problems):
        problems += duplicated_internal_text(data, schema, source)
    if not documents and not in_folder and not any(not p.warning for p in problems):
        problems.append(source.problem((), "ärendet har ännu inga uppgifter för något dokument; fyll i en dokumentsektion, "
                                       "t.ex. 'kallelse_dialogmote:' (i en fil från 'mallgen new': ta bort '# ' framför "
                                       "sektionens rader; se 'mallgen documents')"))
    derived: dict[str, Any] = {}
    if not any(not p.warning for p in problems):
        derived, found = read_indicators(documents, data, source, path)
        problems += found
    if any(not p.warning for p in problems):
        return None, problems
    return Case(source, data, schema, profile, documents, data_hash(data, profile, derived), problems, attachments, derived), problems


def case_documents(known: dict[str, DocumentTemplate]) -> list[str]:
    """The documents made from a case file (`underlag: arende`), in catalogue order."""
    return [doc_id for doc_id, template in known.items() if template.source == "arende"]


def _from_other_input(documents: list[str], known: dict[str, DocumentTemplate], source: Source, kind: str,
                      made_from: str, given: str) -> list[Problem]:
    """A document asked for with -d that is made from another kind of input file than this one."""
    return [source.problem((), f"dokumentet '{doc_id}' ({known[doc_id].title}) görs ur {made_from}, inte ur {given}")
            for doc_id in documents if known[doc_id].source == kind]


def _load_team(path: Path, source: Source, options: Options, from_file: bool = True, in_folder: bool = False) -> tuple[Case | None, list[Problem]]:
    """A team file: its planning documents, and the assessment compiled from its routine cases.
    `from_file`: read from disk (not a template's sample), so skeleton placeholders left in are errors.
    `in_folder`: one input of many, so -d naming only case documents is no error here."""
    known = catalogue(options.dirs)
    problems = [] if in_folder else _from_other_input(options.documents, known, source, "arende", "en ärendefil (arende:)", "ett teamunderlag")
    sdirs = schema_dirs(options.templates)
    checked = check_team(path, source, known, [d for d in options.documents if known[d].source == "team"], sdirs, options.organisation)
    if from_file and checked.data is not None and uses_example_profile(path, source.data, options.organisation):
        problems.append(source.problem((), example_profile_warning(checked.profile, profile_path(path, source.data, options.organisation)), warning=True))
    problems += checked.problems
    if from_file and checked.data is not None:
        problems += left_in(checked.data, checked.schema, source, placeholder_context(sdirs))
    if checked.data is None or any(not p.warning for p in problems):
        return None, problems
    case = Case(source, checked.data, checked.schema, checked.profile, checked.documents,
                data_hash(checked.data, checked.profile, checked.derived), problems, {}, checked.derived, team_folder(checked.data))
    return case, problems


def check_profile(path: Path) -> list[Problem]:
    """An organisation profile given where a case file is expected: checked as a profile (its own
    problems, with its lines), and said to be one, rather than reported as a broken case."""
    _, problems = load_profile(path)
    if any(not p.warning for p in problems):
        return problems
    return [*problems, Problem(str(path), 0, "", "det här är en organisationsprofil, inte en ärendefil; den är giltig. Ärenden "
                                              "använder den med fältet 'organisation:', med --organisation eller när den ligger "
                                              "bredvid dem som organisation.yaml", warning=True)]


def _wrong_case_type(documents: list[DocumentTemplate], data: dict[str, Any], source: Source) -> list[Problem]:
    """A document that belongs to in-depth follow-up only is not made for a routine case (and back)."""
    arende = data.get("arende")
    kind = arende.get("typ") if isinstance(arende, dict) else None
    problems: list[Problem] = []
    for document in documents:
        if kind not in CASE_TYPES or kind in document.case_types or document.confidential:
            continue
        key = section_key(document.section_id)
        belongs = " och ".join(CASE_TYPES[t] for t in document.case_types)
        message = (f"dokumentet '{document.id}' ({document.title}) hör bara till {belongs}, men ärendet är en "
                   f"{CASE_TYPES[kind]} (arende.typ: {kind})")
        if key in data:
            problems.append(source.problem((key,), message + "; ta bort sektionen eller ändra arende.typ"))
        else:
            problems.append(source.problem(("arende", "typ"), message))
    return problems


def _attachments_without_data(documents: list[DocumentTemplate], attachments: dict[str, list[DocumentTemplate]],
                              data: dict[str, Any], source: Source) -> list[Problem]:
    """An attachment asked for with -d whose document's section has nothing confidential to show."""
    problems: list[Problem] = []
    for document in documents:
        if document.confidential and document.id not in {t.id for t in attachments.get(document.section_id, [])} and section_key(document.section_id) in data:
            key = section_key(document.section_id)
            problems.append(source.problem((key,), f"dokumentet '{document.id}' är en sekretessbelagd bilaga till "
                                           f"'{document.section_id}', men sektionen {key} har inga sekretessbelagda uppgifter att visa"))
    return problems


def validate_files(paths: list[Path], options: Options) -> tuple[list[Case], list[Problem]]:
    """Check every file; raise DataError with all errors of all files at once, else return cases and warnings."""
    checked = check_inputs(paths, options)
    return checked.cases, checked.warnings


@dataclass
class Skipped:
    """A file found in a folder that is not a case file: named to the user, never rendered."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Checked:
    """Every input checked: the valid cases, their warnings, and the files of folders that are not cases."""

    cases: list[Case]
    warnings: list[Problem]
    skipped: list[Skipped]


YAML_SUFFIXES = (".yaml", ".yml")


def input_files(paths: list[Path]) -> list[tuple[Path, bool]]:
    """Each file named, and each YAML file below a folder named (in name order): `(path, found in a folder)`.

    The same file named twice is checked and rendered once. Links to folders are not followed (no
    loops); a path that cannot be looked at (a link loop, a name too long) is passed on as a file,
    and reading it says what is wrong.
    """
    found: list[tuple[Path, bool]] = []
    for path in paths:
        if _is_dir(path):
            members = _yaml_below(path)
            found += [(member, True) for member in members] if members else [(path, True)]  # an empty folder: said in check_inputs
        else:
            found.append((path, False))
    seen: dict[Path, tuple[Path, bool]] = {}
    for path, in_folder in found:
        try:
            key = path.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
            key = path
        seen.setdefault(key, (path, in_folder))
    return list(seen.values())


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _yaml_below(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, folders, files in os.walk(folder):  # os.walk follows no link to a folder
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found += [Path(root) / name for name in files
                  if Path(name).suffix.lower() in YAML_SUFFIXES and not name.startswith(".") and (Path(root) / name).is_file()]
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def check_inputs(paths: list[Path], options: Options, advance: Callable[[], object] | None = None) -> Checked:
    """Check every case file named or found in the folders named; raise DataError with all errors
    of all files at once. `advance` is called once per file (for a progress bar)."""
    _check_documents(options)
    files = input_files(paths)
    cases: list[Case] = []
    problems: list[Problem] = []
    failures: list[str] = []
    skipped: list[Skipped] = []
    for path, in_folder in files:
        try:
            with working_on(path):
                if in_folder and _is_dir(path):
                    raise InputError(f"{path}: mappen innehåller inga ärendefiler (.yaml).")
                if in_folder:
                    source = read_yaml(path)
                    reason = _not_a_case(source.data)
                    if reason:
                        skipped.append(Skipped(path, reason))
                        continue
                    if is_team_file(source.data) and options.documents and not any(catalogue(options.dirs)[d].source == "team" for d in options.documents):
                        skipped.append(Skipped(path, "teamunderlaget har inget av de valda dokumenten (-d) – hoppas över"))
                        continue
                    if is_team_file(source.data):
                        case, found = _load_team(path, source, options, in_folder=True)
                    else:
                        case, found = _check_case(path, source, options, in_folder=True)
                    if case is not None and not case.documents:
                        problems += found
                        wanted = "för de valda dokumenten (-d)" if options.documents else "för något dokument"
                        skipped.append(Skipped(path, f"{'teamunderlaget' if case.is_team else 'ärendet'} har inga uppgifter {wanted} ännu – hoppas över"))
                        continue
                else:
                    case, found = load_case(path, options)
        except InputError as exc:
            failures.append(str(exc))
            continue
        finally:
            if advance is not None:
                advance()
        problems += found
        if case is not None:
            cases.append(case)
    problems += _shared_case_ids(cases)
    problems = list(dict.fromkeys(problems))  # a routine case read for its team's assessment and on its own reports once
    if failures or any(not p.warning for p in problems):
        raise DataError(problems, failures)
    return Checked(cases, problems, skipped)


def _not_a_case(data: dict[str, Any]) -> str | None:
    """Why a YAML file found in a folder is neither a case file nor a team file, or None when it
    is one (or should be)."""
    if "arende" in data or is_team_file(data):
        return None
    if is_profile(data):
        return "organisationsprofil, inget ärende – hoppas över"
    if isinstance(data.get("rapport"), dict):
        return "rapportfil till årsrapporten (mallgen report), inget ärende – hoppas över"
    return None  # checked as a case: the user is told what is missing


def _shared_case_ids(cases: list[Case]) -> list[Problem]:
    """Two case files with the same id would write into (and overwrite) the same folder."""
    seen: dict[str, Case] = {}
    problems: list[Problem] = []
    for case in cases:
        first = seen.setdefault(case.id, case)
        if first is not case and case.is_team:
            message = (f"det finns redan ett teamunderlag för {case.data['team']['avtalsomrade']} {case.data['ar']} "
                       f"({first.source.name}); två teamunderlag kan inte dela mappen {case.id}")
            problems.append(case.source.problem(("team", "avtalsomrade"), message))
        elif first is not case:
            message = f"ärende-id '{case.id}' används redan i {first.source.name}; två ärenden kan inte dela mapp"
            problems.append(case.source.problem(("arende", "id"), message))
    return problems


class Fingerprints:
    """What each document's files are made from, as the manifest records it ('dokument' → id).

    A document whose record in the manifest equals this one, and whose files are those the
    manifest names, is not rendered again: its data (case and profile), the profile, its
    template's version and the content of every template file it can read, the schemas that
    shape its context, and the tool's version are all the same as when it was written. Computed
    once per run and document; a template's files are read at most once per run.
    """

    def __init__(self, options: Options) -> None:
        self.options = options
        self._templates: dict[str, str] = {}
        self._profiles: dict[int, tuple[dict[str, Any], str]] = {}
        self._schema: str | None = None

    def entry(self, case: Case, document: DocumentTemplate) -> dict[str, str]:
        if document.name not in self._templates:  # per version: cases of different dates may use different ones
            self._templates[document.name] = template_digest(document, self.options.dirs)
        if self._schema is None:
            self._schema = schema_digest(schema_dirs(self.options.templates))
        return {
            **manifest_entry(document, case.data_hash),
            "organisation": self._profile(case.profile),
            "mallfiler": self._templates[document.name],
            "schema": self._schema,
            "verktyg": tool_version(),
        }

    def _profile(self, profile: dict[str, Any]) -> str:
        known = self._profiles.get(id(profile))
        if known is None or known[0] is not profile:  # profiles are shared between a region's cases
            canonical = json.dumps(profile, sort_keys=True, default=str, ensure_ascii=False)
            known = (profile, "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest())
            self._profiles[id(profile)] = known
        return known[1]


def manifest_entry(document: DocumentTemplate, data: str) -> dict[str, str]:
    """The manifest's record of a document: its template and the data it was made from."""
    entry = {
        "mall": document.folder.name,  # the template, also when one template makes several files
        "version": document.version,
        "giltig_fran": document.valid_from.isoformat(),
        **({"giltig_till": document.valid_to.isoformat()} if document.valid_to else {}),
        "malgrupp": document.audience,
        "data": data,
    }
    if document.parent is not None:  # a registrar files it with its letter, as confidential
        entry |= {"bilaga_till": document.parent, "sekretess": str(document.secrecy)}
    return entry


def document_date(data: dict[str, Any], document_id: str) -> Any:
    """A document's date: its section's `datum`, else the case's start date."""
    section, case = data.get(section_key(document_id)), data.get("arende")  # either may be malformed yet
    return (section.get("datum") if isinstance(section, dict) else None) or (case.get("startdatum") if isinstance(case, dict) else None)


def document_meta(case: Case, document: DocumentTemplate) -> DocumentMeta:
    from .render import DocumentMeta  # rendering only: `validate` starts without Markdown and the renderers

    if case.is_team:
        title, date = team_title(case.data), document_date(case.data, document.section_id) or dt.date(case.data["ar"], 1, 1)
    else:
        title, date = case.data["arende"]["rubrik"], document_date(case.data, document.section_id)
    meta = DocumentMeta.of(
        document, case.profile,
        case_title=title if document.internal else mask_personnummer(title, public_numbers(case.data)),
        case_id=case.id,
        diarienummer=case.diarienummer or NO_DIARIENUMMER,
        date=date,
        data_hash=case.data_hash,
    )
    if document.language is not None and document.language != languages.SWEDISH:
        spoken = languages.language(document, document.language)
        meta = replace(meta, lang=spoken["lang"], direction=spoken["riktning"], language_name=spoken["namn"])
    return replace(meta, draft=draft_marking(case.data, document))


NO_DIARIENUMMER = "–"  # a team's planning that is not registered
# Review statuses (definitioner.yaml, `granskning`) before the recipient approved the text.
DRAFT_STATUSES = ("utkast", "for_granskning")
DRAFT_MARKING = "Utkast – för granskning"


def draft_marking(data: dict[str, Any], document: DocumentTemplate) -> str | None:
    """"Utkast – för granskning" on every page of a document whose section's review status
    (`granskning.status`) says it is not approved yet; the layout prints it beside the other markings."""
    section = data.get(section_key(document.section_id))
    review = section.get("granskning") if isinstance(section, dict) else None
    status = review.get("status") if isinstance(review, dict) else None
    return DRAFT_MARKING if status in DRAFT_STATUSES else None


def document_context(case: Case, document: DocumentTemplate) -> dict[str, Any]:
    """What the template of `document` sees for this case (its section, letter parts, mandates)."""
    if case.is_team:
        return team_context(case.data, case.schema, document, case.profile, case.data_hash, case.derived)
    context = build_context(case.data, case.schema, document, case.profile, case.data_hash, case.attachments.get(document.section_id, []))
    context["indikatorer"] = case.derived.get("indikatorer", {}).get(section_key(document.section_id), [])
    return context


def render_document(case: Case, document: DocumentTemplate, formats: tuple[str, ...], dirs: tuple[Path, ...]) -> list[Rendered]:
    """All requested formats of one document, in memory."""
    with working_on(f"{case.source.name} ({document.id})"):
        return _render_document(case, document, formats, dirs)


def _render_document(case: Case, document: DocumentTemplate, formats: tuple[str, ...], dirs: tuple[Path, ...]) -> list[Rendered]:
    from .render import body_size_problem, render_markdown, to_formats  # rendering only (see document_meta)

    context = document_context(case, document)
    # A document's charts (charts.CASE_CHARTS) are drawn only when a format needs them; the
    # template sees each one's alt text as `diagram.<name>`.
    charts = case_charts(document.id, context)
    context["diagram"] = {name: chart.alt for name, chart in charts.items()}
    meta = document_meta(case, document)
    body = render_markdown(document, context, dirs)
    if (too_long := body_size_problem(body, document)) is not None:
        raise DataError([case.source.problem((section_key(document.section_id),), too_long)])
    marking = secrecy_marking(case, document, body, meta.date)
    if marking is not None:
        body = render_secrecy(marking, context, dirs) + "\n" + body
        meta = replace(meta, secrecy=secrecy_line(marking))
    outputs = to_formats(body, meta, formats, dirs, charts)
    texts = {extension: text for extension, _, text in outputs}
    leaks.check(case, document, texts)
    return [Rendered(document, extension, content) for extension, content, _ in outputs]


# --- secrecy marking (OSL 5 kap. 5 §) ---------------------------------------------------------

OSL = "offentlighets- och sekretesslagen (2009:400)"
DEFAULT_PROVISION = f"25 kap. 1 § {OSL}"  # patient data in health care
SECRECY_PARTIAL = "_gemensamt/sekretess.md"


def secrecy_marking(case: Case, document: DocumentTemplate, body: str, date: Any) -> dict[str, Any] | None:
    """The secrecy marking a document carries, or None when it holds nothing confidential.

    The rule: a confidential attachment is always marked, with the provision of its front matter;
    a case with an `arende.sekretess` block marks every one of its documents with the provision,
    date and authority given there; any other document is marked when its text holds a
    personnummer (masked or not), which in this work means patient data (25 kap. 1 § OSL). A sole
    trader's organisationsnummer (a personnummer) is no patient data and marks nothing.
    The date defaults to the document's date, the authority to the responsible board.
    """
    given = (case.data.get("arende") or {}).get("sekretess")
    holds_personnummer = find_personnummer(body, public_numbers(case.data)) or leaks.MASKED.search(body)
    if not isinstance(given, dict) and not document.confidential and not holds_personnummer:
        return None
    given = dict(given) if isinstance(given, dict) else {}
    if document.secrecy:
        given["bestammelse"] = document.secrecy
    board_id = (case.data.get("avtal") or {}).get("namnd") or (case.data.get("team") or {}).get("namnd") or ""
    responsible = board(case.profile, board_id) or {}
    authority = ", ".join(x for x in (responsible.get("namn"), case.profile.get("region")) if x)
    provision = str(given.get("bestammelse") or DEFAULT_PROVISION)
    # Read from the case itself, not the masked context: mask what leaves the team here too.
    shown = (lambda text: text) if document.internal else (lambda text: mask_personnummer(text, public_numbers(case.data)))
    return {
        "bestammelse": shown(re.sub(r"\bOSL\b", OSL, provision)),
        "datum": given.get("datum") or date,
        "myndighet": shown(str(given.get("myndighet") or authority)),
    }


def secrecy_line(marking: dict[str, Any]) -> str:
    """The marking on one line, for the running header of every page."""
    return f"SEKRETESS enligt {marking['bestammelse']} · {marking['datum'].isoformat()} · {marking['myndighet']}"


def render_secrecy(marking: dict[str, Any], context: dict[str, Any], dirs: tuple[Path, ...]) -> str:
    """The `::: sekretess` block, from the one shared partial."""
    try:
        return environment(dirs, "markdown").get_template(SECRECY_PARTIAL).render({**context, "sekretess": marking}).strip() + "\n"
    except Exception as exc:  # as in render.render_markdown: any failure names the partial's line
        raise template_error(exc) from None


def _without_personnummer_fields(value: Any) -> Any:
    """The data minus structured `personnummer` fields (always masked); free text stays."""
    if isinstance(value, dict):
        return {k: _without_personnummer_fields(v) for k, v in value.items() if k != "personnummer"}
    if isinstance(value, list):
        return [_without_personnummer_fields(v) for v in value]
    return value


def tool_version() -> str:
    return f"mallgen {__version__}"


__all__ = ["Case", "Checked", "Fingerprints", "MallgenError", "Options", "Rendered", "check_inputs", "load_case", "render_document", "validate_files"]
