"""What makes mallgen a package that installs and runs anywhere: a portable folder lock, the licence
in the wheel and the sdist with its metadata, and file names folded from any team name."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from generator.report.figures import slug, unique_slugs

# --- the case folder lock -------------------------------------------------------------------------


def test_a_second_writer_waits_for_the_case_folder_lock(tmp_path: Path) -> None:
    import threading

    from generator.output import _locked

    folder = tmp_path / "FU-1"
    folder.mkdir()
    entered, order = threading.Event(), []

    def second() -> None:
        with _locked(folder):
            entered.set()
            order.append("second")

    with _locked(folder):
        thread = threading.Thread(target=second)
        thread.start()
        assert not entered.wait(0.5), "a second writer got into a locked case folder"
        order.append("first")
    assert entered.wait(10)
    thread.join()
    assert order == ["first", "second"]
    assert list(folder.iterdir()) == [], "the lock left a file in the case folder"
    other = threading.Event()

    def another_folder() -> None:
        with _locked(tmp_path / "FU-2"):
            other.set()

    with _locked(folder):  # another case folder is not held up by this one
        thread = threading.Thread(target=another_folder)
        thread.start()
        assert other.wait(10), "a writer of another case folder had to wait"
    thread.join()


# --- the package ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_and_sdist_carry_the_licence_and_its_metadata(tmp_path: Path) -> None:
    import subprocess
    import sys
    import tarfile

    from conftest import ROOT

    build = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-t", "sdist", "-d", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    with zipfile.ZipFile(next(tmp_path.glob("mallgen-*.whl"))) as wheel:
        info = next(n.split("/")[0] for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        assert wheel.read(f"{info}/licenses/LICENSE").decode("utf-8") == licence
        metadata = wheel.read(f"{info}/METADATA").decode("utf-8")
    assert "License-Expression: EUPL-1.2" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    assert "Classifier: Operating System :: OS Independent" in metadata
    assert any(line.startswith("Keywords: ") for line in metadata.splitlines())
    assert any(line.startswith(("Author: ", "Author-email: ")) for line in metadata.splitlines())
    for declared in ("pydyf", "lxml", "filelock", "fonttools"):  # imported by mallgen itself, not only by what it uses
        assert any(line.startswith(f"Requires-Dist: {declared}") for line in metadata.splitlines()), declared
    with tarfile.open(next(tmp_path.glob("mallgen-*.tar.gz"))) as sdist:
        (member,) = [m for m in sdist.getmembers() if m.name.endswith("/LICENSE") and m.name.count("/") == 1]
        reader = sdist.extractfile(member)
        assert reader is not None and reader.read().decode("utf-8") == licence


# --- file names from team names -------------------------------------------------------------------


@pytest.mark.parametrize(("team", "name"), [
    ("Team Vårdval Vårdcentral", "vardval-vardcentral"),
    ("Team Ünal", "unal"),
    ("Team Ærø Straße", "aero-strasse"),
    ("Team Łódź", "lodz"),
    ("TEAM Čapek & Söner", "capek-soner"),
    ("Team 株式会社", "team"),
])
def test_a_team_name_folds_to_a_file_name(team: str, name: str) -> None:
    assert slug(team) == name


def test_two_teams_never_share_a_file_name() -> None:
    names = unique_slugs(["Team Öst", "Team Ost", "Team Øst", "Team Öst-2", "Team Ünal", "Team Unal"])
    assert len(set(names.values())) == len(names)
    assert names["Team Ost"] == "ost" and names["Team Unal"] == "unal"
    # The same teams in another order get the same names.
    assert unique_slugs(list(reversed(names))) == names
