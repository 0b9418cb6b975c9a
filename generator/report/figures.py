"""The annual report's figures: computed from the validated inputs, then checked against what teams typed.

Every figure the case files hold is computed from them and never typed twice: a figure a team
typed anyway is only compared, and a difference is a warning naming both files and lines. The
result is a plain data structure (`Report`) that the three templates, the charts and the CSV/XLSX
export all read, so every format shows the same numbers.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..case import Source, is_date
from ..context import mask
from ..errors import Problem
from ..templates import environment
from .inputs import CaseInput, Contract, Inputs, Measurement, Register, TeamInput

# Escalation steps (handbook kap. 4) as the report counts them.
STEPS = ("1", "2a", "2b", "3", "3a", "3b", "4a", "4b", "5")  # 0 is the normal state, not a measure
ACTION_PLAN = "2a"
OTHER_MEASURES = ("3", "3a", "4a", "5")  # measures beyond an action plan; 2b, 3b, 4b follow a measure up
MEASURES = (ACTION_PLAN, *OTHER_MEASURES)
MEETINGS = ("kvalitetsdialog", "besok", "dialogmote")  # follow-up activities with the provider

MAX_REFS = 4  # file:line references printed in one warning before "och N till"


@dataclass
class Measure:
    """One escalation step taken in the year, as the board sees it."""

    provider: str
    step: str
    label: str
    date: dt.date
    refs: list[str]


@dataclass
class Area:
    """One avtalsområde under one board: the handbook's overview and specification."""

    name: str
    board_id: str
    team: str
    description: str | None = None
    comment: dict[str, Any] = field(default_factory=dict)
    specification: dict[str, Any] = field(default_factory=dict)
    followed_up: int = 0
    measures_started: int = 0
    action_plans: int = 0
    action_plans_followed_up: int = 0
    other_measures: int = 0
    handed_over: int = 0
    routine_cases: int = 0
    indepth_cases: int = 0
    meetings: dict[str, int] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)
    contracts_start: int | None = None
    contracts_new: int | None = None
    contracts_ended: int | None = None
    contracts_end: int | None = None
    contracts_source: str = ""
    measures: list[Measure] = field(default_factory=list)
    team_input: TeamInput | None = None
    cases: list[CaseInput] = field(default_factory=list)

    @property
    def action_plan_measures(self) -> list[Measure]:
        return [m for m in self.measures if m.step == ACTION_PLAN]

    @property
    def other_measure_list(self) -> list[Measure]:
        return [m for m in self.measures if m.step in OTHER_MEASURES]


FIGURES = (  # (attribute, Swedish label) in the order of the handbook's template
    ("followed_up", "Uppföljda avtal"),
    ("measures_started", "Påbörjade åtgärder"),
    ("contracts_start", "Avtal vid periodens början"),
    ("contracts_new", "Nya avtal under perioden"),
    ("contracts_ended", "Avslutade avtal under perioden"),
    ("contracts_end", "Avtal vid periodens slut"),
    ("action_plans", "Handlingsplaner"),
    ("action_plans_followed_up", "Uppföljda handlingsplaner"),
    ("other_measures", "Åtgärder utöver handlingsplan"),
    ("handed_over", "Ärenden överlämnade till fördjupad uppföljning"),
    ("routine_cases", "Ärenden i löpande uppföljning"),
    ("indepth_cases", "Ärenden i fördjupad uppföljning"),
)
SUMMED = [name for name, _ in FIGURES]


@dataclass
class Totals:
    """Sums over areas; a contract figure is None when an area lacks it (then no sum is honest)."""

    values: dict[str, int | None]
    complete: bool

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)


def totals(areas: list[Area]) -> Totals:
    values: dict[str, int | None] = {}
    for name in SUMMED:
        numbers = [getattr(a, name) for a in areas]
        values[name] = None if any(n is None for n in numbers) else sum(numbers)
    meetings: Counter[str] = Counter()
    for area in areas:
        meetings.update(area.meetings)
    values.update({f"meetings_{k}": meetings.get(k, 0) for k in MEETINGS})
    return Totals(values, all(v is not None for v in values.values()))


@dataclass
class Board:
    id: str
    name: str
    kind: str  # namnd or styrelse
    responsible: str | None
    areas: list[Area]

    @property
    def total(self) -> Totals:
        return totals(self.areas)


