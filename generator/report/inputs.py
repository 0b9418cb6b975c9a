"""Reading the annual report's inputs (handbook 2.3): find the files, validate them, read the tables.

Inputs are any mix of

- case files (`arende:`), routine (`typ: lopande`) and in-depth (`typ: fordjupad`);
- team inputs (`team:`, schema/teamunderlag.yaml), one per team and avtalsområde, holding what only
  people know (description, comments, the contract register's figures) and, under `arssummering:`,
  the team's internal annual summary (schema/arssummering.yaml);
- at most one report file (`rapport:`, schema/rapportunderlag.yaml): date, diarienummer, summary;
- contract registers (CSV/XLSX with the columns avtalsomrade, giltigt_fran, giltigt_till);
- indicator data (CSV/XLSX with the columns vardgivare, period, indikator, varde).

Every error of every file is collected and raised at once (`DataError`); what comes out is
`Inputs`, validated, for `figures` to count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..case import CONTROL_CHARACTERS, Source, is_date, read_yaml
from ..context import fill_optional
from ..errors import DataError, InputError, Problem, UsageError, working_on
from ..organisation import board, load_profile, profile_path
from ..placeholders import left_in, placeholder_context
from ..resources import bundled
from ..rules import check, refused_personnummer
from ..schema import case_schema, find_schema, schema_dirs, team_schema, validate
from ..status import NoProgress, Progress
from ..templates import catalogue, template_dirs

TABLE_SUFFIXES = (".csv", ".xlsx")
YAML_SUFFIXES = (".yaml", ".yml")
MAX_TABLE_BYTES = 20 * 1024 * 1024


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


def _resolved(path: Path) -> Path:
    """The file's real path, or the path itself where links loop (reading it then says so)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        return Path(os.path.abspath(path))


def is_output_folder(folder: Path) -> bool:
    """A folder mallgen wrote (its manifest.json says so): the report's own CSV and XLSX files are
    there, and must never be read back as inputs."""
    try:
        manifest = folder / "manifest.json"
        if not manifest.is_file() or manifest.stat().st_size > 10 * 1024 * 1024:
            return False
        text = manifest.read_text(encoding="utf-8", errors="replace")
        return text.lstrip().startswith("{") and '"verktyg": "mallgen' in text
    except OSError:
        return False


def _members(folder: Path, skipped: list[Path]) -> list[Path]:
    """Every input file below `folder`, not following links to folders (no loops) and skipping mallgen's output folders."""
    found: list[Path] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        if is_output_folder(current):
            skipped.append(current)
            continue
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir() and not entry.is_symlink():
                pending.append(entry)
            elif entry.suffix.lower() in (*YAML_SUFFIXES, *TABLE_SUFFIXES) and entry.is_file():
                found.append(entry)
    return sorted(found)


