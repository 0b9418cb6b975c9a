"""The collated annual report (handbook 2.3): load a year's inputs, compute the figures, check them.

Inputs are any mix of

- case files (`arende:`), routine (`typ: lopande`) and in-depth (`typ: fordjupad`);
- team inputs (`team:`, schema/teamunderlag.yaml), one per team and avtalsområde, holding what only
  people know (description, comments, the contract register's figures) and, under `arssummering:`,
  the team's internal annual summary (schema/arssummering.yaml);
- at most one report file (`rapport:`, schema/rapportunderlag.yaml): date, diarienummer, summary;
- contract registers (CSV/XLSX with the columns avtalsomrade, giltigt_fran, giltigt_till);
- indicator data (CSV/XLSX with the columns vardgivare, period, indikator, varde).

Every figure the case files hold is computed from them and never typed twice: a figure a team
typed anyway is only compared, and a difference is a warning naming both files and lines. The
result is a plain data structure (`Report`) that the three templates, the charts and the CSV/XLSX
export all read, so every format shows the same numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .case import Source, is_date, read_yaml
from .context import fill_optional, mask
from .errors import DataError, InputError, Problem, UsageError
from .organisation import board, load_profile, profile_path
from .resources import bundled
from .rules import check, refused_personnummer
from .schema import case_schema, find_schema, schema_dirs, validate
from .templates import catalogue, environment, find_template, template_dirs

# Escalation steps (handbook kap. 4) as the report counts them.
STEPS = ("1", "2a", "2b", "3", "3a", "3b", "4a", "4b", "5")  # 0 is the normal state, not a measure
ACTION_PLAN = "2a"
OTHER_MEASURES = ("3", "3a", "4a", "5")  # measures beyond an action plan; 2b, 3b, 4b follow a measure up
MEASURES = (ACTION_PLAN, *OTHER_MEASURES)
MEETINGS = ("kvalitetsdialog", "besok", "dialogmote")  # follow-up activities with the provider

TABLE_SUFFIXES = (".csv", ".xlsx")
YAML_SUFFIXES = (".yaml", ".yml")
MAX_TABLE_BYTES = 20 * 1024 * 1024
MAX_REFS = 4  # file:line references printed in one warning before "och N till"

REPORT_ID = "samlad-aterrapportering"
TEAM_ID = "arssummering-team"
DEPARTMENT_ID = "arssummering-avdelning"


# --- inputs ------------------------------------------------------------------------------------


@dataclass
class CaseInput:
    """One case file that has activity in the report year."""

    source: Source
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["arende"]["id"])

    @property
    def indepth(self) -> bool:
        return bool(self.data["arende"]["typ"] == "fordjupad")

    @property
    def area(self) -> str:
        return str(self.data["avtal"]["avtalsomrade"])

    @property
    def board(self) -> str:
        return str(self.data["avtal"]["namnd"])

    @property
    def contract(self) -> str:
        """Identity of the contract: its diarienummer, else provider and contract name."""
        avtal = self.data["avtal"]
        return str(avtal.get("diarienummer") or f"{self.data['vardgivare']['orgnr']}/{avtal['benamning']}")

    @property
    def provider(self) -> str:
        vardgivare = self.data["vardgivare"]
        return str(vardgivare.get("verksamhet") or vardgivare["namn"])

    def ref(self, path: tuple[Any, ...] = ()) -> str:
        return f"{self.source.name}:{self.source.line_of(path)}"


@dataclass
class Row:
    """One row of a CSV/XLSX table, its cells keyed by normalised column name."""

    line: int
    cells: dict[str, Any]


@dataclass
class Table:
    """A CSV or XLSX file (its first sheet)."""

    path: Path
    columns: list[str]
    rows: list[Row]

    @property
    def name(self) -> str:
        return str(self.path)

    def problem(self, row: Row | None, column: str, message: str, warning: bool = False) -> Problem:
        return Problem(self.name, row.line if row else 1, column, message, warning)


@dataclass(frozen=True)
class Contract:
    """One row of a contract register."""

    area: str
    valid_from: dt.date
    valid_to: dt.date | None
    diarienummer: str
    line: int


@dataclass
class Register:
    table: Table
    contracts: list[Contract]


@dataclass(frozen=True)
class Measurement:
    """One value of indicator data: provider × period × indicator."""

    provider: str
    period: str
    indicator: str
    value: float
    unit: str
    area: str
    line: int
    file: str


@dataclass
class TeamInput:
    source: Source
    data: dict[str, Any]
    register: Register | None = None

    @property
    def team(self) -> str:
        return str(self.data["team"]["namn"])

    @property
    def area(self) -> str:
        return str(self.data["team"]["avtalsomrade"])

    @property
    def board(self) -> str | None:
        value = self.data["team"].get("namnd")
        return str(value) if value else None

    def ref(self, path: tuple[Any, ...]) -> str:
        return f"{self.source.name}:{self.source.line_of(path)}"


@dataclass
class Inputs:
    """Everything read for one year, validated."""

    year: int
    profile: dict[str, Any]
    profile_file: Path
    cases: list[CaseInput] = field(default_factory=list)
    other_years: list[Path] = field(default_factory=list)  # case files without activity in the year
    teams: list[TeamInput] = field(default_factory=list)
    registers: list[Register] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    indicator_files: list[str] = field(default_factory=list)
    settings: Source | None = None
    no_settings: dict[str, Any] = field(default_factory=dict)  # every field of a report file, empty

    @property
    def settings_data(self) -> dict[str, Any]:
        return self.settings.data if self.settings is not None else self.no_settings


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, and every YAML/CSV/XLSX file under folders named; each file once."""
    found: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            members = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (*YAML_SUFFIXES, *TABLE_SUFFIXES) and not p.name.startswith(".")
            )
            if not members:
                raise InputError(f"{path}: mappen innehåller inga YAML-, CSV- eller XLSX-filer.")
        else:
            members = [path]
        for member in members:
            key = member.resolve()
            if key not in seen:
                seen.add(key)
                found.append(member)
    return found


