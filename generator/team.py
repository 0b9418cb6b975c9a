"""Team files (`team:`, `ar:`) as inputs of `validate` and `render` (handbook 2.1–2.2).

A team file holds a team's year: the input to the annual report that `mallgen report` reads, and
the sections of the documents made from it (`underlag: team` in their front matter): the follow-up
planning, the data orders, the analyses of focus areas, and the traffic-light assessment of the
team's providers (verksamhetsbedömning), which is compiled from the team's routine case files.

How a team file finds its routine cases: every YAML file below the folders (or the files) that
`arendefiler:` lists, relative to the team file; without it, the team file's own folder and its
subfolders. A case belongs to the team when it is a routine case (`arende.typ: lopande`) of the
team's year (`arende.startdatum`) and area (`avtal.avtalsomrade` equals `team.avtalsomrade`, as
the annual report matches them). Other files there (in-depth cases, other years and areas, other
teams' files, the organisation profile) are passed over.

The documents of a team file are written to `DIR/_team-<id or area>-<year>/` (team_folder): case ids
begin with a letter or a digit, so a folder beginning with `_` can never be a case's, and the
annual report's folder is `rapport-<year>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .case import Source, is_date, read_yaml
from .context import fill_optional, mask, strip_internal, strip_marked, template_own
from .errors import InputError, Problem
from .formatting import public_numbers
from .letters import CASE_TYPE_WORDING
from .organisation import board, load_profile, profile_path
from .placeholders import left_in, placeholder_context
from .rules import check
from .schema import case_schema, find_schema, section_key, team_schema, validate
from .templates import DocumentTemplate, select_version

FOLDER_PREFIX = "_team-"
CASE_FILES = "arendefiler"
ASSESSMENT = "verksamhetsbedomning"  # a routine case's traffic light (schema/bas.yaml), and the document compiled from them
YAML_SUFFIXES = (".yaml", ".yml")
COLOURS = ("rod", "gul", "gron")  # the order of priority: serious deviations first (handbook 2.2)

# One provider in the assessment (`bedomningar` in a template): what the team's routine case says.
# As a schema, so `mallgen check` knows the fields a template may use.
ASSESSMENT_FIELDS: dict[str, Any] = {
    "arende": {"type": "dict", "required": True, "schema": {
        "id": {"type": "string", "required": True},
        "diarienummer": {"type": "string", "required": True},
        "rubrik": {"type": "string", "required": True},
        "fil": {"type": "string", "required": True},
    }},
    "vardgivare": {"type": "dict", "required": True, "schema": {
        "namn": {"type": "string", "required": True},
        "verksamhet": {"type": "string", "required": True},
        "orgnr": {"type": "string", "required": True},
    }},
    "avtal": {"type": "dict", "required": True, "schema": {
        "benamning": {"type": "string", "required": True},
        "diarienummer": {"type": "string"},
        "avtalsform": {"type": "string", "required": True},
    }},
    "handlaggare": {"type": "string"},
    "avvikelser": {"type": "integer", "required": True},  # deviations recorded in the case
    "oppna_avvikelser": {"type": "integer", "required": True},  # of which not yet remedied
    "senaste_steg": {"type": "dict", "schema": {"steg": {"type": "string", "required": True}, "datum": {"type": "date", "required": True}}},
    "prioritet": {"type": "integer", "required": True},
}


def is_team_file(data: Any) -> bool:
    return isinstance(data, dict) and "arende" not in data and isinstance(data.get("team"), dict)


def team_folder(data: dict[str, Any]) -> str:
    """`_team-vardval-vardcentral-2026`: one folder per team file, named by `team.id` or else the
    area, and the year (the annual report already allows one team file per area and year; a team's
    name is not unique: one team may follow up several areas, each in its own file)."""
    from .report.figures import slug

    name = data["team"].get("id") or slug(str(data["team"]["avtalsomrade"]))
    return f"{FOLDER_PREFIX}{name}-{data['ar']}"


def team_title(data: dict[str, Any]) -> str:
    """What a team's documents are about, after their title: `Team Vårdval Rehab 2026`, or
    `Team Upphandlad specialistvård, Radiologi 2026` when the name does not say the area."""
    name, area = str(data["team"]["namn"]), str(data["team"]["avtalsomrade"])
    return f"{name} {data['ar']}" if area.casefold() in name.casefold() else f"{name}, {area} {data['ar']}"


@dataclass
class TeamChecked:
    """A team file checked: its data (None when it has errors), the documents it makes, and
    `derived` (the assessments read from the team's routine cases)."""

    data: dict[str, Any] | None
    schema: dict[str, Any]
    profile: dict[str, Any]
    documents: list[DocumentTemplate] = field(default_factory=list)
    derived: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def check_team(path: Path, source: Source, known: dict[str, DocumentTemplate], asked: list[str], sdirs: list[Path],
               organisation: Path | None) -> TeamChecked:
    """Validate a team file against the team schema and the handbook's rules; `asked`: the team
    documents named with -d (their sections are then required)."""
    own = [doc_id for doc_id, template in known.items() if template.source == "team"]
    schema = team_schema(own, sdirs)
    for doc_id in asked:
        schema[section_key(doc_id)] = {**schema[section_key(doc_id)], "required": True}
    profile_file = profile_path(path, source.data, organisation)
    try:
        profile, problems = load_profile(profile_file)
    except InputError as exc:
        named = organisation is None and "organisation" in source.data
        where = f"{path}:{source.line_of(('organisation',))}: organisation:" if named else f"{path}:"
        raise InputError(f"{where} organisationsprofilen kunde inte läsas: {exc}") from None
    data, found = validate(source, schema, sdirs, profile.get("diarienummer_monster"))
    problems += found
    problems += check(data, source, profile, malformed=any(not p.warning for p in found))
    board_id = (data.get("team") or {}).get("namnd") if isinstance(data.get("team"), dict) else None
    if isinstance(board_id, str) and board(profile, board_id) is None:
        names = ", ".join(b["id"] for b in profile.get("namnder", []))
        problems.append(source.problem(("team", "namnd"), f"nämnden '{board_id}' finns inte i organisationsprofilen (kända: {names})"))
    if any(not p.warning for p in problems):
        return TeamChecked(None, schema, profile, problems=problems)
    chosen = asked or [d for d in own if section_key(d) in data]
    documents = []
    for doc_id in chosen:
        template = known[doc_id]
        date = (data.get(section_key(doc_id)) or {}).get("datum")
        version, warning = select_version(template, date) if is_date(date) else (template, None)
        documents.append(version)
        if warning:
            problems.append(source.problem((section_key(doc_id), "datum"), warning, warning=True))
    derived: dict[str, Any] = {}
    if any(d.id == ASSESSMENT for d in documents):
        assessments, found = team_cases(path, data, source, known, sdirs, organisation)
        problems += found
        derived["bedomningar"] = assessments
    if not documents:
        problems.append(source.problem((), "teamunderlaget har ännu inga uppgifter för något dokument; fyll i en dokumentsektion, "
                                       "t.ex. 'uppfoljningsplanering:' (i en fil från 'mallgen new team': ta bort '# ' framför "
                                       "sektionens rader; se 'mallgen documents'). Som underlag till årsrapporten kontrolleras det "
                                       f"med: mallgen report --year {data['ar']} {path} --kontrollera"))
    return TeamChecked(data, schema, profile, documents, derived, problems)


def team_cases(path: Path, data: dict[str, Any], source: Source, known: dict[str, DocumentTemplate], sdirs: list[Path],
               organisation: Path | None) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The team's routine cases of the year as assessment records, in order of priority (red,
    yellow, green, then each case's `verksamhetsbedomning.prioritet`, then the provider's name);
    cases without an assessment last. Errors in a case file are the team file's errors too: its
    assessment would be wrong. `known`: the catalogue (with a user's own templates), whose case
    documents' sections a case file may hold."""
    problems: list[Problem] = []
    roots = [str(r) for r in data.get(CASE_FILES) or []] or ["."]
    files: dict[Path, Path] = {}
    for index, root in enumerate(roots):
        where = (path.parent / root)
        at = (CASE_FILES, index) if data.get(CASE_FILES) else ()
        if where.is_dir():
            members = sorted(p for p in where.rglob("*") if p.suffix.lower() in YAML_SUFFIXES and p.is_file() and not p.name.startswith("."))
        elif where.is_file():
            members = [where]
        else:
            problems.append(source.problem(at, f"'{root}' finns inte (sökvägen är relativ till teamunderlaget, {where.resolve()})"))
            continue
        for file in members:
            files.setdefault(file.resolve(), file)
    area, year = str(data["team"]["avtalsomrade"]).strip(), data["ar"]
    own = [d for d, t in known.items() if t.source == "arende"]
    case_rules = case_schema(own, set(), sdirs)
    profiles: dict[Path, tuple[dict[str, Any], list[Problem]]] = {}
    records: list[dict[str, Any]] = []
    seen: dict[str, Source] = {}
    for resolved, file in files.items():
        if resolved == path.resolve():
            continue
        try:
            case_source = read_yaml(file)
        except InputError as exc:
            problems.append(source.problem((CASE_FILES,) if data.get(CASE_FILES) else (), f"en fil bland ärendefilerna kan inte läsas: {exc}"))
            continue
        raw = case_source.data
        arende, avtal = raw.get("arende"), raw.get("avtal")
        if not (isinstance(arende, dict) and isinstance(avtal, dict) and arende.get("typ") == "lopande"
                and str(avtal.get("avtalsomrade") or "").strip() == area and is_date(arende.get("startdatum"))
                and arende["startdatum"].year == year):
            continue
        profile_file = profile_path(file, raw, organisation).resolve()
        if profile_file not in profiles:
            try:
                profiles[profile_file] = load_profile(profile_file)
            except InputError as exc:
                problems.append(case_source.problem(("organisation",), f"organisationsprofilen kunde inte läsas: {exc}"))
                continue
            problems += [p for p in profiles[profile_file][1] if not p.warning]
        profile = profiles[profile_file][0]
        case_data, found = validate(case_source, case_rules, sdirs, profile.get("diarienummer_monster"))
        found += check(case_data, case_source, profile, malformed=any(not p.warning for p in found))
        found += left_in(case_data, case_rules, case_source, placeholder_context(sdirs))  # never an "Ange …" in the assessment
        problems += found
        if any(not p.warning for p in found):
            continue
        first = seen.setdefault(str(case_data["arende"]["id"]), case_source)
        if first is not case_source:
            problems.append(case_source.problem(("arende", "id"), f"ärende-id '{case_data['arende']['id']}' används redan i {first.name}; "
                                                "samma ärende skulle stå två gånger i verksamhetsbedömningen"))
            continue
        if not isinstance(case_data.get(ASSESSMENT), dict):
            problems.append(case_source.problem(("arende",), f"ärendet saknar verksamhetsbedomning; vårdgivaren står som ej bedömd i "
                                                f"teamets verksamhetsbedömning ({path})", warning=True))
        until = (data.get(ASSESSMENT) or {}).get("datum")
        records.append(_record(fill_optional(case_data, {"type": "dict", "schema": case_rules}), file, until))
    if not records and not any(not p.warning for p in problems):
        looked = ", ".join(str((path.parent / r).resolve()) for r in roots)
        problems.append(source.problem((ASSESSMENT,), f"inga ärendefiler för löpande uppföljning {year} inom {area} hittades i {looked}; "
                                       f"ange var de finns med '{CASE_FILES}:'", warning=True))
    records.sort(key=_priority)
    for number, record in enumerate(records, start=1):
        record["prioritet"] = number
    return records, problems


def _record(data: dict[str, Any], file: Path, until: Any = None) -> dict[str, Any]:
    """One provider of the assessment; its latest escalation step is the latest known on the
    assessment's date (`until`)."""
    provider, contract = data["vardgivare"], data["avtal"]
    steps = [s for s in data.get("eskalering") or [] if isinstance(s, dict) and not (is_date(until) and s["datum"] > until)]
    last = max(steps, key=lambda s: s["datum"]) if steps else None
    handler = (data.get("personer") or {}).get("handlaggare") or {}
    deviations = [d for d in data.get("avvikelser") or [] if isinstance(d, dict)]
    return {
        "arende": {"id": str(data["arende"]["id"]), "diarienummer": data["arende"]["diarienummer"],
                   "rubrik": data["arende"]["rubrik"], "fil": file.name},
        "vardgivare": {"namn": provider["namn"], "verksamhet": provider.get("verksamhet") or provider["namn"], "orgnr": provider["orgnr"]},
        "avtal": {"benamning": contract["benamning"], "diarienummer": contract.get("diarienummer"), "avtalsform": contract["avtalsform"]},
        "handlaggare": handler.get("namn"),
        "avvikelser": len(deviations),
        "oppna_avvikelser": sum(1 for d in deviations if d.get("status") != "atgardad"),
        "senaste_steg": {"steg": last["steg"], "datum": last["datum"]} if last else None,
        ASSESSMENT: data.get(ASSESSMENT),
        "prioritet": 0,
    }


def _priority(record: dict[str, Any]) -> tuple[Any, ...]:
    assessment = record[ASSESSMENT]
    if not isinstance(assessment, dict):
        return (len(COLOURS), 0, record["vardgivare"]["verksamhet"].casefold())
    rank = assessment.get("prioritet")
    return (COLOURS.index(assessment["farg"]), rank if isinstance(rank, int) else 10**6, record["vardgivare"]["verksamhet"].casefold())


def team_context(data: dict[str, Any], schema: dict[str, Any], template: DocumentTemplate, profile: dict[str, Any],
                 data_hash: str, derived: dict[str, Any]) -> dict[str, Any]:
    """What a team document's template sees: the team file's fields, its own section as `dokument`,
    the routine wording (`uppfoljning`), the responsible board and, for the assessment, the team's
    providers (`bedomningar`). A team document that leaves the team would see no internal field and
    no traffic light."""
    root = {"type": "dict", "schema": schema}
    data = strip_marked(fill_optional(data, root), root, "sekretess")
    records = [dict(r) for r in derived.get("bedomningar") or []]
    if not template.internal:
        data = mask(strip_internal(data, root), public_numbers(data))
        records = [{**r, ASSESSMENT: None} for r in records]
    team = data.get("team") or {}
    responsible = board(profile, str(team.get("namnd") or "")) or {"id": team.get("namnd") or "", "namn": "", "typ": ""}
    return {
        **data,
        "dokument": data.get(section_key(template.section_id)) or {},
        "mall": template.as_context(),
        "org": profile,
        "namnd": responsible,
        "uppfoljning": dict(CASE_TYPE_WORDING["lopande"]),
        "bedomningar": records,
        "data_hash": data_hash,
        **template_own(template),
    }


def assessment_schema(sdirs: list[Path]) -> dict[str, Any]:
    """The fields of one entry of `bedomningar`, as a schema (for `mallgen check`)."""
    base = find_schema("bas", sdirs) or {}
    return {**ASSESSMENT_FIELDS, ASSESSMENT: {**(base.get(ASSESSMENT) or {"type": "dict"}), "required": False}}