def expand(paths: Iterable[Path], skipped: list[Path] | None = None) -> list[Path]:
    """Files named, and every YAML/CSV/XLSX file under folders named; each file once. Folders (and
    files in folders) that mallgen wrote are left out and added to `skipped`."""
    found: list[Path] = []
    seen: set[Path] = set()
    left_out = skipped if skipped is not None else []
    for path in paths:
        if path.is_dir():
            members = _members(path, left_out)
            if not members and not left_out:
                raise InputError(f"{path}: mappen innehåller inga YAML-, CSV- eller XLSX-filer.")
        elif path.parent.is_dir() and is_output_folder(path.parent):
            left_out.append(path)
            continue
        else:
            members = [path]
        for member in members:
            key = _resolved(member)
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
    paths: list[Path], year: int, organisation: Path | None = None, templates: Path | None = None, progress: Progress | None = None
) -> tuple[Inputs, list[Problem]]:
    """Read and validate every input; raise DataError with every error of every file at once."""
    if not 2000 <= year <= 2100:
        raise UsageError(f"året {year} är orimligt; ange det med fyra siffror, t.ex. --year 2026")
    progress = progress or NoProgress()
    skipped: list[Path] = []
    files = expand(paths, skipped)
    failures: list[str] = []
    problems: list[Problem] = [Problem(str(path), 0, "", "mallgens egna utdata (manifest.json finns); läses inte som indata", warning=True)
                               for path in skipped]
    sources: dict[Path, Source] = {}
    tables: list[Path] = []
    progress.start("Läser indata", len(files))
    for path in files:
        progress.advance()
        if path.suffix.lower() in TABLE_SUFFIXES:
            tables.append(path)
            continue
        try:
            with working_on(path):
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
    if any(not p.warning for p in profile_problems):
        raise DataError(problems, failures)  # nothing can be checked against a broken profile
    inputs = Inputs(year, profile, profile_file)

    sdirs = schema_dirs(templates)
    dirs = tuple(template_dirs(templates))
    schemas = _schemas(dirs, sdirs)
    pattern = profile.get("diarienummer_monster")
    registers: dict[Path, Register] = {}
    progress.start("Kontrollerar", len(sources))
    for path, source in sources.items():
        progress.advance()
        if "arende" in source.data:
            data, found = validate(source, schemas["arende"], sdirs, pattern)
            found += check(data, source, profile, malformed=any(not p.warning for p in found))
            found += left_in(data, schemas["arende"], source, placeholder_context(sdirs))
            problems += found
            if any(not p.warning for p in found):
                continue
            if any(d.year == year for d in _case_dates(data)):
                inputs.cases.append(CaseInput(source, data))
            else:
                inputs.other_years.append(path)
        elif "team" in source.data:
            data, found = validate(source, schemas["team"], sdirs, pattern)
            found += left_in(data, schemas["team"], source, placeholder_context(sdirs))
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
                register_path = _resolved(path.parent / reference)
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
        resolved = _resolved(path)
        try:
            with working_on(path):
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
                f"{path}:1: okänd tabell (kolumner: {', '.join(c for c in table.columns if c) or 'inga'}). Ett avtalsregister har kolumnerna "
                "avtalsomrade, giltigt_fran och giltigt_till; nyckeltal har vardgivare, period, indikator och varde."
            )
    progress.finish()
    inputs.registers = list(registers.values())
    inputs.no_settings = _complete({"rapport": {}}, schemas["rapport"])
    problems += _duplicates(inputs)
    problems += _duplicate_measurements(inputs.measurements)
    problems += _period_spellings(inputs.measurements)
    if failures or any(not p.warning for p in problems):
        raise DataError(problems, failures)
    if not inputs.cases and not inputs.teams:
        raise InputError(f"inga ärendefiler eller teamunderlag för {year} bland indata; kontrollera --year och filerna.")
    return inputs, problems


