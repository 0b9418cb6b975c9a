"""Shared fixtures: the bundled examples, a CLI runner, and helpers to read outputs back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASES = sorted((EXAMPLES / "arenden").glob("*.yaml"))
EXAMPLE = EXAMPLES / "arenden" / "fordjupad-vardcentral.yaml"

os.environ.setdefault("TZ", "UTC")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner):
    """Run `mallgen ARGS`; returns click's Result (exit_code, stdout, stderr)."""
    from generator.cli import main

    def run(*args: str | Path):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run
