"""The collated annual report (handbook 2.3), by stage: `inputs` reads and validates a year's
files, `figures` computes and checks the figures, `export` renders the documents and the figure
files. `build_report` runs the three; nothing is written here.
"""

from __future__ import annotations

from pathlib import Path

from ..case import Source
from ..status import NoProgress, Progress
from ..templates import template_dirs
from .export import Built, decimal, figure_tables, render_report, to_csv, to_xlsx
from .figures import Area, Board, Report, Series, check_report, compute, count_register
from .inputs import Contract, Inputs, load_inputs


def build_report(
    paths: list[Path],
    year: int,
    formats: tuple[str, ...],
    templates: Path | None = None,
    organisation: Path | None = None,
    check_only: bool = False,
    progress: Progress | None = None,
) -> Built:
    """Load, compute, check and render the year's report; nothing is written here.

    `progress` hears of each stage (reading, computing, rendering) and of each file and document.
    """
    from ..pipeline import Case
    progress = progress or NoProgress()
    dirs = tuple(template_dirs(templates))
    inputs, warnings = load_inputs(paths, year, organisation, templates, progress)
    progress.stage(f"Räknar fram siffrorna ur {len(inputs.cases)} ärenden och {len(inputs.teams)} teamunderlag …")
    report = compute(inputs, dirs)
    warnings = warnings + check_report(report)
    if not check_only:
        progress.stage("Ritar diagrammen och skapar rapporten …")
    rendered = [] if check_only else render_report(report, formats, dirs, warnings, progress)
    warnings = sorted(set(warnings))
    source = inputs.settings or Source(Path(f"rapport-{year}"), {})
    folder_case = Case(  # the report's output folder and manifest, written like a case's
        source=source,
        data={"arende": {"id": f"rapport-{year}", "diarienummer": report.diarienummer}},
        schema={},
        profile=inputs.profile,
        documents=[],
        data_hash=report.data_hash,
        warnings=warnings,
    )
    return Built(folder_case, rendered, warnings, report)


__all__ = [  # what the CLI, the charts, the tests and the benchmark import from `generator.report`
    "Area",
    "Board",
    "Built",
    "Contract",
    "Inputs",
    "Report",
    "Series",
    "build_report",
    "check_report",
    "compute",
    "count_register",
    "decimal",
    "figure_tables",
    "load_inputs",
    "render_report",
    "to_csv",
    "to_xlsx",
]