@dataclass
class Series:
    """One indicator: values per provider and period."""

    indicator: str
    unit: str
    periods: list[str]
    providers: list[str]
    values: dict[tuple[str, str], float]
    area: str

    @property
    def latest(self) -> str:
        return self.periods[-1]

    def value(self, provider: str, period: str) -> float | None:
        return self.values.get((provider, period))

    def latest_values(self) -> list[tuple[str, float]]:
        """(provider, value) in the latest period, highest first."""
        pairs = [(p, self.values[(p, self.latest)]) for p in self.providers if (p, self.latest) in self.values]
        return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


@dataclass
class Proposal:
    team: str
    text: str
    owner: str
    due: dt.date | None
    point: int | None
    to_department: bool


@dataclass
class TeamSummary:
    """Årssummering i teamet: the team's six points plus the year's figures for its areas."""

    team: str
    slug: str
    source: Source
    data: dict[str, Any]
    areas: list[Area]
    traffic_lights: dict[str, int]  # internal: stays in the team's own summary

    @property
    def total(self) -> Totals:
        return totals(self.areas)

    @property
    def proposals(self) -> list[Proposal]:
        return [
            Proposal(self.team, p["forslag"], p["ansvarig"], p.get("klart_senast"), p.get("punkt"), bool(p.get("till_avdelningen")))
            for p in self.data.get("forslag") or []
        ]


@dataclass
class Report:
    """Every figure and text of the year's report: what the templates, charts and exports read."""

    year: int
    date: dt.date
    diarienummer: str
    settings: dict[str, Any]
    boards: list[Board]
    steps: list[dict[str, Any]]  # {step, label, per board id, total}
    series: list[Series]
    charted: list[Series]
    summaries: list[TeamSummary]
    department: dict[str, Any]
    inputs: Inputs
    data_hash: str
    step_labels: dict[str, str]

    @property
    def areas(self) -> list[Area]:
        return [a for b in self.boards for a in b.areas]

    @property
    def total(self) -> Totals:
        return totals(self.areas)

    @property
    def teams(self) -> list[dict[str, Any]]:
        """The areas grouped by team, with sums, and whether the team wrote an annual summary."""
        names = list(dict.fromkeys(a.team or "Utan teamunderlag" for a in self.areas))
        summarised = {s.team for s in self.summaries}
        out = []
        for name in names:
            areas = [a for a in self.areas if (a.team or "Utan teamunderlag") == name]
            out.append({"name": name, "areas": areas, "total": totals(areas), "has_summary": name in summarised})
        return out

    @property
    def counts(self) -> dict[str, int]:
        return {
            "arenden": len(self.inputs.cases),
            "andra_ar": len(self.inputs.other_years),
            "team": len(self.inputs.teams),
            "register": len(self.inputs.registers),
            "nyckeltal": len(self.inputs.measurements),
        }


def step_labels(dirs: tuple[Path, ...]) -> dict[str, str]:
    """The Swedish names of the escalation steps, from the one place templates take them."""
    module = environment(dirs, "markdown").get_template("_gemensamt/texter.md").module
    return dict(module.steg)  # type: ignore[attr-defined]


