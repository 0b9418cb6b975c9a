# ruff: noqa: E501  (the exact messages a user sees are compared whole, one per line)
"""Nothing is lost or left half-done: a render killed at any point, a full disk, a FIFO or a link to
/dev/zero where a document goes, a lock held by another process, several cases when one stops.

The fault tests stop a real render (a forked child running the CLI) at several points with kill -9,
kill, a closed terminal and Ctrl+C, then check what is on disk and that the next render finishes it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from test_robustness import DOCUMENT, case_file, messages

posix = pytest.mark.skipif(os.name != "posix", reason="signals, FIFOs and fork are POSIX")
FORMATS = "md,html,docx"


def invoke(*args: str | Path) -> Any:
    from generator.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def version(tmp_path: Path, name: str, text: str) -> Path:
    return case_file(tmp_path, f"{name}.yaml", change=lambda d: d["kallelse_dialogmote"].update(ovrigt=text))


def assert_consistent(folder: Path) -> None:
    """No temporary file or journal; the manifest lists exactly the files there, with their digests."""
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if n.startswith(".")], names
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["filer"]) == set(names) - {"manifest.json"}
    for name, digest in manifest["filer"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


# --- a real render stopped at several points ------------------------------------------------------

# Where the child stops: before a rename of (or before removing) the named file; "dokument-N": the N:th document.
POINTS = ["journal", "dokument-1", "dokument-3", "manifest", "journal-bort"]


def _stopping_render(arguments: list[str], point: str, ready: Any) -> None:
    """The CLI's render in this (forked) process, pausing for ever at `point` after telling `ready`."""
    from generator import output
    from generator.cli import run

    real_replace, real_unlink = os.replace, os.unlink
    documents = []

    def pause() -> None:
        if ready.is_set():
            return  # once: a handled signal lets the render finish its manifest
        ready.set()
        while True:
            time.sleep(0.05)

    def replace(source: Any, target: Any) -> None:
        name = Path(target).name
        if name == output.JOURNAL and point == "journal":
            pause()
        if name == output.MANIFEST and point == "manifest":
            pause()
        if not name.startswith(".") and name != output.MANIFEST:
            documents.append(name)
            if point == f"dokument-{len(documents)}":
                pause()
        real_replace(source, target)

    def unlink(target: Any, *args: Any, **kwargs: Any) -> None:
        if Path(target).name == output.JOURNAL and point == "journal-bort":
            pause()
        real_unlink(target, *args, **kwargs)

    output.os.replace = replace  # type: ignore[assignment]  # this child process only
    output.os.unlink = unlink  # type: ignore[assignment]
    with contextlib.suppress(SystemExit):
        run(arguments)


def stop_render(arguments: list[str], point: str, signum: int) -> None:
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    child = context.Process(target=_stopping_render, args=(arguments, point, ready))
    child.start()
    assert ready.wait(120), f"the render never reached {point}"
    os.kill(child.pid, signum)
    child.join(60)
    assert not child.is_alive()


SIGNALS = {"kill-9": "SIGKILL", "kill": "SIGTERM", "terminal-stängd": "SIGHUP", "ctrl-c": "SIGINT"}
STOPS = [(point, "kill-9") for point in POINTS] + [(point, name) for name in ("kill", "terminal-stängd", "ctrl-c") for point in ("dokument-1", "manifest")]