def _case_dates(data: dict[str, Any]) -> list[dt.date]:
    """The dates on which something happened in a case: start, meetings, steps, hand-over."""
    dates = [data["arende"]["startdatum"]]
    dates += [m["datum"] for m in data.get("moten") or []]
    dates += [s["datum"] for s in data.get("eskalering") or []]
    handover = data.get("overlamning")
    if isinstance(handover, dict):
        dates.append(handover.get("datum"))
    return [d for d in dates if is_date(d)]


def _profile_for(sources: dict[Path, Source], explicit: Path | None) -> Path:
    """`--organisation`, else the report file's or the first case's profile, else the bundled example."""
    if explicit is not None:
        return explicit
    ordered = sorted(sources.items(), key=lambda item: 0 if "rapport" in item[1].data else 1 if "arende" in item[1].data else 2)
    for path, source in ordered:
        if "rapport" in source.data or "arende" in source.data or "team" in source.data:
            return profile_path(path, source.data, None)
    return bundled("examples") / "organisation.yaml"


def load_inputs(
    paths: list[Path], year: int, organisation: Path | None = None, templates: Path | None = None
) -> tuple[Inputs, list[Problem]]:
    """Read and validate every input; raise DataError with every error of every file at once."""
    if not 2000 <= year <= 2100:
        raise UsageError(f"året {year} är orimligt; ange det med fyra siffror, t.ex. --year 2026")
    files = expand(paths)
    failures: list[str] = []
    problems: list[Problem] = []
    sources: dict[Path, Source] = {}
    tables: list[Path] = []
    for path in files:
        if path.suffix.lower() in TABLE_SUFFIXES:
            tables.append(path)
            continue
        try:
            source = read_yaml(path, what="indatafilen")
        except InputError as exc:
            failures.append(str(exc))
            continue
        data = source.data
        if "region" in data and "namnder" in data:
            continue  # the organisation profile lying among the inputs
        if not any(key in data for key in ("arende", "team", "rapport")):
            failures.append(
                f"{path}:1: okänd sorts indatafil. En ärendefil börjar med 'arende:', ett teamunderlag med 'team:' "
                "och en rapportfil med 'rapport:'; avtalsregister och nyckeltal lämnas som CSV eller XLSX."
            )
            continue
        sources[path] = source

    profile_file = _profile_for(sources, organisation)
    try:
        profile, profile_problems = load_profile(profile_file)
    except InputError as exc:
        raise InputError(f"organisationsprofilen kunde inte läsas: {exc}") from None
    problems += profile_problems
    inputs = Inputs(year, profile, profile_file)

    sdirs = schema_dirs(templates)
    dirs = tuple(template_dirs(templates))
    schemas = _schemas(dirs, sdirs)
    pattern = profile.get("diarienummer_monster")
    registers: dict[Path, Register] = {}
    for path, source in sources.items():
        if "arende" in source.data:
            data, found = validate(source, schemas["arende"], sdirs, pattern)
            found += check(data, source, profile, malformed=any(not p.warning for p in found))
            problems += found
            if any(not p.warning for p in found):
                continue
            if any(d.year == year for d in _case_dates(data)):
                inputs.cases.append(CaseInput(source, data))
            else:
                inputs.other_years.append(path)
        elif "team" in source.data:
            data, found = validate(source, schemas["team"], sdirs, pattern)
            problems += found
            if any(not p.warning for p in found):
                continue
            team = TeamInput(source, _complete(data, schemas["team"]))
            if profile.get("sekretess", {}).get("personnummer") == "vagra":
                problems += refused_personnummer(data, source, list(PUBLIC_TEAM_TEXT))
            problems += _check_board(source, ("team", "namnd"), team.board, profile)
            if data["ar"] != year:
                problems.append(source.problem(("ar",), f"teamunderlaget gäller {data['ar']}, inte {year}; det tas inte med", warning=True))
                continue
            reference = data.get("avtalsregister")
            if reference:
                register_path = (path.parent / reference).resolve()
                if register_path not in registers:
                    try:
                        table = read_table(register_path)
                    except InputError as exc:
                        problems.append(source.problem(("avtalsregister",), f"avtalsregistret kan inte läsas: {exc}"))
                        continue
                    register, found = parse_register(table)
                    problems += found
                    registers[register_path] = register
                team.register = registers[register_path]
            inputs.teams.append(team)
        else:
            data, found = validate(source, schemas["rapport"], sdirs, pattern)
            problems += found
            if inputs.settings is not None:
                problems.append(source.problem(("rapport",), f"det finns redan en rapportfil ({inputs.settings.name}); ange bara en"))
                continue
            if not any(not p.warning for p in found):
                if data["rapport"]["ar"] != year:
                    problems.append(
                        source.problem(
                            ("rapport", "ar"), f"rapportfilen gäller {data['rapport']['ar']}, men rapporten tas fram för {year} (--year)"
                        )
                    )
                for board_id in data["rapport"].get("ansvar") or {}:
                    problems += _check_board(source, ("rapport", "ansvar", board_id), board_id, profile)
                inputs.settings = Source(source.path, _complete(data, schemas["rapport"]), source.lines)

    for path in tables:
        resolved = path.resolve()
        try:
            table = read_table(path)
        except InputError as exc:
            failures.append(str(exc))
            continue
        if "indikator" in table.columns:
            measurements, found = parse_indicators(table)
            inputs.measurements += measurements
            inputs.indicator_files.append(table.name)
            problems += found
        elif "giltigt_fran" in table.columns:
            if resolved not in registers:
                register, found = parse_register(table)
                problems += found
                registers[resolved] = register
        else:
            failures.append(
                f"{path}:1: okänd tabell (kolumner: {', '.join(table.columns) or 'inga'}). Ett avtalsregister har kolumnerna "
                "avtalsomrade, giltigt_fran och giltigt_till; nyckeltal har vardgivare, period, indikator och varde."
            )
    inputs.registers = list(registers.values())
    inputs.no_settings = _complete({"rapport": {}}, schemas["rapport"])
    problems += _duplicates(inputs)
    problems += _duplicate_measurements(inputs.measurements)
    if failures or any(not p.warning for p in problems):
        raise DataError(problems, failures)
    if not inputs.cases and not inputs.teams:
        raise InputError(f"inga ärendefiler eller teamunderlag för {year} bland indata; kontrollera --year och filerna.")
    return inputs, problems