def count_register(contracts: list[Contract], year: int) -> dict[str, int]:
    """Contracts in force on 1 January and 31 December, and those begun and ended in between.

    By construction start + new − ended = end: a contract in force on 1 January either still is on
    31 December or ended in between; one begun after 1 January likewise.
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    start = sum(1 for c in contracts if c.valid_from <= first and (c.valid_to is None or c.valid_to >= first))
    new = sum(1 for c in contracts if first < c.valid_from <= last)
    ended = sum(1 for c in contracts if c.valid_to is not None and first <= c.valid_to < last and c.valid_from <= c.valid_to)
    end = sum(1 for c in contracts if c.valid_from <= last and (c.valid_to is None or c.valid_to >= last))
    return {"borjan": start, "nya": new, "avslutade": ended, "slut": end}


def _in_year(value: Any, year: int) -> bool:
    return is_date(value) and bool(value.year == year)


def _handover_date(case: CaseInput) -> Any:
    handover = case.data.get("overlamning")
    if isinstance(handover, dict) and handover.get("datum"):
        return handover["datum"]
    return case.data["arende"]["startdatum"]


def compute(inputs: Inputs, dirs: tuple[Path, ...]) -> Report:
    """Every figure of the report, from the case files first and the team inputs second."""
    year, profile = inputs.year, inputs.profile
    labels = step_labels(dirs)
    by_key: dict[tuple[str, str], list[CaseInput]] = {}
    for case in inputs.cases:
        by_key.setdefault((case.board, case.area), []).append(case)
    teams = {t.area: t for t in inputs.teams}
    areas: dict[tuple[str, str], Area] = {}
    for (board_id, area_name), cases in sorted(by_key.items()):
        team = teams.get(area_name)
        areas[(board_id, area_name)] = _area(
            area_name, board_id, cases, team if team and (team.board in (None, board_id)) else None, year, labels
        )
    for team in inputs.teams:  # an area with a team input but no case this year
        attached = any(a.team_input is team for a in areas.values())
        if not attached:
            candidates = [k for k in areas if k[1] == team.area]
            if team.board is None and candidates:
                continue  # attached above unless its board differs
            board_id = team.board or next((b["id"] for b in profile["namnder"]), "")
            key = (board_id, team.area)
            if key not in areas:
                areas[key] = _area(team.area, board_id, [], team, year, labels)
    for area in areas.values():
        _register_figures(area, inputs, year)

    settings = inputs.settings_data.get("rapport") or {}
    responsible = settings.get("ansvar") or {}
    boards: list[Board] = []
    for entry in profile["namnder"]:
        members = sorted((a for a in areas.values() if a.board_id == entry["id"]), key=lambda a: a.name)
        if members:
            boards.append(Board(entry["id"], entry["namn"], entry["typ"], responsible.get(entry["id"]), members))
    boards.sort(key=lambda b: (b.kind == "styrelse", profile["namnder"].index(next(n for n in profile["namnder"] if n["id"] == b.id))))

    steps = []
    for step in STEPS:
        row: dict[str, Any] = {"steg": step, "text": labels.get(step, step), "namnder": {}}
        for b in boards:
            row["namnder"][b.id] = sum(a.steps.get(step, 0) for a in b.areas)
        row["totalt"] = sum(row["namnder"].values())
        steps.append(row)

    series = indicator_series(inputs.measurements, year)
    wanted = settings.get("nyckeltal") or []
    charted = [s for s in series if s.indicator in wanted] if wanted else series[:1]
    summaries = team_summaries(inputs, list(areas.values()))
    return Report(
        year=year,
        date=settings.get("datum") or dt.date(year, 12, 31),
        diarienummer=settings.get("diarienummer") or "",
        settings=settings,
        boards=boards,
        steps=steps,
        series=series,
        charted=charted,
        summaries=summaries,
        department=inputs.settings_data.get("arssummering_avdelning") or {},
        inputs=inputs,
        data_hash=inputs_hash(inputs),
        step_labels=labels,
    )


def _area(name: str, board_id: str, cases: list[CaseInput], team: TeamInput | None, year: int, labels: dict[str, str]) -> Area:
    area = Area(name=name, board_id=board_id, team=team.team if team else "", team_input=team, cases=cases)
    if team is not None:
        # The board report is public: personnummer in the teams' free text are masked (OSL 25:1).
        area.description = mask(team.data.get("beskrivning"))
        area.comment = mask(team.data.get("kommentar") or {})
        area.specification = mask(team.data.get("specifikation") or {})
    else:  # no team input: the texts are absent, the figures are still there
        area.comment = dict.fromkeys(("aktiviteter", "slutsatser", "nasta_steg"))
        area.specification = dict.fromkeys(("uppfoljda_avtal", "handlingsplaner", "atgarder_utover_handlingsplan", "ovrigt"))
    area.followed_up = len({c.contract for c in cases})
    area.routine_cases = sum(1 for c in cases if not c.indepth)
    area.indepth_cases = sum(1 for c in cases if c.indepth)
    area.handed_over = len({c.id for c in cases if c.indepth and _in_year(_handover_date(c), year)})
    # The same step on the same contract on the same day is one measure, even when both the
    # routine case and the in-depth case it was handed over to record it.
    taken: dict[tuple[str, str, dt.date], Measure] = {}
    meetings: set[tuple[str, str, dt.date]] = set()
    for case in cases:
        for index, step in enumerate(case.data.get("eskalering") or []):
            if step["steg"] not in STEPS or not _in_year(step["datum"], year):
                continue
            key = (case.contract, step["steg"], step["datum"])
            ref = case.ref(("eskalering", index))
            if key in taken:
                taken[key].refs.append(ref)
            else:
                taken[key] = Measure(case.provider, step["steg"], labels.get(step["steg"], step["steg"]), step["datum"], [ref])
        for meeting in case.data.get("moten") or []:
            if meeting["typ"] in MEETINGS and _in_year(meeting["datum"], year):
                meetings.add((case.contract, meeting["typ"], meeting["datum"]))
    area.measures = sorted(taken.values(), key=lambda m: (m.date, STEPS.index(m.step), m.provider))
    area.steps = dict(Counter(m.step for m in area.measures))
    area.action_plans = area.steps.get(ACTION_PLAN, 0)
    area.action_plans_followed_up = area.steps.get("2b", 0)
    area.other_measures = sum(area.steps.get(s, 0) for s in OTHER_MEASURES)
    area.measures_started = area.action_plans + area.other_measures
    area.meetings = {kind: sum(1 for m in meetings if m[1] == kind) for kind in MEETINGS}
    return area


def _register_contracts(area: Area, inputs: Inputs) -> tuple[list[Contract], list[Register]]:
    """The contract register rows of an area: the team's own register, else any register given."""
    team = area.team_input
    registers = [team.register] if team is not None and team.register is not None else inputs.registers
    used = [r for r in registers if any(c.area == area.name for c in r.contracts)]
    return [c for r in used for c in r.contracts if c.area == area.name], used