@posix
@pytest.mark.parametrize(("point", "name"), STOPS)
def test_a_render_stopped_anywhere_is_finished_by_the_next(point: str, name: str, tmp_path: Path) -> None:
    signum = getattr(signal, SIGNALS[name])
    out = tmp_path / "ut"
    first, second, third = (version(tmp_path, n, t) for n, t in (("v1", "Första."), ("v2", "Andra."), ("v3", "Tredje.")))
    assert invoke("render", first, "-f", FORMATS, "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    stop_render(["render", str(second), "-f", FORMATS, "-o", str(out)], point, signum)

    interrupted = invoke("render", second, "-f", FORMATS, "-o", tmp_path / "jamfor")  # what the stopped render was writing
    expected = {p.name: p.read_bytes() for p in (tmp_path / "jamfor" / "FU-2026-014").iterdir()}
    for path in folder.iterdir():  # every document is whole: the old one or the new one, never half
        if not path.name.startswith(".") and path.name != "manifest.json":
            assert path.read_bytes() in (before[path.name], expected[path.name]), path.name
    assert interrupted.exit_code == 0
    if signum != signal.SIGKILL:
        assert_consistent(folder)  # a handled signal cleans up at once

    result = invoke("render", third, "-f", FORMATS, "-o", out)
    assert result.exit_code == 0, result.output
    assert messages(result) == []  # none of its own documents is called hand-edited
    assert_consistent(folder)
    assert "Tredje." in (folder / f"{DOCUMENT}.md").read_text(encoding="utf-8")


def test_a_render_that_stops_on_a_full_disk_leaves_a_true_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import output

    out = tmp_path / "ut"
    assert invoke("render", version(tmp_path, "v1", "Första."), "-f", FORMATS, "-o", out).exit_code == 0
    real_fsync, calls = os.fsync, []

    def full(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(output.os, "fsync", full)
    result = invoke("render", version(tmp_path, "v2", "Andra."), "-f", FORMATS, "-o", out)
    assert result.exit_code == 1
    folder = (out / "FU-2026-014").resolve()
    assert messages(result) == [f"Fel: {folder}: kunde inte skriva (disken är full). Kontrollera behörigheten eller välj en annan mapp med -o."]
    assert_consistent(folder)
    monkeypatch.setattr(output.os, "fsync", real_fsync)
    result = invoke("render", version(tmp_path, "v3", "Tredje."), "-f", FORMATS, "-o", out)
    assert result.exit_code == 0 and messages(result) == []
    assert_consistent(folder)


def test_force_on_a_full_disk_never_moves_the_edited_document_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import docx

    from generator import output

    out = tmp_path / "ut"
    path = version(tmp_path, "v1", "Första.")
    assert invoke("render", path, "-f", "docx", "-o", out).exit_code == 0
    folder = (out / "FU-2026-014").resolve()
    target = folder / f"{DOCUMENT}.docx"
    edited = docx.Document(str(target))
    edited.add_paragraph("Tillägg skrivet för hand.")
    edited.save(str(target))
    edited_bytes = target.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full)
    result = invoke("render", version(tmp_path, "v2", "Andra."), "-f", "docx", "-o", out, "--force")
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: {folder}: kunde inte skriva (disken är full). Kontrollera behörigheten eller välj en annan mapp med -o."]
    assert target.read_bytes() == edited_bytes  # still where the user left it
    assert sorted(p.name for p in folder.iterdir()) == [f"{DOCUMENT}.docx", "manifest.json"]


# --- what cannot be read without end: FIFOs, devices, links ---------------------------------------

def _run_cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed command in its own process: a hang fails the test instead of stopping the suite."""
    command = [sys.executable, "-c", "from generator.cli import run; run()", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


@posix
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "manifest-fifo"])
def test_a_fifo_or_device_in_the_output_folder_never_hangs(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / "ut" / "FU-2026-014"
    folder.mkdir(parents=True)
    name = "manifest.json" if kind == "manifest-fifo" else f"{DOCUMENT}.md"
    if kind == "dev-zero":
        (folder / name).symlink_to("/dev/zero")
    else:
        os.mkfifo(folder / name)
    result = _run_cli("render", case_file(tmp_path), "-f", "md", "-o", tmp_path / "ut")
    assert "Traceback" not in result.stderr
    if kind == "manifest-fifo":  # a manifest that is no file is no manifest: it is replaced
        assert result.returncode == 0, result.stderr
        assert_consistent(folder)
    else:
        assert result.returncode == 1
        assert result.stderr.splitlines() == [f"Fel: {folder.resolve() / name}: finns redan men är ingen vanlig fil (en mapp, en länk, en FIFO eller en enhet). Flytta den och kör igen."]


@posix
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_fifo_or_device_among_the_report_tables_never_hangs(kind: str, tmp_path: Path) -> None:
    table = tmp_path / "nyckeltal.csv"
    if kind == "dev-zero":
        table.symlink_to("/dev/zero")
    else:
        os.mkfifo(table)
    result = _run_cli("report", "--year", "2026", EXAMPLES / "rapport", table, "--kontrollera")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{table}: är ingen vanlig fil (en FIFO eller en enhet). Ange en CSV- eller XLSX-fil." in result.stderr.splitlines()


def test_waiting_for_a_lock_held_elsewhere_ends_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from filelock import FileLock

    from generator import output

    out = tmp_path / "ut"
    folder = (out / "FU-2026-014").resolve()
    folder.mkdir(parents=True)
    key = hashlib.sha256(os.path.normcase(str(folder)).encode("utf-8")).hexdigest()[:32]
    monkeypatch.setattr(output, "LOCK_SECONDS", 1)
    with FileLock(Path(tempfile.gettempdir()) / f"mallgen-{key}.lock"):  # another process's render, for the code under test
        started = time.monotonic()
        result = invoke("render", case_file(tmp_path), "-f", "md", "-o", out)
    assert time.monotonic() - started < 30
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: {folder}: en annan mallgen skriver i mappen och har inte blivit klar på 1 sekunder. Vänta tills den är klar, eller avsluta den, och kör igen."]
    assert list(folder.iterdir()) == []


# --- several cases in one run ---------------------------------------------------------------------

def test_when_one_of_several_cases_stops_the_run_says_what_was_written(tmp_path: Path) -> None:
    from test_robustness import _with_personnummer

    first = case_file(tmp_path, "ett.yaml", change=lambda d: d["arende"].update(id="FU-2026-001"))
    profile = tmp_path / "organisation.yaml"
    profile.write_text((EXAMPLES / "organisation.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    templates = tmp_path / "mallar" / DOCUMENT
    templates.mkdir(parents=True)
    source = (EXAMPLES.parent / "mallar" / DOCUMENT / "dokument.md").read_text(encoding="utf-8")
    (templates / "dokument.md").write_text(source + "\n{% if arende.id == 'FU-2026-002' %}Testpatient 19121212-1212{% endif %}\n", encoding="utf-8")
    second = case_file(tmp_path, "tva.yaml", change=lambda d: d["arende"].update(id="FU-2026-002"))
    third = case_file(tmp_path, "tre.yaml", change=lambda d: d["arende"].update(id="FU-2026-003"))
    assert _with_personnummer  # the same leak the first round stops, here written by a template for one case only
    out = tmp_path / "ut"
    result = invoke("render", first, second, third, "-f", "md", "--mallar", tmp_path / "mallar", "-o", out)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"FU-2026-001: 1 filer skrivna, 0 oförändrade i {(out / 'FU-2026-001').resolve()}"]
    assert messages(result)[:2] == ["FU-2026-002: stoppades (se nedan); ärendena före det är skrivna, som raderna ovan säger.",
                                    "Inte påbörjade: FU-2026-003."]
    assert "innehåller ett personnummer som inte är maskerat" in messages(result)[2]
    assert sorted(p.name for p in out.iterdir()) == ["FU-2026-001"]
