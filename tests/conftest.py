"""Shared fixtures: the bundled examples, a CLI runner, and helpers to read outputs back."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class RenderedDocument:
    """One rendered document as a user reads it: the Markdown text and the DOCX via python-docx."""

    markdown: str
    document: Any

    @property
    def paragraphs(self) -> list[tuple[str, str]]:
        return [(p.style.name, p.text) for p in self.document.paragraphs]

    def headings(self, level: int) -> list[str]:
        return [text for style, text in self.paragraphs if style == f"Heading {level}"]

    @property
    def heading_levels(self) -> list[int]:
        return [int(style.split()[1]) for style, _ in self.paragraphs if re.fullmatch(r"Heading \d", style)]

    def styled(self, style: str) -> list[str]:
        """The text of every paragraph in `style`."""
        return [text for name, text in self.paragraphs if name == style]

    def styled_text(self, style: str) -> str:
        """The paragraphs in `style` as one text, one paragraph a line."""
        return "\n".join(self.styled(style))

    def table(self, *header: str) -> list[list[str]]:
        """The rows (header excluded) of the table whose header row is `header`."""
        for table in self.document.tables:
            rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
            if rows and tuple(rows[0]) == header:
                return rows[1:]
        found = [[c.text for c in t.rows[0].cells] for t in self.document.tables]
        raise AssertionError(f"no table with header {header}; found {found}")

    @property
    def text(self) -> str:
        """Every paragraph and table cell of the DOCX, one per line."""
        lines = [text for _, text in self.paragraphs]
        for table in self.document.tables:
            for row in table.rows:
                lines.extend(cell.text for cell in row.cells)
        return "\n".join(lines)