def _register_figures(area: Area, inputs: Inputs, year: int) -> None:
    contracts, used = _register_contracts(area, inputs)
    typed = area.team_input.data.get("avtal_under_perioden") if area.team_input else None
    if used:
        counted = count_register(contracts, year)
        area.contracts_start, area.contracts_new = counted["borjan"], counted["nya"]
        area.contracts_ended, area.contracts_end = counted["avslutade"], counted["slut"]
        area.contracts_source = "avtalsregistret"
    elif typed:
        area.contracts_start, area.contracts_new = typed["borjan"], typed.get("nya")
        area.contracts_ended, area.contracts_end = typed.get("avslutade"), typed["slut"]
        area.contracts_source = "teamunderlaget"


def indicator_series(measurements: list[Measurement], year: int) -> list[Series]:
    """One series per indicator, periods in order, none later than the report year."""
    out: list[Series] = []
    indicators = list(dict.fromkeys(m.indicator for m in measurements))
    for indicator in indicators:
        rows = [m for m in measurements if m.indicator == indicator and _period_year(m.period) <= year]
        if not rows:
            continue
        periods = sorted(dict.fromkeys(m.period for m in rows), key=_period_key)
        providers = list(dict.fromkeys(m.provider for m in rows))
        values: dict[tuple[str, str], float] = {}
        for m in rows:
            values.setdefault((m.provider, m.period), m.value)
        unit = next((m.unit for m in rows if m.unit), "")
        area = next((m.area for m in rows if m.area), "")
        out.append(Series(indicator, unit, periods, providers, values, area))
    return out


def _period_year(period: str) -> int:
    match = re.match(r"\s*(\d{4})", period)
    return int(match.group(1)) if match else 0


def _period_key(period: str) -> tuple[Any, ...]:
    """Natural order: `2026 kv 2` before `2026 kv 10`; numbers and words compare apart, so periods
    written in different ways ("2026-1", "jan 2026") still sort."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", period))


def team_summaries(inputs: Inputs, areas: list[Area]) -> list[TeamSummary]:
    """One summary per team that wrote one; the figures cover all the team's areas."""
    out: list[TeamSummary] = []
    seen: dict[str, TeamInput] = {}
    names = unique_slugs([t.team for t in inputs.teams if t.data.get("arssummering")])
    for team in inputs.teams:
        if not team.data.get("arssummering"):
            continue
        if team.team in seen:
            continue  # reported by `check` as a problem
        seen[team.team] = team
        mine = [a for a in areas if a.team == team.team]
        cases = [c for a in mine for c in a.cases]
        lights = Counter(c.data["verksamhetsbedomning"]["farg"] for c in cases if isinstance(c.data.get("verksamhetsbedomning"), dict))
        out.append(
            TeamSummary(
                team.team,
                names[team.team],
                team.source,
                team.data["arssummering"],
                mine,
                {k: lights.get(k, 0) for k in ("gron", "gul", "rod")},
            )
        )
    return out


