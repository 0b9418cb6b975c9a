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


# --- every example, rendered once per test session ------------------------------------------------


@dataclass(frozen=True)
class ExampleOutputs:
    """What `mallgen render` and `mallgen report` make of every example under examples/, all formats."""

    folder: Path

    def files(self, extension: str) -> list[Path]:
        return sorted(self.folder.rglob(f"*.{extension}"))


def example_case_files() -> list[Path]:
    """Every case file and team file under examples/ that holds data for at least one document
    made from it (a case file: `underlag: arende`; a team file: `underlag: team`)."""
    import yaml

    from generator.schema import section_key
    from generator.templates import catalogue, template_dirs

    known = catalogue(tuple(template_dirs(None)))
    sections = {kind: {section_key(doc_id) for doc_id, t in known.items() if t.source == kind} for kind in ("arende", "team")}
    found = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        kind = "arende" if isinstance(data, dict) and "arende" in data else "team" if isinstance(data, dict) and "team" in data else None
        if kind and sections[kind] & data.keys():
            found.append(path)
    return found


def example_reports() -> list[tuple[Path, int]]:
    """Every folder under examples/ with a yearly report's settings (rapport.yaml), and its year."""
    import yaml

    return [(path.parent, int(yaml.safe_load(path.read_text(encoding="utf-8"))["rapport"]["ar"]))
            for path in sorted(EXAMPLES.rglob("rapport.yaml"))]


@pytest.fixture(scope="session")
def example_outputs(tmp_path_factory: pytest.TempPathFactory) -> ExampleOutputs:
    """Every example in every format, rendered once for the whole session (a new example is covered
    as soon as it is added: a case file with a document section, or a folder with rapport.yaml)."""
    from generator.cli import main

    out = tmp_path_factory.mktemp("examples")
    # One folder per file: the report's inputs may hold the same case as a stand-alone example.
    runs = [["render", path, "-o", out / f"arende-{index}"] for index, path in enumerate(example_case_files())]
    runs += [["report", "--year", year, folder, "-o", out / f"rapport-{index}"] for index, (folder, year) in enumerate(example_reports())]
    for args in runs:
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return ExampleOutputs(out)


# --- the CLI's last line of defence is never reached ------------------------------------------


@pytest.fixture(autouse=True)
def _no_unexpected_error(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cli._unexpected` turns an exception nobody foresaw into one Swedish line. Every input must
    have its own message instead, so in the tests reaching it fails the test with the traceback
    (a test of the fallback itself is marked `fallback`)."""
    if request.node.get_closest_marker("fallback"):
        return

    def fail(exc: Exception, *args: Any) -> None:
        raise AssertionError(f"the CLI's fallback for unexpected errors was reached: {type(exc).__name__}: {exc}") from exc

    monkeypatch.setattr("generator.cli._unexpected", fail)