def _schemas(dirs: tuple[Path, ...], sdirs: list[Path]) -> dict[str, dict[str, Any]]:
    """Each kind of input with every section a file of that kind may hold: a case file the sections
    of the documents made from it, a team file its planning sections (documents `underlag: team`)."""
    known = catalogue(dirs)
    return {
        "arende": case_schema([d for d, t in known.items() if t.source == "arende"], set(), sdirs),
        "team": team_schema([d for d, t in known.items() if t.source == "team"], sdirs),
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
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device (/dev/zero) would block or never end
            raise InputError(f"{path}: är ingen vanlig fil (en FIFO eller en enhet). Ange en CSV- eller XLSX-fil.")
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


MAX_TABLE_ROWS = 100_000  # a year's indicator data is some thousand rows; a contract register a few hundred
MAX_TABLE_COLUMNS = 100
MAX_CELL = 10_000  # characters in one cell: a name, a period, a number; no cell of these tables holds prose
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # what an XLSX may unpack to (a zip bomb unpacks to gigabytes)
MAX_XLSX_RATIO = 200  # unpacked size / packed size of one part; real sheets compress 5-20 times


def _decode_csv(path: Path, raw: bytes) -> str:
    """UTF-8, or Windows-1252 (Excel's "CSV (semikolonavgränsad)" in Swedish); a file mixing the two
    (rows pasted from two sources) is refused with the first line in each, not turned into mojibake."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_line = next((n for n, line in enumerate(raw.splitlines(), 1) if _utf8_non_ascii(line)), None)
        if utf8_line is not None:
            latin_line = raw[: exc.start].count(b"\n") + 1
            raise InputError(f"{path}:{latin_line}: filen blandar teckenkodningar: rad {utf8_line} är UTF-8 men rad {latin_line} "
                             "är det inte (Windows-1252?). Spara hela filen som CSV UTF-8 i Excel.") from None
        return raw.decode("cp1252", errors="replace")


def _utf8_non_ascii(line: bytes) -> bool:
    if line.isascii():
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(path: Path, raw: bytes) -> Table:
    if b"\x00" in raw:
        raise InputError(f"{path}: filen är binär, inte en CSV-fil. Spara den som CSV (UTF-8) eller XLSX.")
    text = _decode_csv(path, raw)
    lines = text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    delimiter = max(";,\t", key=header.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[Row] = []
    columns: list[str] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            _check_row(path, reader.line_num, cells)
            if not columns:
                columns = [column_name(c) for c in cells]
                continue
            rows.append(Row(reader.line_num, {columns[i]: cells[i].strip() for i in range(min(len(columns), len(cells)))}))
    except csv.Error as exc:
        message = "en cell är för lång" if "field larger" in str(exc) else f"filen kan inte läsas som CSV ({exc})"
        raise InputError(f"{path}:{reader.line_num}: {message}. Kontrollera citattecknen i filen.") from None
    return Table(path, columns, rows)


def _check_row(path: Path, line: int, cells: list[Any]) -> None:
    if line > MAX_TABLE_ROWS:
        raise InputError(f"{path}:{line}: tabellen har fler än {MAX_TABLE_ROWS:,} rader; är det rätt fil?".replace(",", "\u00a0"))
    if len(cells) > MAX_TABLE_COLUMNS:
        raise InputError(f"{path}:{line}: raden har {len(cells)} kolumner (högst {MAX_TABLE_COLUMNS}); är det rätt fil?")
    long = next((c for c in cells if isinstance(c, str) and len(c) > MAX_CELL), None)
    if long is not None:
        raise InputError(f"{path}:{line}: en cell har {len(long)} tecken (högst {MAX_CELL}); är det rätt fil?")
    for cell in cells:  # a control character can stand in no document, and not in the XLSX written back
        if isinstance(cell, str) and (bad := CONTROL_CHARACTERS.search(cell.replace("\t", " "))):
            raise InputError(f"{path}:{line}: otillåtet tecken (U+{ord(bad.group(0)):04X}) i en cell; ta bort det")


def _check_package(path: Path, raw: bytes) -> None:
    """Refuse an XLSX that would unpack to far more than any real sheet: a zip bomb (3.6 MB that
    unpacks to 4.8 GB) is stopped before openpyxl reads a byte of it."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl says it is no XLSX
    unpacked = sum(m.file_size for m in members)
    greedy = next((m for m in members if m.compress_size and m.file_size / m.compress_size > MAX_XLSX_RATIO and m.file_size > 1024 * 1024), None)
    if len(members) > 10_000 or unpacked > MAX_XLSX_UNPACKED or greedy is not None:
        raise InputError(f"{path}: filen packas upp till {unpacked // (1024 * 1024)} MB eller är onormalt hårt packad; "
                         "så stora kalkylblad läses inte (är det rätt fil?). Spara den på nytt i Excel eller som CSV.")


def _read_xlsx(path: Path, raw: bytes) -> Table:
    from openpyxl import load_workbook

    _check_package(path, raw)
    rows: list[Row] = []
    columns: list[str] = []
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        if not workbook.worksheets:
            raise InputError(f"{path}: arbetsboken har inget kalkylblad.")
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_TABLE_COLUMNS), start=1):
            values = ["" if c is None else c for c in cells]
            if not any(str(v).strip() for v in values):
                if number > MAX_TABLE_ROWS:
                    _check_row(path, number, [])
                continue
            _check_row(path, number, values)
            if not columns:
                columns = [column_name(c) for c in values]
                continue
            rows.append(Row(number, {columns[i]: (v.strip() if isinstance(v, str) else v) for i, v in enumerate(values) if i < len(columns)}))
        workbook.close()
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken or truncated file, also while reading rows
        raise InputError(f"{path}: filen kan inte läsas som XLSX ({type(exc).__name__}). Spara den på nytt i Excel.") from None
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


MAX_INDICATOR = 1e12  # larger than any count, share or amount in kronor a region's indicator data holds


def _number(value: Any) -> float | None:
    """A finite number of a sane size, or None (`nan`, `inf`, `1e300` and text are no indicator values)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?", text):
            return None
        number = float(text)
    return number if math.isfinite(number) and abs(number) <= MAX_INDICATOR else None


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
            problems.append(table.problem(row, "varde", f"'{cells.get('varde', '')}' är inget tal (ett ändligt tal, högst 10^12 till beloppet)"))
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



def _period_spellings(measurements: list[Measurement]) -> list[Problem]:
    """One period written two ways ("2026-1" and "2026-01") would be two columns of one chart."""
    first: dict[tuple[Any, ...], Measurement] = {}
    problems: list[Problem] = []
    for m in measurements:
        key = tuple(int(part) if part.isdigit() else part.casefold() for part in re.findall(r"\d+|[^\W\d_]+", m.period))
        seen = first.setdefault(key, m)
        if seen.period != m.period:
            problems.append(Problem(m.file, m.line, "period", f"perioden '{m.period}' står som '{seen.period}' på {seen.file}:{seen.line}; "
                                    "skriv varje period på samma sätt"))
    return problems