def _schemas(dirs: tuple[Path, ...], sdirs: list[Path]) -> dict[str, dict[str, Any]]:
    team = dict(find_schema("teamunderlag", sdirs) or {})
    team["arssummering"] = {"type": "dict", "intern": True, "schema": find_schema("arssummering", sdirs) or {}}
    return {
        "arende": case_schema(list(catalogue(dirs)), set(), sdirs),
        "team": team,
        "rapport": find_schema("rapportunderlag", sdirs) or {},
    }


def _complete(data: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Every field the schema knows, None when absent; optional groups of text become empty groups,
    so a template can test `{% if area.comment.slutsatser %}` and a misspelt name still fails."""
    data = fill_optional(data, {"type": "dict", "schema": schema})
    for key, rule in schema.items():
        if (
            data.get(key) is None
            and isinstance(rule, dict)
            and rule.get("type") == "dict"
            and not rule.get("intern")
            and isinstance(rule.get("schema"), dict)
        ):
            data[key] = fill_optional({}, rule)
    return data


PUBLIC_TEAM_TEXT = ("beskrivning", "kommentar", "specifikation")  # what of a team input reaches the board


def _check_board(source: Source, path: tuple[Any, ...], board_id: str | None, profile: dict[str, Any]) -> list[Problem]:
    if board_id is None or board(profile, board_id) is not None:
        return []
    known = ", ".join(b["id"] for b in profile.get("namnder", []))
    return [source.problem(path, f"nämnden '{board_id}' finns inte i organisationsprofilen (kända: {known})")]


def _duplicates(inputs: Inputs) -> list[Problem]:
    """Two team inputs for one area, or two case files with one id, would be counted twice."""
    problems: list[Problem] = []
    teams: dict[str, TeamInput] = {}
    for team in inputs.teams:
        first = teams.setdefault(team.area, team)
        if first is not team:
            problems.append(
                team.source.problem(
                    ("team", "avtalsomrade"),
                    f"avtalsområdet '{team.area}' har redan ett teamunderlag ({first.ref(('team', 'avtalsomrade'))}); slå ihop dem",
                )
            )
    cases: dict[str, CaseInput] = {}
    for case in inputs.cases:
        first_case = cases.setdefault(case.id, case)
        if first_case is not case:
            problems.append(
                case.source.problem(
                    ("arende", "id"),
                    f"ärende-id '{case.id}' finns redan i {first_case.ref(('arende', 'id'))}; samma ärende skulle räknas två gånger",
                )
            )
    return problems


# --- tables (CSV and XLSX) -----------------------------------------------------------------------

_FOLD = str.maketrans("åäöÅÄÖé", "aaoaaoe")


def column_name(text: Any) -> str:
    """`Giltigt från` -> `giltigt_fran`, `Värde` -> `varde`: headers as exported, compared loosely."""
    return re.sub(r"[^a-z0-9]+", "_", str(text or "").strip().lower().translate(_FOLD)).strip("_")


def read_table(path: Path) -> Table:
    """A CSV (UTF-8 or Windows-1252; `;`, `,` or tab) or the first sheet of an XLSX file."""
    try:
        if path.is_dir():
            raise InputError(f"{path}: är en mapp, inte en fil.")
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise InputError(f"{path}: filen är för stor ({size // 1024 // 1024} MB). Är det rätt fil?")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: filen finns inte. Kontrollera sökvägen.") from None
    except OSError as exc:
        raise InputError(f"{path}: filen kan inte läsas ({exc.strerror}).") from None
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path, raw)
    return _read_csv(path, raw)


def _read_csv(path: Path, raw: bytes) -> Table:
    if b"\x00" in raw:
        raise InputError(f"{path}: filen är binär, inte en CSV-fil. Spara den som CSV (UTF-8) eller XLSX.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's "CSV (semikolonavgränsad)" in Swedish Windows
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    delimiter = max(";,\t", key=header.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[Row] = []
    columns: list[str] = []
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        if not columns:
            columns = [column_name(c) for c in cells]
            continue
        rows.append(Row(number, {columns[i]: cells[i].strip() for i in range(min(len(columns), len(cells)))}))
    return Table(path, columns, rows)


def _read_xlsx(path: Path, raw: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(f"{path}: filen kan inte läsas som XLSX ({type(exc).__name__}). Spara den på nytt i Excel.") from None
    sheet = workbook.worksheets[0]
    rows: list[Row] = []
    columns: list[str] = []
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        values = ["" if c is None else c for c in cells]
        if not any(str(v).strip() for v in values):
            continue
        if not columns:
            columns = [column_name(c) for c in values]
            continue
        rows.append(Row(number, {columns[i]: (v.strip() if isinstance(v, str) else v) for i, v in enumerate(values) if i < len(columns)}))
    workbook.close()
    return Table(path, columns, rows)


def _date_cell(value: Any) -> dt.date | None | str:
    """A date from a cell: an Excel date, or text written ÅÅÅÅ-MM-DD. Returns text when unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return text


def parse_register(table: Table) -> tuple[Register, list[Problem]]:
    """Contract rows: avtalsomrade, giltigt_fran, giltigt_till (empty while in force), diarienummer."""
    problems = [
        table.problem(None, column, f"kolumnen '{column}' saknas i avtalsregistret")
        for column in ("avtalsomrade", "giltigt_fran")
        if column not in table.columns
    ]
    contracts: list[Contract] = []
    if problems:
        return Register(table, contracts), problems
    for row in table.rows:
        area = str(row.cells.get("avtalsomrade") or "").strip()
        start, end = _date_cell(row.cells.get("giltigt_fran")), _date_cell(row.cells.get("giltigt_till"))
        bad = False
        if not area:
            problems.append(table.problem(row, "avtalsomrade", "avtalsområdet saknas"))
            bad = True
        for column, value in (("giltigt_fran", start), ("giltigt_till", end)):
            if isinstance(value, str):
                problems.append(table.problem(row, column, f"'{value}' är inget datum (skriv ÅÅÅÅ-MM-DD)"))
                bad = True
        if start is None:
            problems.append(table.problem(row, "giltigt_fran", "datumet saknas"))
            bad = True
        if bad:
            continue
        assert isinstance(start, dt.date) and not isinstance(end, str)
        if end is not None and end < start:
            problems.append(table.problem(row, "giltigt_till", "avtalet slutar före det börjar"))
            continue
        contracts.append(Contract(area, start, end, str(row.cells.get("diarienummer") or "").strip(), row.line))
    return Register(table, contracts), problems


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def parse_indicators(table: Table) -> tuple[list[Measurement], list[Problem]]:
    """Indicator rows: vardgivare, period, indikator, varde (decimal comma or point), enhet, avtalsomrade."""
    problems = [
        table.problem(None, column, f"kolumnen '{column}' saknas i nyckeltalen")
        for column in ("vardgivare", "period", "indikator", "varde")
        if column not in table.columns
    ]
    out: list[Measurement] = []
    if problems:
        return out, problems
    for row in table.rows:
        cells = {k: str(v).strip() if v is not None else "" for k, v in row.cells.items()}
        missing = [c for c in ("vardgivare", "period", "indikator") if not cells.get(c)]
        for column in missing:
            problems.append(table.problem(row, column, "värdet saknas"))
        value = _number(row.cells.get("varde"))
        if value is None:
            problems.append(table.problem(row, "varde", f"'{cells.get('varde', '')}' är inget tal"))
        if missing or value is None:
            continue
        period = cells["period"]
        if isinstance(row.cells.get("period"), (dt.date, dt.datetime)):
            period = _date_cell(row.cells["period"]).isoformat()  # type: ignore[union-attr]
        out.append(
            Measurement(
                cells["vardgivare"],
                period,
                cells["indikator"],
                value,
                cells.get("enhet", ""),
                cells.get("avtalsomrade", ""),
                row.line,
                table.name,
            )
        )
    return out, problems


def _duplicate_measurements(measurements: list[Measurement]) -> list[Problem]:
    seen: dict[tuple[str, str, str], Measurement] = {}
    problems: list[Problem] = []
    for m in measurements:
        first = seen.setdefault((m.indicator, m.provider, m.period), m)
        if first is not m and first.value != m.value:
            problems.append(
                Problem(
                    m.file,
                    m.line,
                    "varde",
                    f"'{m.indicator}' för {m.provider} {m.period} finns redan med ett annat värde ({first.file}:{first.line})",
                )
            )
    return problems


# --- the computed report --------------------------------------------------------------------------


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
    """Natural order: `2026 kv 2` before `2026 kv 10`."""
    return tuple(int(part) if part.isdigit() else part for part in re.findall(r"\d+|\D+", period))


def team_summaries(inputs: Inputs, areas: list[Area]) -> list[TeamSummary]:
    """One summary per team that wrote one; the figures cover all the team's areas."""
    out: list[TeamSummary] = []
    seen: dict[str, TeamInput] = {}
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
                slug(team.team),
                team.source,
                team.data["arssummering"],
                mine,
                {k: lights.get(k, 0) for k in ("gron", "gul", "rod")},
            )
        )
    return out


