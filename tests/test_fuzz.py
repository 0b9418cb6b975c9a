"""Generated hostile inputs beyond case files: organisation profiles, team files, the report's CSV
and XLSX tables and template folders. Whatever is thrown, mallgen answers with exit 0, 1 or 2 and
a message; the conftest guard fails the test if the CLI's fallback for unexpected errors is reached.

The suite runs a fixed, derandomised set (about two minutes); `scripts/fuzz` runs the same tests
with many more examples (`MALLGEN_FUZZ=<factor>`).
"""

from __future__ import annotations

import copy
import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE, EXAMPLES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_robustness import ODD_STRINGS, _paths, values

FACTOR = float(os.environ.get("MALLGEN_FUZZ", "1"))
FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=FACTOR == 1)
PROFILE = EXAMPLES / "organisation.yaml"
TEAM = EXAMPLES / "rapport" / "team" / "radiologi.yaml"
DOCUMENT = "kallelse-dialogmote"


def examples(n: int) -> int:
    return max(1, int(n * FACTOR))


def run(*args: str | Path) -> None:
    """One command: a clean success or a clean, explained failure, never a traceback."""
    from generator.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.stderr.strip(), "a failure without a message"


@st.composite
def mutated(draw: st.DrawFn, original: dict[str, Any]) -> dict[str, Any]:
    """`original` with a few fields dropped, retyped, replaced by odd strings or wrapped."""
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(data))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["drop", "odd", "value", "wrap", "empty"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "odd":
            parent[path[-1]] = draw(st.sampled_from(ODD_STRINGS))
        elif action == "value":
            parent[path[-1]] = draw(values)
        elif action == "empty":
            parent[path[-1]] = draw(st.sampled_from([None, "", [], {}]))
        else:
            parent[path[-1]] = [parent[path[-1]]] if draw(st.booleans()) else {"x": parent[path[-1]]}
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- organisation profiles ----------------------------------------------------------------------

PROFILE_DATA = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))


@settings(FUZZ, max_examples=examples(60))
@given(profile=mutated(PROFILE_DATA))
def test_random_organisation_profiles(profile: dict[str, Any], scratch: Path) -> None:
    path = scratch / "profil.yaml"
    path.write_text(_dump(profile), encoding="utf-8")
    run("validate", EXAMPLE, "--organisation", path)
    run("render", EXAMPLE, "-d", DOCUMENT, "-f", "md", "--organisation", path, "-o", scratch / "ut")
    shutil.rmtree(scratch / "ut", ignore_errors=True)


# --- team files ---------------------------------------------------------------------------------

TEAM_DATA = {**yaml.safe_load(TEAM.read_text(encoding="utf-8")), "organisation": str(PROFILE)}
TEAM_DATA.pop("avtalsregister", None)


@settings(FUZZ, max_examples=examples(60))
@given(team=mutated(TEAM_DATA))
def test_random_team_files(team: dict[str, Any], scratch: Path) -> None:
    path = scratch / "team.yaml"
    path.write_text(_dump(team), encoding="utf-8")
    run("report", "--year", "2026", path, "--organisation", PROFILE, "--kontrollera")
    run("validate", path)


# --- the report's tables ---------------------------------------------------------------------------

HEADERS = [["vardgivare", "period", "indikator", "varde", "enhet", "avtalsomrade"], ["avtalsomrade", "giltigt_fran", "giltigt_till", "diarienummer"]]
cells = st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=12), st.integers(-10**15, 10**15).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(str), st.dates().map(str), st.sampled_from(["", " ", "2026-01", "2026 kv 1", "1,5", "-0"]))


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    header = draw(st.sampled_from(HEADERS))
    header = draw(st.permutations(header)) if draw(st.booleans()) else header
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 2), max_size=8))
    return [list(header), *rows]


def _team_folder(scratch: Path) -> Path:
    folder = scratch / "indata"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "team.yaml").write_text(_dump(TEAM_DATA), encoding="utf-8")
    return folder


