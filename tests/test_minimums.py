"""The lower bounds in pyproject.toml are true: the oldest version of every dependency that they allow
installs together with the others and makes documents that pass the checks.

scripts/test-minimums builds a fresh virtual environment with exactly those versions (wheels only, see
the script) and runs tests there: here every example in every format, checked by the independent
validators and by the PDF conformance tests. `./scripts/test-minimums` with no arguments runs the
whole suite there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.utils import canonicalize_name
from packaging.version import Version

# Every example rendered in every format and checked by page-validation and openxml-audit, and the PDF
# tests of our own (tags, figures, metadata, reproducible bytes), which the validators do not cover.
SUBSET = ["tests/test_validators.py", "tests/test_conformance.py", "-k", "test_validators or pdf"]


def _index_reachable() -> bool:
    """pip can ask the package index about a package (one request)."""
    try:
        probe = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "pydyf"], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


@pytest.mark.minimums
@pytest.mark.slow
def test_the_declared_minimums_install_together_and_pass(tmp_path: Path) -> None:
    if not _index_reachable():
        pytest.skip("the package index cannot be reached: the oldest allowed versions cannot be installed")
    venv = tmp_path / "venv"
    environment = {**os.environ, "VENV": str(venv), "PYTHON": sys.executable}
    try:
        run = subprocess.run(["bash", str(ROOT / "scripts" / "test-minimums"), *SUBSET, f"--basetemp={tmp_path / 'pytest'}", "-p", "no:logging"],
                             cwd=ROOT, env=environment, capture_output=True, text=True, timeout=3600)
        assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
        summary = run.stdout.strip().splitlines()[-1]  # pytest's closing line
        assert re.search(r"\b\d+ passed\b", summary) and "failed" not in summary and "error" not in summary, summary
        # What ran were the minimums themselves, not newer releases pip preferred.
        wanted = dict(line.split("==") for line in (venv / "minimums.txt").read_text(encoding="utf-8").split())
        listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True).stdout
        installed = {canonicalize_name(p["name"]): Version(p["version"]) for p in json.loads(listed)}
        assert wanted, "no dependency with a lower bound"
        for name, version in wanted.items():
            assert installed.get(canonicalize_name(name)) == Version(version), f"{name}: {installed.get(canonicalize_name(name))} installed, not {version}"
    finally:
        shutil.rmtree(venv, ignore_errors=True)
