# ruff: noqa: E501  (the exact messages a user sees are compared whole, one per line)
"""A region's cases at once: folders as input, every core, only what changed, progress, --json.

Parallel runs must write what a one-process run writes (same bytes, same manifests, same
messages in the same order), also when workers are started with `spawn` as on Windows. The
incremental rules are checked by running `mallgen` as a user does, a new process per run.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE, EXAMPLES, ROOT

PROFILE = EXAMPLES / "organisation.yaml"
BUNDLED = ROOT / "mallar"
DOCS = ["kallelse-dialogmote", "kontrollplan"]  # two letters (with no attachment), so a run stays short


@functools.cache
def example_documents() -> int:
    """How many documents the example case makes (it grows with the catalogue)."""
    from generator.pipeline import Options, load_case

    case, _ = load_case(EXAMPLE, Options())
    assert case is not None
    return len(case.documents)


def cases_folder(tmp_path: Path, count: int = 3) -> Path:
    """`count` copies of the in-depth example under their own ids, beside a copy of the profile."""
    folder = tmp_path / "arenden"
    folder.mkdir()
    shutil.copy(PROFILE, tmp_path / "organisation.yaml")
    text = EXAMPLE.read_text(encoding="utf-8")
    for number in range(1, count + 1):
        (folder / f"fu-{number}.yaml").write_text(text.replace("id: FU-2026-014", f"id: FU-T-{number}"), encoding="utf-8")
    return folder


def mallgen(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`mallgen ARGS` in a new process, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "generator.cli", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_json(*args: str | Path) -> dict:
    result = mallgen(*args, "--json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def documents(summary: dict, case_id: str) -> dict[str, list[str]]:
    return next(c["dokument"] for c in summary["arenden"] if c["arende"] == case_id)


# --- every core, the same result ----------------------------------------------------------------


def test_parallel_and_one_process_runs_write_the_same_bytes_and_messages(cli, tmp_path: Path) -> None:
    folder = cases_folder(tmp_path)
    (tmp_path / "arenden" / "organisation.yaml").write_bytes(PROFILE.read_bytes())  # a profile among the cases: skipped with a note
    picked = [a for d in DOCS for a in ("-d", d)]
    one = cli("render", folder, *picked, "-o", tmp_path / "ett", "-j", "1")
    two = cli("render", folder, *picked, "-o", tmp_path / "tva", "-j", "2")
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert files(tmp_path / "ett") == files(tmp_path / "tva")
    assert len(files(tmp_path / "ett")) == 3 * (2 * 4 + 1)  # 3 cases, 2 documents in 4 formats, a manifest each
    assert one.stdout.replace(str((tmp_path / "ett").resolve()), "UT") == two.stdout.replace(str((tmp_path / "tva").resolve()), "UT")
    assert one.stderr == two.stderr
    assert one.stderr.splitlines()[0] == f"{folder / 'organisation.yaml'}: organisationsprofil, inget ärende – hoppas över"
    assert one.stdout.splitlines() == [
        *(f"FU-T-{n}: 8 filer skrivna, 0 oförändrade i UT/FU-T-{n}".replace("UT", str((tmp_path / "ett").resolve())) for n in (1, 2, 3)),
        "Klart: 3 ärenden; 6 dokument skapade, 0 oförändrade sedan förra gången, 0 hoppades över (redigerade för hand).",
    ]


def test_workers_started_with_spawn_write_the_same_bytes(tmp_path: Path) -> None:
    """Officers use Windows, where worker processes are spawned, not forked: nothing may rely on
    what the main process had set up."""
    from generator.batch import check, render_cases
    from generator.pipeline import Options

    folder = cases_folder(tmp_path, count=2)
    options = Options(documents=DOCS, formats=("pdf", "docx", "md"))
    checked = check([folder], options)
    spawned = list(render_cases(checked.cases, options, tmp_path / "spawn", jobs=2, start_method="spawn"))
    here = list(render_cases(checked.cases, options, tmp_path / "har", jobs=1))
    assert [r.rendered for r in spawned] == [r.rendered for r in here] == [DOCS, DOCS]
    assert files(tmp_path / "spawn") == files(tmp_path / "har")


def test_an_error_stops_the_run_where_one_process_would(cli, tmp_path: Path) -> None:
    """A template that fails for the second case only: the first case is written, the rest not, with the same message."""
    folder = cases_folder(tmp_path)
    second = folder / "fu-2.yaml"
    second.write_text(second.read_text(encoding="utf-8").replace("rubrik: Fördjupad uppföljning", "rubrik: TRASIG Fördjupad uppföljning"), encoding="utf-8")
    own = tmp_path / "mallar" / "kallelse-dialogmote"
    own.mkdir(parents=True)
    source = (BUNDLED / "kallelse-dialogmote" / "dokument.md").read_text(encoding="utf-8")
    (own / "dokument.md").write_text(source + "\n{% if 'TRASIG' in arende.rubrik %}{{ arende.finns_inte }}{% endif %}\n", encoding="utf-8")
    results = [cli("render", folder, "-d", "kallelse-dialogmote", "-f", "md,html", "--mallar", tmp_path / "mallar", "-o", tmp_path / out, "-j", jobs)
               for out, jobs in (("ett", "1"), ("tva", "2"))]
    for result, out in zip(results, ("ett", "tva"), strict=True):
        assert result.exit_code == 1
        assert sorted(p.name for p in (tmp_path / out).iterdir()) == ["FU-T-1"]
    assert results[0].stderr == results[1].stderr
    assert "mallfel: okänd variabel eller fält" in results[0].stderr


# --- only what changed --------------------------------------------------------------------------


def test_unchanged_inputs_are_not_rendered_again(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=2)
    out = tmp_path / "ut"
    first = run_json("render", folder, "-f", "md,html", "-o", out)
    n = example_documents()
    assert first["summa"]["skapade"] == 2 * n and first["summa"]["oforandrade"] == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}

    again = mallgen("render", folder, "-f", "md,html", "-o", out)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == f"Klart: 2 ärenden; 0 dokument skapade, {2 * n} oförändrade sedan förra gången, 0 hoppades över (redigerade för hand)."
    assert again.stdout.splitlines()[0] == f"FU-T-1: 0 filer skrivna, {2 * n} oförändrade i {(out / 'FU-T-1').resolve()}"
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before  # nothing touched, not even a manifest

    more = run_json("render", folder, "-f", "pdf,md,html", "-d", "kallelse-dialogmote", "-o", out)  # a format never made: rendered
    assert documents(more, "FU-T-1") == {"skapade": ["kallelse-dialogmote"], "oforandrade": [], "hoppade_over": []}
    assert sorted(c["skrivna"] for c in more["arenden"])[0] == ["kallelse-dialogmote.pdf"]


def test_a_changed_case_is_rendered_again_and_only_it(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=2)
    out = tmp_path / "ut"
    run_json("render", folder, "-f", "md", "-o", out)
    case = folder / "fu-2.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("Bristande läkarbemanning", "Bristande bemanning av läkare"), encoding="utf-8")
    summary = run_json("render", folder, "-f", "md", "-o", out)
    assert documents(summary, "FU-T-1")["skapade"] == []
    assert len(documents(summary, "FU-T-2")["skapade"]) == example_documents()
    assert "Bristande bemanning av läkare" in (out / "FU-T-2" / "kallelse-dialogmote.md").read_text(encoding="utf-8")


def test_an_edited_template_renders_its_document_again(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=1)
    own = tmp_path / "mallar" / "kallelse-dialogmote"
    shutil.copytree(BUNDLED / "kallelse-dialogmote", own)
    out = tmp_path / "ut"
    run_json("render", folder, "-f", "md", "--mallar", tmp_path / "mallar", "-o", out)
    source = own / "dokument.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nVälkomna!\n", encoding="utf-8")
    summary = run_json("render", folder, "-f", "md", "--mallar", tmp_path / "mallar", "-o", out)
    assert documents(summary, "FU-T-1")["skapade"] == ["kallelse-dialogmote"]
    assert len(documents(summary, "FU-T-1")["oforandrade"]) == example_documents() - 1
    assert (out / "FU-T-1" / "kallelse-dialogmote.md").read_text(encoding="utf-8").rstrip().endswith("Välkomna!")


def test_an_edited_partial_or_layout_renders_the_documents_again(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=1)
    shared = tmp_path / "mallar" / "_gemensamt"
    shared.mkdir(parents=True)
    shutil.copy(BUNDLED / "_gemensamt" / "handlaggare.md", shared / "handlaggare.md")
    out = tmp_path / "ut"
    picked = [a for d in DOCS for a in ("-d", d)]
    run_json("render", folder, *picked, "-f", "md,html", "--mallar", tmp_path / "mallar", "-o", out)
    partial = shared / "handlaggare.md"
    partial.write_text(partial.read_text(encoding="utf-8") + "\nHandläggaren nås helst per e-post.\n", encoding="utf-8")
    summary = run_json("render", folder, *picked, "-f", "md,html", "--mallar", tmp_path / "mallar", "-o", out)
    assert documents(summary, "FU-T-1")["skapade"] == DOCS
    assert "Handläggaren nås helst per e-post." in (out / "FU-T-1" / "kallelse-dialogmote.md").read_text(encoding="utf-8")

    layout = tmp_path / "mallar" / "_layout"
    layout.mkdir()
    (layout / "stil.css").write_text("h1 { letter-spacing: 0.01em; }\n", encoding="utf-8")  # the letterhead's look, read from Python, not Jinja
    summary = run_json("render", folder, *picked, "-f", "md,html", "--mallar", tmp_path / "mallar", "-o", out)
    assert documents(summary, "FU-T-1")["skapade"] == DOCS
    assert "letter-spacing: 0.01em" in (out / "FU-T-1" / "kallelse-dialogmote.html").read_text(encoding="utf-8")


def test_a_changed_profile_renders_every_document_again(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=1)
    out = tmp_path / "ut"
    run_json("render", folder, "-f", "md", "-o", out)
    profile = tmp_path / "organisation.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("Hälso- och sjukvårdsförvaltningen", "Förvaltningen för hälsa och vård"), encoding="utf-8")
    summary = run_json("render", folder, "-f", "md", "-o", out)
    assert len(documents(summary, "FU-T-1")["skapade"]) == example_documents()
    assert "Förvaltningen för hälsa och vård" in (out / "FU-T-1" / "kallelse-dialogmote.md").read_text(encoding="utf-8")


def test_a_hand_edited_file_is_kept_every_time_and_force_renders_everything(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=1)
    out = tmp_path / "ut"
    run_json("render", folder, "-f", "md", "-o", out)
    edited = out / "FU-T-1" / "kallelse-dialogmote.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nTillägg för hand.\n", encoding="utf-8")
    for _ in range(2):  # the inputs are unchanged, yet the edit is reported on every run, never taken as current
        result = mallgen("render", folder, "-f", "md", "-o", out)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [f"{edited.resolve()}: har redigerats för hand och skrevs inte över. Använd --force för att ersätta den (en daterad kopia sparas)."]
        assert edited.read_text(encoding="utf-8").endswith("Tillägg för hand.\n")
    summary = run_json("render", folder, "-f", "md", "-o", out)
    kept = documents(summary, "FU-T-1")
    assert kept["skapade"] == [] and kept["hoppade_over"] == ["kallelse-dialogmote"] and len(kept["oforandrade"]) == example_documents() - 1
    assert summary["arenden"][0]["behallna"] == ["kallelse-dialogmote.md"]

    forced = run_json("render", folder, "-f", "md", "-o", out, "--force")
    assert len(documents(forced, "FU-T-1")["skapade"]) == example_documents()  # --force renders everything, as it always did
    assert forced["arenden"][0]["kopior"] == [f"kallelse-dialogmote.redigerad-{dt.date.today().isoformat()}.md"]
    assert "Tillägg för hand." not in edited.read_text(encoding="utf-8")


def test_a_manifest_without_records_renders_once_then_never_again(tmp_path: Path) -> None:
    """A folder written by an earlier version (or by another tool version) is rendered again once."""
    folder = cases_folder(tmp_path, count=1)
    out = tmp_path / "ut"
    run_json("render", folder, "-f", "md", "-o", out)
    manifest = out / "FU-T-1" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    for record in data["dokument"].values():
        record["verktyg"] = "mallgen 0.0.1"
    manifest.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = run_json("render", folder, "-f", "md", "-o", out)
    assert len(documents(summary, "FU-T-1")["skapade"]) == example_documents()
    assert summary["arenden"][0]["skrivna"] == []  # same bytes: only the manifest's records are new
    assert len(documents(run_json("render", folder, "-f", "md", "-o", out), "FU-T-1")["oforandrade"]) == example_documents()


def test_manifest_records_what_decides(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=1)
    out = tmp_path / "ut"
    run_json("render", folder, "-d", "kallelse-dialogmote", "-f", "md", "-o", out)
    manifest = json.loads((out / "FU-T-1" / "manifest.json").read_text(encoding="utf-8"))
    record = manifest["dokument"]["kallelse-dialogmote"]
    assert set(record) == {"mall", "version", "giltig_fran", "malgrupp", "data", "organisation", "mallfiler", "schema", "verktyg"}
    assert record["data"] == manifest["data"] and record["verktyg"] == manifest["verktyg"]
    assert all(record[k].startswith("sha256:") for k in ("data", "organisation", "mallfiler", "schema"))


# --- folders, progress, --json ---------------------------------------------------------------------


def test_folder_skips_what_is_not_a_case_with_a_note(cli, tmp_path: Path) -> None:
    folder = tmp_path / "rapport"
    shutil.copytree(EXAMPLES / "rapport", folder)
    shutil.copy(PROFILE, tmp_path / "organisation.yaml")
    shutil.copy(PROFILE, folder / "region.yaml")  # a profile among the cases: named, not read as a case
    case = yaml.safe_load((folder / "arenden" / "vc-tallbo.yaml").read_text(encoding="utf-8"))
    del case["uppfoljningsplan_avtal"]  # a case with no document yet
    case["arende"]["id"] = "LU-2026-VC-99"
    (folder / "arenden" / "vc-tom.yaml").write_text(yaml.safe_dump(case, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("validate", folder)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "hoppas över" in line]
    assert notes == [f"{folder / 'arenden' / 'vc-tom.yaml'}: ärendet har inga uppgifter för något dokument ännu – hoppas över",
                     f"{folder / 'rapport.yaml'}: rapportfil till årsrapporten (mallgen report), inget ärende – hoppas över",
                     f"{folder / 'region.yaml'}: organisationsprofil, inget ärende – hoppas över"]
    # every case file and team file, in name order (folders first, as found): team files are inputs too
    expected = [*sorted(p for p in (folder / "arenden").glob("*.yaml") if p.name != "vc-tom.yaml"), *sorted((folder / "team").glob("*.yaml"))]
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [str(path) for path in expected]
    assert f"{folder / 'team' / 'radiologi.yaml'}: giltigt (4 dokument: " in result.stdout


def test_progress_is_hidden_when_not_a_terminal(cli, tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=2)
    result = cli("render", folder, "-d", "kallelse-dialogmote", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0
    assert result.stderr == ""  # no bar, no label, no escape codes
    assert "\r" not in result.stdout and "\x1b" not in result.stdout


def on_terminal(*args: str | Path) -> str:
    """What `mallgen ARGS` writes to standard error when that is a terminal."""
    primary, secondary = os.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    process = subprocess.Popen([sys.executable, "-m", "generator.cli", *map(str, args)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closes with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=300)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace")


needs_terminal = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")


@needs_terminal
def test_progress_shows_count_on_a_terminal_unless_quiet(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=2)
    shown = on_terminal("render", folder, "-d", "kallelse-dialogmote", "-f", "md", "-o", tmp_path / "ut", "--force")
    assert "Skapar dokument" in shown and "2/2" in shown
    assert "Kontrollerar" in shown
    quiet = on_terminal("render", folder, "-d", "kallelse-dialogmote", "-f", "md", "-o", tmp_path / "ut", "--force", "-q")
    assert quiet == ""


@needs_terminal
def test_report_shows_its_stages_on_a_terminal_only(cli, tmp_path: Path) -> None:
    shown = on_terminal("report", "--year", "2026", EXAMPLES / "rapport", "-f", "md", "-o", tmp_path / "ut")
    assert "Läser indata" in shown and "Kontrollerar" in shown
    assert "Räknar fram siffrorna ur 29 ärenden och 5 teamunderlag …" in shown
    assert "Ritar diagrammen och skapar rapporten …" in shown
    assert "Skriver " in shown
    quiet = on_terminal("report", "--year", "2026", EXAMPLES / "rapport", "-f", "md", "-o", tmp_path / "ut", "--force", "-q")
    assert "Läser indata" not in quiet and "Räknar" not in quiet and "\r" not in quiet

    piped = cli("report", "--year", "2026", EXAMPLES / "rapport", "-f", "md", "-o", tmp_path / "ut2")
    assert piped.exit_code == 0
    assert "Läser indata" not in piped.stderr and "Räknar" not in piped.stderr and "\r" not in piped.stderr


def test_json_summary_shape(tmp_path: Path) -> None:
    folder = cases_folder(tmp_path, count=2)
    (folder / "organisation.yaml").write_bytes(PROFILE.read_bytes())
    summary = run_json("render", folder, "-d", "kallelse-dialogmote", "-f", "md,html", "-o", tmp_path / "ut")
    assert set(summary) == {"arenden", "hoppade_over_filer", "summa"}
    first = summary["arenden"][0]
    assert set(first) == {"arende", "fil", "mapp", "skrivna", "oforandrade", "behallna", "kopior", "dokument", "problem"}
    assert first["arende"] == "FU-T-1" and first["fil"] == str(folder / "fu-1.yaml")
    assert first["skrivna"] == ["kallelse-dialogmote.md", "kallelse-dialogmote.html"]
    assert first["dokument"] == {"skapade": ["kallelse-dialogmote"], "oforandrade": [], "hoppade_over": []}
    assert summary["hoppade_over_filer"] == [{"fil": str(folder / "organisation.yaml"), "anledning": "organisationsprofil, inget ärende – hoppas över"}]
    assert summary["summa"] == {"arenden": 2, "teamunderlag": 0, "skapade": 2, "oforandrade": 0, "hoppade_over": 0, "filer_skrivna": 4, "filer_oforandrade": 0}

    broken = folder / "fu-2.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("orgnr: 559123-4561", "orgnr: 559123-4562"), encoding="utf-8")
    result = mallgen("render", folder, "-f", "md", "-o", tmp_path / "ut", "--json")
    assert result.returncode == 1
    failed = json.loads(result.stdout)
    assert failed["arenden"] == [] and failed["fel"] == []
    assert [(p["fil"], p["falt"], p["meddelande"], p["varning"]) for p in failed["problem"]] == [
        (str(broken), "vardgivare.orgnr", "ogiltigt organisationsnummer (kontrollsiffran stämmer inte)", False)]


def test_zero_processes_is_a_usage_error(cli) -> None:
    result = cli("render", EXAMPLE, "-j", "0")
    assert result.exit_code == 2
    assert "0 processer räcker inte; ange minst 1." in result.stderr


def _limited_template() -> None:
    from generator.sandbox import time_limit

    with time_limit():
        pass


@pytest.mark.skipif(not hasattr(os, "fork"), reason="only a forked worker inherits the parent's locks")
def test_a_forked_worker_never_inherits_the_template_watchdog_locked() -> None:
    """The render pool forks after the main process has rendered templates; the watchdog thread may
    hold its lock at that moment. A worker must still be able to run a template."""
    import multiprocessing
    import threading

    from generator.sandbox import _WATCHDOG

    _limited_template()  # the watchdog's thread runs in this process now
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another thread holds the lock, as the watchdog's does between two waits
        with _WATCHDOG.condition:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(30)
    worker = multiprocessing.get_context("fork").Process(target=_limited_template)
    worker.start()
    release.set()
    holder.join()
    worker.join(timeout=30)
    hung = worker.is_alive()
    if hung:
        worker.kill()
    assert not hung and worker.exitcode == 0


def _worker_signals(queue: Any) -> None:
    from generator.batch import _start_worker
    from generator.pipeline import Options

    _start_worker(Options(formats=("md",)))
    queue.put([signal.getsignal(getattr(signal, name)) == signal.SIG_DFL for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a forked worker inherits the parent's signal handlers")
def test_a_worker_ends_on_the_pools_sigterm_whatever_handler_the_command_set() -> None:
    """The command turns SIGTERM into Ctrl-C (cli.run); a pool worker must not keep that handler,
    or the pool's terminate could wait for it for ever."""
    import multiprocessing

    from generator.cli import _interrupted

    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        worker = context.Process(target=_worker_signals, args=(queue,))
        worker.start()
        restored = queue.get(timeout=60)
        worker.join(timeout=30)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert restored and all(restored)