@settings(FUZZ, max_examples=examples(80))
@given(table=tables(), delimiter=st.sampled_from([";", ",", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_random_csv_tables(table: list[list[str]], delimiter: str, encoding: str, scratch: Path) -> None:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(table)
    folder = _team_folder(scratch)
    (folder / "tabell.csv").write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    run("report", "--year", "2026", folder, "--organisation", PROFILE, "--kontrollera")


@settings(FUZZ, max_examples=examples(40))
@given(content=st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes_as_csv(content: bytes, scratch: Path) -> None:
    folder = _team_folder(scratch)
    (folder / "tabell.csv").write_bytes(content)
    run("report", "--year", "2026", folder, "--organisation", PROFILE, "--kontrollera")


@settings(FUZZ, max_examples=examples(30))
@given(table=tables(), cut=st.one_of(st.none(), st.floats(0, 1)), flip=st.lists(st.integers(0, 10**6), max_size=3))
def test_random_xlsx_tables(table: list[list[str]], cut: float | None, flip: list[int], scratch: Path) -> None:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook()
    for row in table:
        workbook.active.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = bytearray(buffer.getvalue())
    for position in flip:  # a damaged byte here and there
        data[position % len(data)] ^= 0xFF
    if cut is not None:
        data = data[: int(len(data) * cut)]
    folder = _team_folder(scratch)
    (folder / "tabell.xlsx").write_bytes(bytes(data))
    run("report", "--year", "2026", folder, "--organisation", PROFILE, "--kontrollera")


# --- template folders ---------------------------------------------------------------------------

SOURCE = (ROOT / "mallar" / DOCUMENT / "dokument.md").read_text(encoding="utf-8")
FRONT = yaml.safe_load(SOURCE.split("---\n")[1])
BODY = SOURCE.split("---\n", 2)[2]
SCHEMA = yaml.safe_load((ROOT / "schema" / f"{DOCUMENT}.yaml").read_text(encoding="utf-8"))
SNIPPETS = [
    "{{ arende.rubrik }}", "{{ dokument.datum | datum }}", "{% for a in avvikelser %}{{ a.rubrik }}{% endfor %}", "{{ x }}", "{% if %}",
    "{{ ''.__class__ }}", "{{ 'x' * 10**9 }}", "{% include '_gemensamt/mottagare.md' %}", "{% include 'saknas.md' %}", "{{ 7 / 0 }}",
    "{{ arende | datum }}", "{{ range(10) | list }}", "{% raw %}", "{% endfor %}", "::: beslut\nx\n:::", "# Rubrik", "{{ interna_anteckningar }}",
    "{{ mall.titel | center(80) }}", "{% set ns = namespace(a=1) %}{{ ns.a }}", "{{ dokument | tojson }}", "{{ '%s' | format(1) }}",
]


@st.composite
def template_folders(draw: st.DrawFn) -> dict[str, str]:
    front = draw(mutated(FRONT)) if draw(st.booleans()) else dict(FRONT)
    body = BODY if draw(st.booleans()) else "# Rubrik\n\n" + "\n".join(draw(st.lists(st.sampled_from(SNIPPETS), max_size=5)))
    files = {f"{DOCUMENT}/dokument.md": f"---\n{_dump(front)}---\n{body}"}
    if draw(st.booleans()):
        files[f"{DOCUMENT}.yaml"] = _dump(draw(mutated(SCHEMA)))
    if draw(st.booleans()):
        files["_layout/stil.css"] = draw(st.sampled_from(["p { color: red }", "</style><script>x</script>", "@import url(http://x/);", "\ufeffp{}"]))
    return files


@settings(FUZZ, max_examples=examples(60))
@given(files=template_folders())
def test_random_template_folders(files: dict[str, str], scratch: Path) -> None:
    folder = scratch / "mallar"
    shutil.rmtree(folder, ignore_errors=True)
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    run("render", EXAMPLE, "-d", DOCUMENT, "-f", "md,html", "--mallar", folder, "-o", scratch / "ut")
    run("check", "--mallar", folder)
    shutil.rmtree(scratch / "ut", ignore_errors=True)