def slug(text: str) -> str:
    """`Team Vårdval Vårdcentral` -> `vardval-vardcentral` (a file name)."""
    text = re.sub(r"^team\s+", "", text.strip(), flags=re.I)
    return re.sub(r"[^a-z0-9]+", "-", text.lower().translate(_FOLD)).strip("-") or "team"


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


# --- figures as CSV and XLSX ---------------------------------------------------------------------


def _cell(value: Any) -> Any:
    return "" if value is None else value


def figure_tables(report: Report) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The report's figures as tables (name -> header, rows), the same numbers the documents show."""
    labels = [label for _, label in FIGURES]
    areas_rows: list[list[Any]] = []
    for b in report.boards:
        for area in b.areas:
            areas_rows.append([b.name, area.name, *(_cell(getattr(area, name)) for name, _ in FIGURES)])
        areas_rows.append([b.name, "Totalt", *(_cell(getattr(b.total, name)) for name, _ in FIGURES)])
    if len(report.boards) > 1:
        areas_rows.append(["Samtliga", "Totalt", *(_cell(getattr(report.total, name)) for name, _ in FIGURES)])
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        "avtalsomraden": (["Nämnd eller styrelse", "Avtalsområde", *labels], areas_rows),
        "eskaleringssteg": (
            ["Steg", "Benämning", *(b.name for b in report.boards), "Totalt"],
            [[row["steg"], row["text"], *(row["namnder"][b.id] for b in report.boards), row["totalt"]] for row in report.steps],
        ),
    }
    if report.series:
        rows = [
            [s.indicator, s.unit, p, period, _cell(s.value(p, period))]
            for s in report.series
            for p in s.providers
            for period in s.periods
            if s.value(p, period) is not None
        ]
        tables["nyckeltal"] = (["Indikator", "Enhet", "Vårdgivare", "Period", "Värde"], rows)
    return tables