# Letters Unicode does not decompose into a base letter and marks.
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i"})


def slug(text: str) -> str:
    """`Team Vårdval Vårdcentral` -> `vardval-vardcentral`, `Team Ünal` -> `unal` (a file name).

    Letters with diacritics lose them (Unicode NFKD, combining marks dropped); what is still not
    a-z or 0-9 joins words with a hyphen.
    """
    text = re.sub(r"^team\s+", "", text.strip(), flags=re.I)
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "team"


def unique_slugs(names: list[str]) -> dict[str, str]:
    """A file name per team; teams whose names fold alike (`Öst`, `Ost`) get -2, -3 … in name order."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(set(names), key=lambda n: (slug(n), n)):
        base = candidate = slug(name)
        number = 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        taken.add(candidate)
        out[name] = candidate
    return out


def inputs_hash(inputs: Inputs) -> str:
    """One hash over every input the report used, and the profile: the manifest's data hash."""
    canonical = json.dumps(
        {
            "ar": inputs.year,
            "organisation": inputs.profile,
            "arenden": sorted((c.source.name, c.data) for c in inputs.cases),
            "team": sorted((t.source.name, t.data) for t in inputs.teams),
            "rapport": inputs.settings_data,
            "register": sorted((r.table.name, [vars(c) for c in r.contracts]) for r in inputs.registers),
            "nyckeltal": [vars(m) for m in inputs.measurements],
        },
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- consistency: figures typed twice must agree -----------------------------------------------


TYPED = {  # team input `siffror.<key>` -> (Area attribute, Swedish words)
    "uppfoljda_avtal": ("followed_up", "uppföljda avtal"),
    "paborjade_atgarder": ("measures_started", "påbörjade åtgärder"),
    "handlingsplaner": ("action_plans", "handlingsplaner"),
    "atgarder_utover_handlingsplan": ("other_measures", "åtgärder utöver handlingsplan"),
    "overlamnade_till_fordjupad": ("handed_over", "ärenden överlämnade till fördjupad uppföljning"),
}


def _refs(refs: list[str]) -> str:
    shown = ", ".join(refs[:MAX_REFS])
    return shown + (f" och {len(refs) - MAX_REFS} till" if len(refs) > MAX_REFS else "")


def _case_refs(area: Area, attribute: str, year: int) -> list[str]:
    """Where in the case files a computed figure comes from."""
    if attribute == "followed_up":
        first: dict[str, str] = {}
        for case in area.cases:
            first.setdefault(case.contract, case.ref(("avtal",)))
        return list(first.values())
    if attribute == "handed_over":
        return [
            c.ref(("overlamning", "datum") if isinstance(c.data.get("overlamning"), dict) else ("arende", "startdatum"))
            for c in area.cases
            if c.indepth and _in_year(_handover_date(c), year)
        ]
    steps = {"measures_started": MEASURES, "action_plans": (ACTION_PLAN,), "other_measures": OTHER_MEASURES}[attribute]
    return [m.refs[0] for m in area.measures if m.step in steps]


def check_report(report: Report) -> list[Problem]:
    """Warnings where two sources disagree; each names both files and lines."""
    problems: list[Problem] = []
    year = report.year
    areas = report.areas
    known = sorted({a.name for a in areas})
    for area in areas:
        team = area.team_input
        if team is None:
            if area.cases:
                close = difflib.get_close_matches(area.name, [t.area for t in report.inputs.teams], n=1)
                hint = f"; menade teamunderlaget '{close[0]}'?" if close else "; beskrivning och kommentarer saknas i rapporten"
                problems.append(
                    area.cases[0].source.problem(
                        ("avtal", "avtalsomrade"), f"avtalsområdet '{area.name}' saknar teamunderlag för {year}{hint}", warning=True
                    )
                )
            continue
        if not area.cases:
            close = difflib.get_close_matches(area.name, known, n=1, cutoff=0.6)
            hint = f" (menade du '{close[0]}'?)" if close and close[0] != area.name else ""
            problems.append(
                team.source.problem(
                    ("team", "avtalsomrade"),
                    f"inga ärendefiler för {year} har avtalsomrade '{area.name}'{hint}; alla siffror från ärendena blir 0",
                    warning=True,
                )
            )
        problems += _typed_figures(area, team, year)
        problems += _contract_figures(area, team, report.inputs, year)
    problems += _team_boards(report)
    for area in areas:
        existing = None if area.contracts_start is None else area.contracts_start + (area.contracts_new or 0)
        if existing is not None and area.followed_up > existing:
            if area.team_input is not None and area.contracts_source == "teamunderlaget":
                where = area.team_input.ref(("avtal_under_perioden",))
            else:
                where = ", ".join(r.table.name for r in _register_contracts(area, report.inputs)[1])
            problems.append(
                Problem(
                    area.cases[0].source.name,
                    area.cases[0].source.line_of(("avtal",)),
                    "avtal",
                    f"{area.followed_up} uppföljda avtal inom {area.name} enligt ärendefilerna, "
                    f"men bara {existing} avtal fanns under året enligt {where}",
                    True,
                )
            )
    return problems


def _typed_figures(area: Area, team: TeamInput, year: int) -> Iterator[Problem]:
    typed = team.data.get("siffror") or {}
    for key, value in typed.items():
        if value is None or key not in TYPED:
            continue
        attribute, words = TYPED[key]
        computed = getattr(area, attribute)
        if value == computed:
            continue
        refs = _case_refs(area, attribute, year)
        if refs:
            where = f"ärendefilerna ger {computed} ({_refs(refs)})"
        elif area.cases:
            where = f"ärendefilerna ger 0 (inget i {_refs([c.ref() for c in area.cases])})"
        else:
            where = f"inga ärendefiler för {year} har avtalsområdet"
        yield team.source.problem(
            ("siffror", key), f"teamet anger {value} {words} men {where}; rapporten använder ärendefilernas siffra", warning=True
        )


def _contract_figures(area: Area, team: TeamInput, inputs: Inputs, year: int) -> Iterator[Problem]:
    typed = team.data.get("avtal_under_perioden")
    path = ("avtal_under_perioden",)
    if typed and typed.get("nya") is not None and typed.get("avslutade") is not None:
        start, new, ended, end = typed["borjan"], typed["nya"], typed["avslutade"], typed["slut"]
        if start + new - ended != end:
            yield team.source.problem(
                (*path, "slut"),
                f"avtal vid periodens början ({start}, {team.ref((*path, 'borjan'))}) + nya ({new}) − avslutade ({ended}) "
                f"= {start + new - ended}, "
                f"men avtal vid periodens slut är {end} ({team.ref((*path, 'slut'))})",
                warning=True,
            )
    contracts, used = _register_contracts(area, inputs)
    if typed and used:
        counted = count_register(contracts, year)
        names = ", ".join(r.table.name for r in used)
        for key, words in (("borjan", "vid periodens början"), ("nya", "nya"), ("avslutade", "avslutade"), ("slut", "vid periodens slut")):
            if typed.get(key) is not None and typed[key] != counted[key]:
                yield team.source.problem(
                    (*path, key),
                    f"teamet anger {typed[key]} avtal {words} men avtalsregistret {names} ger {counted[key]}; rapporten använder registret",
                    warning=True,
                )
    if used and any(c.diarienummer for c in contracts):
        numbers = {c.diarienummer for c in contracts}
        names = ", ".join(r.table.name for r in used)
        for case in area.cases:
            number = case.data["avtal"].get("diarienummer")
            if number and number not in numbers:
                yield case.source.problem(
                    ("avtal", "diarienummer"), f"avtalet {number} finns inte i avtalsregistret {names} för {area.name}", warning=True
                )


def _team_boards(report: Report) -> Iterator[Problem]:
    """A team input's board against its cases' board, and one team's two summaries."""
    for team in report.inputs.teams:
        if team.board is None:
            continue
        for case in report.inputs.cases:
            if case.area == team.area and case.board != team.board:
                yield team.source.problem(
                    ("team", "namnd"),
                    f"teamunderlaget anger nämnden '{team.board}' men ärendet i {case.ref(('avtal', 'namnd'))} har '{case.board}'",
                    warning=True,
                )
                break
    seen: dict[str, TeamInput] = {}
    for team in report.inputs.teams:
        if not team.data.get("arssummering"):
            continue
        first = seen.setdefault(team.team, team)
        if first is not team:
            yield team.source.problem(
                ("arssummering",),
                f"{team.team} har redan en årssummering ({first.ref(('arssummering',))}); bara den första tas med",
                warning=True,
            )

