"""The collated annual report (`mallgen report`): figures, warnings, audiences, charts and formats.

The figures are recomputed here independently, by plain counting over the example YAML files
with PyYAML, following the definitions the report prints under "Om underlaget"; they are then
compared with what the report wrote (CSV, XLSX, Markdown, DOCX).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE, EXAMPLES

RAPPORT = EXAMPLES / "rapport"
YEAR = 2026
HANDLINGSPLAN = {"2a"}
UTOVER = {"3", "3a", "4a", "5"}


# --- independent recomputation -----------------------------------------------------------------


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _in_year(value: object) -> bool:
    return isinstance(value, dt.date) and value.year == YEAR


def expected_figures() -> dict[tuple[str, str], dict[str, int]]:
    """(board id, avtalsområde) -> figures, counted straight from the example files."""
    cases = []
    for path in sorted((RAPPORT / "arenden").glob("*.yaml")):
        data = _load(path)
        dates = [data["arende"]["startdatum"]]
        dates += [m["datum"] for m in data.get("moten", [])] + [s["datum"] for s in data.get("eskalering", [])]
        dates += [data["overlamning"]["datum"]] if "overlamning" in data else []
        if any(_in_year(d) for d in dates):
            cases.append(data)
    figures: dict[tuple[str, str], dict[str, int]] = {}
    groups = defaultdict(list)
    for data in cases:
        groups[(data["avtal"]["namnd"], data["avtal"]["avtalsomrade"])].append(data)
    for key, members in groups.items():
        steps = {
            (d["avtal"]["diarienummer"], s["steg"], s["datum"]) for d in members for s in d.get("eskalering", []) if _in_year(s["datum"])
        }
        handed = {
            d["arende"]["id"]
            for d in members
            if d["arende"]["typ"] == "fordjupad" and _in_year(d.get("overlamning", {}).get("datum", d["arende"]["startdatum"]))
        }
        figures[key] = {
            "Uppföljda avtal": len({d["avtal"]["diarienummer"] for d in members}),
            "Handlingsplaner": sum(1 for s in steps if s[1] in HANDLINGSPLAN),
            "Åtgärder utöver handlingsplan": sum(1 for s in steps if s[1] in UTOVER),
            "Påbörjade åtgärder": sum(1 for s in steps if s[1] in HANDLINGSPLAN | UTOVER),
            "Ärenden överlämnade till fördjupad uppföljning": len(handed),
        }
    for path in sorted((RAPPORT / "team").glob("*.yaml")):
        team = _load(path)
        key = (team["team"]["namnd"], team["team"]["avtalsomrade"])
        if "avtal_under_perioden" in team:
            start, end = team["avtal_under_perioden"]["borjan"], team["avtal_under_perioden"]["slut"]
        else:
            start = end = 0
            with open(path.parent / team["avtalsregister"], encoding="utf-8") as handle:
                for row in csv.DictReader(handle, delimiter=";"):
                    if row["avtalsomrade"] != key[1]:
                        continue
                    begins = dt.date.fromisoformat(row["giltigt_fran"])
                    ends = dt.date.fromisoformat(row["giltigt_till"]) if row["giltigt_till"] else dt.date.max
                    start += begins <= dt.date(YEAR, 1, 1) <= ends
                    end += begins <= dt.date(YEAR, 12, 31) <= ends
        figures[key] |= {"Avtal vid periodens början": start, "Avtal vid periodens slut": end}
    return figures


BOARDS = {"hsn": "Hälso- och sjukvårdsnämnden", "rs": "Regionstyrelsen"}


# --- running the report once -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mallgen report` on the bundled examples, Markdown and DOCX (the PDF has its own test)."""
    from generator.cli import main

    folder = tmp_path_factory.mktemp("rapport")
    result = CliRunner().invoke(
        main, ["report", "--year", str(YEAR), str(RAPPORT), "-o", str(folder), "-f", "md,docx"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == "", "the bundled examples must not give warnings"
    return folder / f"rapport-{YEAR}"


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def docx_text(path: Path) -> str:
    from docx import Document

    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(parts)


def area_section(text: str, area: str) -> str:
    """The '<area> – sammanfattning av resultat' part of a document's text."""
    start = text.index(f"{area} – sammanfattning av resultat")
    following = [m.start() for m in re.finditer(r"Översikt avseende|^#+ Avtal under|^Avtal under|Om underlaget", text[start:], re.M)]
    return text[start : start + min(following)] if following else text[start:]


# --- figures ---------------------------------------------------------------------------------------


def test_csv_figures_equal_an_independent_count(out: Path) -> None:
    expected = expected_figures()
    rows = {(r["Nämnd eller styrelse"], r["Avtalsområde"]): r for r in read_csv(out / "samlad-aterrapportering-avtalsomraden.csv")}
    assert len(expected) >= 3
    for (board, area), figures in expected.items():
        row = rows[(BOARDS[board], area)]
        for label, value in figures.items():
            assert int(row[label]) == value, (area, label)
    for board, name in BOARDS.items():  # one total row per board, computed from the areas above
        total = rows[(name, "Totalt")]
        for label in ("Uppföljda avtal", "Påbörjade åtgärder", "Handlingsplaner"):
            assert int(total[label]) == sum(v[label] for k, v in expected.items() if k[0] == board)


def test_xlsx_holds_the_same_numbers_as_the_csv(out: Path) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(out / "samlad-aterrapportering.xlsx", read_only=True)
    assert workbook.sheetnames[:2] == ["Avtalsområden", "Eskaleringssteg"]
    sheet_rows = [list(r) for r in workbook["Avtalsområden"].iter_rows(values_only=True)]
    csv_rows = read_csv(out / "samlad-aterrapportering-avtalsomraden.csv")
    header = sheet_rows[0]
    assert header == list(csv_rows[0].keys())
    for sheet_row, csv_row in zip(sheet_rows[1:], csv_rows, strict=True):
        assert [("" if v is None else str(v)) for v in sheet_row] == list(csv_row.values())
        assert all(isinstance(v, int) for v in sheet_row[2:] if v is not None), "numbers are numbers in Excel"


def test_markdown_and_docx_print_the_computed_figures(out: Path) -> None:
    markdown = (out / "samlad-aterrapportering.md").read_text(encoding="utf-8")
    word = docx_text(out / "samlad-aterrapportering.docx")
    for (_, area), figures in expected_figures().items():
        for text in (markdown, word):
            section = area_section(text, area)
            for label in ("Uppföljda avtal", "Handlingsplaner", "Åtgärder utöver handlingsplan"):
                match = re.search(rf"{label}: (\d+) st\.", section)
                assert match and int(match.group(1)) == figures[label], (area, label)
            handed = re.search(r"(\d+) ärenden? överlämnades till fördjupad uppföljning", section)
            assert handed and int(handed.group(1)) == figures["Ärenden överlämnade till fördjupad uppföljning"]
    totals = expected_figures().values()
    followed = sum(f["Uppföljda avtal"] for f in totals)
    started = sum(f["Påbörjade åtgärder"] for f in totals)
    assert f"följdes {followed} avtal upp" in word.replace("**", "")
    assert f"{followed} avtal" in markdown and f"{started} åtgärder påbörjades:" in markdown and "**" not in markdown


def test_a_step_recorded_in_both_the_routine_and_the_indepth_case_counts_once(out: Path) -> None:
    routine = _load(RAPPORT / "arenden" / "vc-norrsund-centrum.yaml")
    indepth = _load(RAPPORT / "arenden" / "vc-norrsund-centrum-fordjupad.yaml")
    shared = {(s["steg"], s["datum"]) for s in routine["eskalering"]} & {(s["steg"], s["datum"]) for s in indepth["eskalering"]}
    assert ("2a", dt.date(2026, 1, 20)) in shared  # the examples exercise the rule
    section = area_section((out / "samlad-aterrapportering.md").read_text(encoding="utf-8"), "Vårdval Vårdcentral")
    assert section.count("| Vårdcentralen Norrsund Centrum | 2026-01-20 |") == 1


def test_boards_are_reported_separately(out: Path) -> None:
    markdown = (out / "samlad-aterrapportering.md").read_text(encoding="utf-8")
    hsn, rs = markdown.index("\n## Avtal under Hälso- och sjukvårdsnämnden"), markdown.index("\n## Avtal under Regionstyrelsen")
    assert hsn < markdown.index("### Översikt avseende Vårdval Vårdcentral") < rs < markdown.index("### Översikt avseende Radiologi")
    assert "Koncerninköp ansvarar för återrapporteringen av de avtal som ligger under Regionstyrelsen" in markdown


# --- no internal values in the board report ---------------------------------------------------------


def internal_texts() -> list[str]:
    """The examples' internal values: traffic-light grounds, internal notes, the teams' summaries."""
    texts = []
    for path in (RAPPORT / "arenden").glob("*.yaml"):
        data = _load(path)
        if "verksamhetsbedomning" in data:
            texts.append(data["verksamhetsbedomning"]["motivering"])
        if "interna_anteckningar" in data:
            texts.append(data["interna_anteckningar"])
    for path in (RAPPORT / "team").glob("*.yaml"):
        summary = _load(path).get("arssummering") or {}
        texts += [v for k, v in summary.items() if isinstance(v, str) and k != "datum"]
    return [t.strip() for t in texts if len(t.strip()) > 15]


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[*_\\]", "", text).split())


def test_the_board_report_holds_no_internal_value(out: Path) -> None:
    needles = internal_texts()
    assert len(needles) > 20
    for name, text in (
        ("md", (out / "samlad-aterrapportering.md").read_text(encoding="utf-8")),
        ("docx", docx_text(out / "samlad-aterrapportering.docx")),
    ):
        plain = _plain(text)
        for needle in needles:
            assert _plain(needle) not in plain, (name, needle)
        for word in ("trafikljus", "Verksamhetsbedömning", "Grön –", "Röd –", "Gul –", "årssummering"):
            assert word.lower() not in plain.lower(), (name, word)


def test_traffic_lights_stay_in_the_team_summary(out: Path) -> None:
    team = (out / "arssummering-team-vardval-vardcentral.md").read_text(encoding="utf-8")
    department = (out / "arssummering-avdelning.md").read_text(encoding="utf-8")
    lights = defaultdict(int)
    for path in (RAPPORT / "arenden").glob("*.yaml"):
        data = _load(path)
        if data["avtal"]["avtalsomrade"] == "Vårdval Vårdcentral" and data["arende"]["startdatum"].year == YEAR:
            lights[data["verksamhetsbedomning"]["farg"]] += 1
    assert f"| Röd – allvarliga avvikelser | {lights['rod']} |" in team
    assert f"| Grön – inga avvikelser | {lights['gron']} |" in team
    assert "allvarliga avvikelser" not in department and "Verksamhetsbedömning" not in department


# --- the annual summaries ----------------------------------------------------------------------


def test_team_summary_has_the_six_points_and_proposals_with_owners(out: Path) -> None:
    text = (out / "arssummering-team-vardval-vardcentral.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\d)\. (.+)$", text, re.M)
    assert [n for n, _ in headings] == ["1", "2", "3", "4", "5", "6"]
    assert headings[5][1] == "Sammanfattning av förslag"
    source = _load(RAPPORT / "team" / "vardval-vardcentral.yaml")["arssummering"]
    for proposal in source["forslag"]:
        assert re.search(rf"\| {re.escape(proposal['forslag'])} \| .* \| {proposal['ansvarig']} \|", text)


def test_department_summary_collates_the_teams(out: Path) -> None:
    text = (out / "arssummering-avdelning.md").read_text(encoding="utf-8")
    teams = [p for p in (RAPPORT / "team").glob("*.yaml") if "arssummering" in _load(p)]
    assert f"årssummeringar från {len(teams)} team" in text
    shared = [(t["team"]["namn"], f) for t in map(_load, teams) for f in t["arssummering"]["forslag"] if f.get("till_avdelningen")]
    kept = [f for t in map(_load, teams) for f in t["arssummering"]["forslag"] if not f.get("till_avdelningen")]
    section = text[text.index("## 6. Förslag till avdelningen") :]
    for team, proposal in shared:
        assert f"| {team} | {proposal['forslag']} |" in section
    for proposal in kept:
        assert proposal["forslag"] not in section
    for path in teams:  # every team's answer to point 1, under the team's name
        data = _load(path)
        point = text[text.index("## 1. ") : text.index("## 2. ")]
        assert f"### {data['team']['namn']}" in point and _plain(data["arssummering"]["forbattringsarbete"])[:40] in _plain(point)


# --- charts ------------------------------------------------------------------------------------------


def test_every_chart_has_alt_text_and_a_table_beside_it(out: Path) -> None:
    # In the plain-text .md a chart is its alt text, a paragraph of its own.
    lines = (out / "samlad-aterrapportering.md").read_text(encoding="utf-8").splitlines()
    charts = [(i, line) for i, line in enumerate(lines) if line.startswith(("Liggande stapeldiagram", "Linjediagram"))]
    assert len(charts) == 5
    for index, alt in charts:
        assert len(alt) > 60 and re.search(r"\d", alt), "alt text says what the chart shows, with the numbers"
        nearby = lines[max(0, index - 3) : index] + lines[index + 1 : index + 4]
        assert any(n.startswith("|") for n in nearby), f"no table beside {alt[:60]}"


def test_docx_charts_are_pictures_with_their_alt_text(out: Path) -> None:
    with zipfile.ZipFile(out / "samlad-aterrapportering.docx") as package:
        xml = package.read("word/document.xml").decode("utf-8")
        media = [n for n in package.namelist() if n.startswith("word/media/") and n.endswith(".png")]
    descriptions = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', xml)
    ids = re.findall(r'<wp:docPr [^>]*id="(\d+)"', xml)
    assert len(descriptions) == 5 and all(d.startswith(("Liggande stapeldiagram", "Linjediagram")) for d in descriptions)
    assert len(set(ids)) == len(ids), "picture ids are unique in the document"
    assert len(media) >= 5


def test_html_charts_are_inline_svg_with_role_img() -> None:
    from generator.report import build_report

    built = build_report([RAPPORT], YEAR, ("html",))
    page = next(r for r in built.rendered if r.document.id == "samlad-aterrapportering" and r.extension == "html").content.decode("utf-8")
    svgs = re.findall(r"<svg [^>]*>\s*<title>[^<]+</title>", page)
    assert len(svgs) == 5
    assert all('role="img"' in s and "aria-label=" in s for s in svgs)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids of several SVGs on one page must not collide"
    assert "#0072b2" in page.lower() and "#e69f00" in page.lower(), "the Okabe–Ito palette"
    assert "<pattern" in page, "bars carry a hatch pattern, not only a colour"


# --- warnings ---------------------------------------------------------------------------------------


@pytest.fixture
def inconsistent(tmp_path: Path) -> Path:
    """A copy of the examples where one team typed figures that contradict its cases and its register."""
    shutil.copytree(RAPPORT, tmp_path / "rapport")
    shutil.copy(EXAMPLES / "organisation.yaml", tmp_path / "organisation.yaml")
    team = tmp_path / "rapport" / "team" / "nationella-taxan.yaml"
    text = team.read_text(encoding="utf-8")
    text = text.replace("  uppfoljda_avtal: 5\n", "  uppfoljda_avtal: 7\n").replace("  slut: 60\n", "  slut: 61\n")
    team.write_text(text, encoding="utf-8")
    return tmp_path / "rapport"


def _line(path: Path, startswith: str, after: str = "") -> int:
    """The number of the first line that starts with `startswith` (after the line starting with `after`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(after)) if after else 0
    return next(i for i, line in enumerate(lines, start=1) if i > first and line.startswith(startswith))


def test_a_team_figure_contradicting_the_cases_is_a_warning_naming_both(cli, inconsistent: Path) -> None:
    result = cli("report", "--year", YEAR, inconsistent, "--kontrollera")
    assert result.exit_code == 0, result.output
    team = inconsistent / "team" / "nationella-taxan.yaml"
    case = inconsistent / "arenden" / "nt-gynekologi.yaml"
    warning = next(line for line in result.stderr.splitlines() if "siffror.uppfoljda_avtal" in line)
    assert warning.startswith(
        f"{team}:{_line(team, '  uppfoljda_avtal:')}: varning: siffror.uppfoljda_avtal: "
        "teamet anger 7 uppföljda avtal men ärendefilerna ger 5 ("
    )
    assert f"{case}:{_line(case, 'avtal:')}" in warning


def test_a_register_that_does_not_add_up_is_a_warning_naming_both_figures(cli, inconsistent: Path) -> None:
    result = cli("report", "--year", YEAR, inconsistent, "--kontrollera")
    team = inconsistent / "team" / "nationella-taxan.yaml"
    start, end = _line(team, "  borjan:"), _line(team, "  slut:")
    assert (
        f"{team}:{end}: varning: avtal_under_perioden.slut: "
        f"avtal vid periodens början (64, {team}:{start}) + nya (0) − avslutade (4) = 60, "
        f"men avtal vid periodens slut är 61 ({team}:{end})"
    ) in result.stderr
    assert "Inget skrevs" in result.stdout


def test_a_typed_figure_against_a_register_file_is_a_warning(tmp_path: Path) -> None:
    from generator.report import check_report, compute, load_inputs
    from generator.templates import template_dirs

    shutil.copytree(RAPPORT, tmp_path / "rapport")
    shutil.copy(EXAMPLES / "organisation.yaml", tmp_path / "organisation.yaml")
    team = tmp_path / "rapport" / "team" / "radiologi.yaml"
    team.write_text(team.read_text(encoding="utf-8") + "avtal_under_perioden:\n  borjan: 6\n  slut: 7\n", encoding="utf-8")
    inputs, _ = load_inputs([tmp_path / "rapport"], YEAR)
    warnings = [str(w) for w in check_report(compute(inputs, tuple(template_dirs(None))))]
    register = tmp_path / "rapport" / "team" / ".." / "avtalsregister-koncerninkop.csv"
    assert any(
        w.startswith(f"{team}:") and "teamet anger 7 avtal vid periodens slut men avtalsregistret" in w and str(register.resolve()) in w
        for w in warnings
    ), warnings


# --- inputs -----------------------------------------------------------------------------------------


def test_register_figures_add_up_by_construction() -> None:
    from generator.report import Contract, count_register

    d = dt.date
    contracts = [
        Contract("A", d(2020, 1, 1), None, "", 2),  # in force all year
        Contract("A", d(2020, 1, 1), d(2026, 1, 1), "", 3),  # ends on the first day
        Contract("A", d(2026, 3, 1), d(2026, 6, 30), "", 4),  # begins and ends within the year
        Contract("A", d(2026, 1, 1), None, "", 5),  # begins on the first day: in force at the start
        Contract("A", d(2020, 1, 1), d(2026, 12, 31), "", 6),  # in force on the last day
        Contract("A", d(2027, 1, 1), None, "", 7),  # not yet
        Contract("A", d(2019, 1, 1), d(2025, 12, 31), "", 8),  # already over
    ]
    counted = count_register(contracts, 2026)
    assert counted == {"borjan": 4, "nya": 1, "avslutade": 2, "slut": 3}
    assert counted["borjan"] + counted["nya"] - counted["avslutade"] == counted["slut"]


def test_an_xlsx_register_and_indicator_data_are_read(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from generator.report import load_inputs

    book = Workbook()
    book.active.append(["Avtalsområde", "Diarienummer", "Giltigt från", "Giltigt till"])
    book.active.append(["Radiologi", "RS 2023-00012", dt.datetime(2023, 1, 1), None])
    book.active.append(["Radiologi", "RS 2023-00013", dt.datetime(2023, 1, 1), dt.datetime(2026, 5, 31)])
    book.save(tmp_path / "register.xlsx")
    book = Workbook()
    book.active.append(["Vårdgivare", "Period", "Indikator", "Värde", "Enhet"])
    book.active.append(["Röntgen City", "2026 kv 1", "Svar inom 24 timmar", 97.25, "%"])
    book.save(tmp_path / "nyckeltal.xlsx")
    inputs, _ = load_inputs([RAPPORT / "arenden", tmp_path / "register.xlsx", tmp_path / "nyckeltal.xlsx"], YEAR)
    assert [(c.diarienummer, c.valid_to) for c in inputs.registers[0].contracts] == [
        ("RS 2023-00012", None),
        ("RS 2023-00013", dt.date(2026, 5, 31)),
    ]
    assert [(m.provider, m.value) for m in inputs.measurements] == [("Röntgen City", 97.25)]


def test_bad_table_cells_are_errors_with_file_and_row(cli, tmp_path: Path) -> None:
    (tmp_path / "nyckeltal.csv").write_text("vardgivare;period;indikator;varde\nA;2026 kv 1;X;hög\n", encoding="utf-8")
    result = cli("report", "--year", YEAR, RAPPORT / "arenden", tmp_path / "nyckeltal.csv", "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert f"{tmp_path / 'nyckeltal.csv'}:2: varde: 'hög' är inget tal" in result.stderr
    assert not (tmp_path / "ut").exists()


def test_cases_of_other_years_are_not_counted(out: Path) -> None:
    other = _load(RAPPORT / "arenden" / "vc-fjallsippan-2025.yaml")
    markdown = (out / "samlad-aterrapportering.md").read_text(encoding="utf-8")
    assert other["vardgivare"]["verksamhet"] not in markdown
    assert "(1 ärendefil gällde andra år och räknades inte)" in markdown


# --- the catalogue and the render command ------------------------------------------------------


def test_documents_lists_the_report_documents(cli) -> None:
    listing = cli("documents").stdout
    for doc_id, audience in (
        ("samlad-aterrapportering", "Nämnd eller styrelse"),
        ("arssummering-team", "Intern"),
        ("arssummering-avdelning", "Intern"),
    ):
        assert re.search(rf"^{doc_id}\s+.+\s+2\.3\s+{audience}", listing, re.M), doc_id


def test_render_refuses_the_report_documents_for_a_case(cli, tmp_path: Path) -> None:
    result = cli("render", EXAMPLE, "-d", "samlad-aterrapportering", "-o", tmp_path)
    assert result.exit_code == 2
    assert "sammanställs ur ett helt års underlag med 'mallgen report --year ÅÅÅÅ INDATA...'" in result.stderr
    assert not any(tmp_path.iterdir())


def test_a_case_cannot_hold_a_section_for_the_report(cli, tmp_path: Path) -> None:
    case = tmp_path / "arende.yaml"
    case.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("organisation: ../organisation.yaml", f"organisation: {EXAMPLES / 'organisation.yaml'}")
        + "\nsamlad_aterrapportering:\n  ar: 2026\n",
        encoding="utf-8",
    )
    result = cli("validate", case)
    assert result.exit_code == 1
    assert "okänt fält 'samlad_aterrapportering'" in result.stderr


# --- every format -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_format_is_written_with_the_same_numbers(cli, out: Path, tmp_path: Path) -> None:
    """PDF and HTML here (the teams' summaries left out to keep the test short), Markdown and DOCX
    from the `out` run; all must show the numbers of the CSV export."""
    shutil.copytree(RAPPORT, tmp_path / "rapport")
    shutil.copy(EXAMPLES / "organisation.yaml", tmp_path / "organisation.yaml")
    for team in (tmp_path / "rapport" / "team").glob("*.yaml"):
        text = team.read_text(encoding="utf-8")
        team.write_text(text.split("\narssummering:")[0].split("\n# Intern: Årssummering")[0] + "\n", encoding="utf-8")
    result = cli("report", "--year", YEAR, tmp_path / "rapport", "-o", tmp_path / "ut", "-f", "pdf,html")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "ut" / f"rapport-{YEAR}"
    names = {p.name for p in folder.iterdir()}
    assert {f"samlad-aterrapportering.{ext}" for ext in ("pdf", "html", "xlsx")} <= names
    assert {f"samlad-aterrapportering.{ext}" for ext in ("md", "docx")} <= {p.name for p in out.iterdir()}
    assert {
        "samlad-aterrapportering-avtalsomraden.csv",
        "samlad-aterrapportering-eskaleringssteg.csv",
        "samlad-aterrapportering-nyckeltal.csv",
        "manifest.json",
    } <= names
    assert not any(n.startswith("arssummering") for n in names)

    pdf = subprocess.run(
        ["pdftotext", "-layout", str(folder / "samlad-aterrapportering.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    html = re.sub(r"<[^>]+>", " ", (folder / "samlad-aterrapportering.html").read_text(encoding="utf-8"))
    rows = read_csv(folder / "samlad-aterrapportering-avtalsomraden.csv")
    total = next(r for r in rows if r["Nämnd eller styrelse"] == "Samtliga")
    for text in (
        pdf,
        html,
        (out / "samlad-aterrapportering.md").read_text(encoding="utf-8"),
        docx_text(out / "samlad-aterrapportering.docx"),
    ):
        flat = " ".join(text.replace("*", "").split())
        assert f"följdes {total['Uppföljda avtal']} avtal upp" in flat
        assert f"{total['Påbörjade åtgärder']} åtgärder påbörjades" in flat
        assert f"{total['Handlingsplaner']} begäranden om handlingsplan" in flat
    steps = read_csv(folder / "samlad-aterrapportering-eskaleringssteg.csv")
    for step in steps:
        assert re.search(rf"^\s*{step['Steg']}\s+{re.escape(step['Benämning'].split()[0])}.*\s{step['Totalt']}\s*$", pdf, re.M), step
    assert "Anmodan om rättelse" in pdf and "EXEMPEL" in pdf


@pytest.mark.office
def test_libreoffice_opens_the_report_docx(out: Path, tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out / "samlad-aterrapportering.docx")],
        capture_output=True,
        check=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "samlad-aterrapportering.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "Samlad återrapportering till uppdragsgivare 2026" in flat and "Specifikation av avtalsuppföljningen" in flat


def test_personnummer_in_a_team_text_are_masked_in_the_board_report(tmp_path: Path) -> None:
    from generator.report import build_report

    shutil.copytree(RAPPORT, tmp_path / "rapport")
    shutil.copy(EXAMPLES / "organisation.yaml", tmp_path / "organisation.yaml")
    team = tmp_path / "rapport" / "team" / "vardval-rehab.yaml"
    team.write_text(
        team.read_text(encoding="utf-8").replace("  ovrigt: Ett ärende", "  ovrigt: Patienten 19121212-1212 klagade. Ett ärende"),
        encoding="utf-8",
    )
    built = build_report([tmp_path / "rapport"], YEAR, ("md",))
    text = next(r for r in built.rendered if r.document.id == "samlad-aterrapportering").content.decode("utf-8")
    assert "Patienten 19XXXXXX-XXXX klagade." in text and "19121212-1212" not in text


def test_cases_without_team_inputs_still_make_a_report_with_a_warning(cli, tmp_path: Path) -> None:
    result = cli("report", "--year", YEAR, RAPPORT / "arenden", "-o", tmp_path, "-f", "md")
    assert result.exit_code == 0, result.output
    case = RAPPORT / "arenden" / "la-klinisk-kemi.yaml"
    where = f"{case}:{_line(case, '  avtalsomrade:', after='avtal:')}"
    assert f"{where}: varning: avtal.avtalsomrade: avtalsområdet 'Laboratoriemedicin' saknar teamunderlag" in result.stderr
    text = (tmp_path / f"rapport-{YEAR}" / "samlad-aterrapportering.md").read_text(encoding="utf-8")
    assert "\nBeskrivning av avtalsområdet saknas: teamunderlag har inte lämnats.\n" in text
    assert "uppgift saknas" in text  # no contract register figures without a team input or register


def test_a_template_that_reaches_for_a_case_internal_field_is_stopped(cli, tmp_path: Path) -> None:
    """The board report's context holds figures and public texts only: a template reaching for the
    source cases (and their internal assessment) finds nothing there, and nothing is written."""
    own = tmp_path / "mallar" / "samlad-aterrapportering"
    own.mkdir(parents=True)
    source = (EXAMPLES.parent / "mallar" / "samlad-aterrapportering" / "dokument.md").read_text(encoding="utf-8")
    leak = "{% for c in rapport.inputs.cases %}{% if c.data.verksamhetsbedomning %}{{ c.data.verksamhetsbedomning.motivering }}\n{% endif %}{% endfor %}\n"
    (own / "dokument.md").write_text(source + "\n" + leak, encoding="utf-8")
    out = tmp_path / "ut"

    result = cli("report", "--year", str(YEAR), RAPPORT, "--mallar", tmp_path / "mallar", "-f", "md", "-o", out)

    assert result.exit_code == 1
    assert not out.exists()
    line = len(source.splitlines()) + 2
    assert result.stderr.splitlines() == [
        f"Fel: {own / 'dokument.md'}:{line}: mallfel: okänd variabel eller fält: fältet 'inputs' finns inte i värdet; kontrollera stavningen mot schemat"
    ]


def test_validate_points_a_team_input_without_planning_to_the_report_check(cli, tmp_path: Path) -> None:
    """A team file is a render input for its planning documents; one that holds only the
    report's input has no document yet, and validate says where it is checked instead."""
    team = tmp_path / "radiologi.yaml"
    data = yaml.safe_load((RAPPORT / "team" / "radiologi.yaml").read_text(encoding="utf-8"))
    for section in ("arendefiler", "uppfoljningsplanering", "datauttag", "fokusomrade", "verksamhetsbedomning"):
        del data[section]
    data["organisation"] = str(EXAMPLES / "organisation.yaml")
    data["avtalsregister"] = str(RAPPORT / "avtalsregister-koncerninkop.csv")
    team.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("validate", team)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{team}:1: teamunderlaget har ännu inga uppgifter för något dokument; fyll i en dokumentsektion, t.ex. "
        "'uppfoljningsplanering:' (i en fil från 'mallgen new team': ta bort '# ' framför sektionens rader; se "
        f"'mallgen documents'). Som underlag till årsrapporten kontrolleras det med: mallgen report --year 2026 {team} --kontrollera"
    )
    check = cli("report", "--year", "2026", team, "--kontrollera")
    assert check.exit_code == 0
    assert check.stdout == "rapport-2026: 0 ärenden, 1 teamunderlag, 1 avtalsområde; 1 varning. Inget skrevs (--kontrollera).\n"


def test_a_team_file_with_planning_sections_is_still_a_report_input(cli) -> None:
    team = RAPPORT / "team" / "radiologi.yaml"
    assert cli("validate", team).exit_code == 0
    check = cli("report", "--year", "2026", team, "--kontrollera")
    assert check.exit_code == 0, check.output
    assert check.stdout == "rapport-2026: 0 ärenden, 1 teamunderlag, 1 avtalsområde; 1 varning. Inget skrevs (--kontrollera).\n"