def decimal(value: float | None) -> str:
    """`78.5` -> `78,5`: one decimal, Swedish comma; the same text in documents and CSV."""
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """Semicolon-separated UTF-8 with BOM: what Excel in Swedish opens without an import dialogue."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([decimal(v) if isinstance(v, float) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


SHEET_NAMES = {"avtalsomraden": "Avtalsområden", "eskaleringssteg": "Eskaleringssteg", "nyckeltal": "Nyckeltal"}


def to_xlsx(tables: dict[str, tuple[list[str], list[list[Any]]]], report: Report, title: str, author: str) -> bytes:
    """One sheet per table, a bold frozen header row, numbers as numbers; reproducible bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from .render import normalize_zip

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in tables.items():
        sheet = workbook.create_sheet(SHEET_NAMES.get(name, name))
        sheet.append(header)
        for row in rows:
            sheet.append([round(v, 1) if isinstance(v, float) else v for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(zip(header, *rows, strict=True), start=1):
            width = min(60, max(len(str(v)) for v in column) + 2)
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    moment = dt.datetime.combine(report.date, dt.time(0, 0))
    props = workbook.properties
    props.title, props.creator, props.lastModifiedBy = title, author, author
    props.created = props.modified = moment
    props.language = "sv-SE"
    props.keywords = report.diarienummer
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode("utf-8")
    stamp = f"{report.date.isoformat()}T00:00:00Z"  # openpyxl stamps `modified` with the clock on save
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", core)
    return normalize_zip(data, {"docProps/core.xml": core.encode("utf-8")})


# --- contexts for the templates -----------------------------------------------------------------


# --- rendering: the three documents and the figure files -------------------------------------------


@dataclass
class Built:
    """What `mallgen report` writes (not yet written), and the warnings to show."""

    folder_case: Any  # a pipeline.Case standing for the report, so output.write_case can write it
    rendered: list[Any]
    warnings: list[Problem]
    report: Report


def _meta(report: Report, template: Any, subject: str, date: dt.date) -> Any:
    from .render import DocumentMeta

    return DocumentMeta.of(template, report.inputs.profile, case_title=subject, case_id=f"rapport-{report.year}",
                           diarienummer=report.diarienummer, date=date, data_hash=report.data_hash)


def render_formats(
    template: Any,
    body: str,
    meta: Any,
    formats: tuple[str, ...],
    dirs: tuple[Path, ...],
    charts: dict[str, Any],
    output_id: str | None = None,
    cases: list[CaseInput] | None = None,
) -> list[Any]:
    """One document's Markdown body in every requested format, charts resolved per format.

    A document that leaves the team is scanned for the internal values of every case it was
    compiled from (`cases`); a hit stops the report before anything is written.
    """
    from .pipeline import Rendered
    from .render import to_formats

    document = replace(template, id=output_id) if output_id else template
    outputs = to_formats(body, meta, formats, dirs, charts)
    if not template.internal and cases:
        _scan_leaks(template, {extension: text for extension, _, text in outputs}, cases, meta.organisation)
    return [Rendered(document, extension, content) for extension, content, _ in outputs]


def _scan_leaks(template: Any, texts: dict[str, str], cases: list[CaseInput], profile: dict[str, Any]) -> None:
    from . import leaks
    from .pipeline import Case

    canon = {extension: leaks.canonical(text) for extension, text in texts.items()}
    problems: list[Problem] = []
    for index, item in enumerate(cases):
        case = Case(item.source, item.data, {}, profile, [], "", [])
        problems += leaks.scan(case, template, texts, canon, personnummer=index == 0)
    if problems:
        raise DataError(sorted(set(problems)))


def render_report(report: Report, formats: tuple[str, ...], dirs: tuple[Path, ...]) -> list[Any]:
    """The collated report, the team and department summaries, and the figure files, in memory."""
    from .charts import report_charts
    from .pipeline import Rendered
    from .render import render_markdown

    profile = report.inputs.profile
    region = profile["region"]
    out: list[Any] = []

    template = find_template(REPORT_ID, dirs)
    charts, alt = report_charts(report)
    context = {"rapport": report, "org": profile, "mall": template.as_context(), "diagram": alt, "decimal": decimal}
    body = render_markdown(template, context, dirs)
    meta = _meta(report, template, f"{region} {report.year}", report.date)
    out += render_formats(template, body, meta, formats, dirs, charts, cases=report.inputs.cases)

    tables = figure_tables(report)
    for name, (header, rows) in tables.items():
        out.append(Rendered(replace(template, id=f"{REPORT_ID}-{name}"), "csv", to_csv(header, rows)))
    out.append(Rendered(template, "xlsx", to_xlsx(tables, report, meta.full_title, meta.author)))

    if report.summaries:
        team_template = find_template(TEAM_ID, dirs)
        for summary in report.summaries:
            context = {"rapport": report, "team": summary, "org": profile, "mall": team_template.as_context(), "decimal": decimal}
            body = render_markdown(team_template, context, dirs)
            meta = _meta(report, team_template, f"{summary.team} {report.year}", summary.data["datum"])
            out += render_formats(team_template, body, meta, formats, dirs, {}, f"{TEAM_ID}-{summary.slug}")
        department_template = find_template(DEPARTMENT_ID, dirs)
        context = {
            "rapport": report,
            "org": profile,
            "mall": department_template.as_context(),
            "decimal": decimal,
            "avdelning": report.department,
        }
        body = render_markdown(department_template, context, dirs)
        date = report.department.get("datum") or max(s.data["datum"] for s in report.summaries)
        meta = _meta(report, department_template, f"{profile['avdelning']} {report.year}", date)
        out += render_formats(department_template, body, meta, formats, dirs, {})
    return out


def build_report(
    paths: list[Path],
    year: int,
    formats: tuple[str, ...],
    templates: Path | None = None,
    organisation: Path | None = None,
    check_only: bool = False,
) -> Built:
    """Load, compute, check and render the year's report; nothing is written here."""
    from .pipeline import Case
    dirs = tuple(template_dirs(templates))
    inputs, warnings = load_inputs(paths, year, organisation, templates)
    report = compute(inputs, dirs)
    warnings = sorted(set(warnings + check_report(report)))
    rendered = [] if check_only else render_report(report, formats, dirs)
    source = inputs.settings or Source(Path(f"rapport-{year}"), {})
    folder_case = Case(  # the report's output folder and manifest, written like a case's
        source=source,
        data={"arende": {"id": f"rapport-{year}", "diarienummer": report.diarienummer}},
        schema={},
        profile=inputs.profile,
        documents=[],
        data_hash=report.data_hash,
        warnings=warnings,
    )
    return Built(folder_case, rendered, warnings, report)


__all__ = [
    "Area",
    "Board",
    "Built",
    "Inputs",
    "Report",
    "build_report",
    "check_report",
    "compute",
    "count_register",
    "figure_tables",
    "load_inputs",
    "render_report",
    "to_csv",
    "to_xlsx",
]
