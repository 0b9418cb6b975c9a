"""Many cases at once: render only what changed, on every core, with the results in input order.

Worker processes only render (pure, in memory); this process checks the inputs, decides what is
up to date, and writes each case as soon as its documents are back, in the order the cases were
given. So files, manifests and messages are the same, byte for byte and line for line, whether
one process does the work or many.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import MallgenError, Problem
from .output import WriteReport, case_folder, current_files, read_manifest, write_case
from .pipeline import Case, Checked, Fingerprints, Options, Rendered, check_inputs, input_files, render_document
from .status import NoProgress, Progress
from .templates import DocumentTemplate


@dataclass
class CaseResult:
    """What became of one case: its files (the write report) and its documents by what happened to them."""

    case: Case
    report: WriteReport
    rendered: list[str] = field(default_factory=list)  # rendered in this run, and written (or found identical)
    unchanged: list[str] = field(default_factory=list)  # not rendered again: inputs and files as the manifest says
    kept: list[str] = field(default_factory=list)  # left alone: a file was edited by hand (replaced only with --force)


def default_jobs() -> int:
    """The cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def check(paths: list[Path], options: Options, progress: Progress | None = None) -> Checked:
    """Check every input (files and folders); DataError with all errors at once."""
    progress = progress or NoProgress()
    progress.start("Kontrollerar", len(input_files(paths)))
    try:
        return check_inputs(paths, options, progress.advance)
    finally:
        progress.finish()


@dataclass
class _Plan:
    case: Case
    entries: dict[str, dict[str, str]]  # document id -> what the manifest will record for it
    names: dict[str, list[str]]  # document id -> its file names
    current: list[str]  # documents that need no render

    @property
    def todo(self) -> list[DocumentTemplate]:
        return [d for d in self.case.documents if d.id not in self.current]


def render_cases(cases: list[Case], options: Options, out_dir: Path, *, force: bool = False, jobs: int | None = None,
                 progress: Progress | None = None, start_method: str | None = None) -> Iterator[CaseResult]:
    """Render and write every case, yielding each one's result in the order given.

    A document whose inputs and files are as its case's manifest records them is not rendered
    again (unless `force`, which also replaces files edited by hand, as always). The rest are
    rendered by `jobs` worker processes (default: every core; 1 renders here), set up once
    each. An error stops the run where a one-process run would stop: the cases before it are
    written, none after it.
    """
    progress = progress or NoProgress()
    fingerprints = Fingerprints(options)
    plans = [_plan(case, options, out_dir, fingerprints, force) for case in cases]
    tasks = [(index, document) for index, plan in enumerate(plans) for document in plan.todo]
    progress.start("Skapar dokument", len(tasks))
    results = _rendered(tasks, plans, options, jobs or default_jobs(), start_method)
    try:
        for index, plan in enumerate(plans):
            rendered: list[Rendered] = []
            for _ in plan.todo:
                done, items = next(results)
                assert done == index  # results come back in the order of the tasks
                rendered += items
                progress.advance()
            yield _write(plan, rendered, options, out_dir, force)
    finally:
        results.close()  # an error (or Ctrl-C) here stops the workers
        progress.finish()


def _plan(case: Case, options: Options, out_dir: Path, fingerprints: Fingerprints, force: bool) -> _Plan:
    entries = {d.id: fingerprints.entry(case, d) for d in case.documents}
    names = {d.id: [f"{d.id}.{extension}" for extension in options.formats] for d in case.documents}
    current: list[str] = []
    if not force:
        folder = case_folder(out_dir, case.id)
        current = current_files(folder, read_manifest(folder), entries, names)
    return _Plan(case, entries, names, current)


def _write(plan: _Plan, rendered: list[Rendered], options: Options, out_dir: Path, force: bool) -> CaseResult:
    """Write one case. Documents found current are checked again under the case's lock; one that
    another run changed in the meantime is rendered here and the whole case written then."""
    current = list(plan.current)
    for _ in range(3):
        report = write_case(plan.case, rendered, out_dir, force, entries=plan.entries, current={d: plan.names[d] for d in current})
        if not report.stale:
            break
        for document in [d for d in plan.case.documents if d.id in report.stale]:
            rendered += render_document(plan.case, document, options.formats, options.dirs)
        current = [d for d in current if d not in report.stale]
    else:  # renders racing this one again and again: render everything and write as it is now
        rendered += [item for d in plan.case.documents if d.id in current for item in render_document(plan.case, d, options.formats, options.dirs)]
        report = write_case(plan.case, rendered, out_dir, force, entries=plan.entries)
        current = []
    kept = sorted({Path(p).stem for p in report.kept} & {d.id for d in plan.case.documents})
    order = [d.id for d in plan.case.documents]
    return CaseResult(
        plan.case, report,
        rendered=[d for d in order if d not in current and d not in kept],
        unchanged=[d for d in order if d in current],
        kept=[d for d in order if d in kept],
    )


# --- the workers ----------------------------------------------------------------------------------

_Task = tuple[int, DocumentTemplate]
_WORKER_OPTIONS: Options | None = None


def _rendered(tasks: list[_Task], plans: list[_Plan], options: Options, jobs: int,
              start_method: str | None) -> Generator[tuple[int, list[Rendered]], None, None]:
    """Each task's rendered files, in task order: here for one job (or one task), else in a pool."""
    if jobs <= 1 or len(tasks) <= 1 or multiprocessing.current_process().daemon:  # a pool's worker may not start its own
        for index, document in tasks:
            yield index, render_document(plans[index].case, document, options.formats, options.dirs)
        return
    context = multiprocessing.get_context(start_method)
    if context.get_start_method() == "fork":
        _import_engines(options)  # once, here: every forked worker has them without importing again
    workers = min(jobs, len(tasks))
    with context.Pool(workers, initializer=_start_worker, initargs=(options,)) as pool:
        # A few tasks per worker in flight, no more: results wait here only until their case is
        # written, so memory stays flat however many cases there are, and however slowly the disk
        # takes them.
        pending: collections.deque[Any] = collections.deque()
        for index, document in tasks:
            pending.append(pool.apply_async(_render_task, ((index, plans[index].case, document.id),)))
            if len(pending) >= 4 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _import_engines(options: Options) -> None:
    """Import the engines the run needs (WeasyPrint's import is the slow part of a worker's start)."""
    if "pdf" in options.formats:
        from .render import load_weasyprint

        load_weasyprint()
        import weasyprint  # noqa: F401
    if "docx" in options.formats:
        import docxtpl  # noqa: F401


def _start_worker(options: Options) -> None:
    """Set a worker up once: engines, fonts, Jinja environments, Markdown parser."""
    global _WORKER_OPTIONS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process, which stops the pool
    # The pool stops its workers with SIGTERM. The command's own handler (cli.run: SIGTERM as
    # Ctrl-C) came along with the fork; in a worker it may run in the template watchdog's thread
    # and leave the worker waiting for a task for ever. A worker writes nothing, so it just ends.
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    _WORKER_OPTIONS = options
    _import_engines(options)
    from .render import _font_config, markdown_parser
    from .templates import environment

    if "pdf" in options.formats:
        _font_config()
    environment(options.dirs, "markdown")
    environment(options.dirs, "markup")
    markdown_parser()


_LAST_CASE: Case | None = None


def _render_task(task: tuple[int, Case, str]) -> tuple[int, list[Rendered]]:
    global _LAST_CASE
    index, case, doc_id = task
    assert _WORKER_OPTIONS is not None
    last = _LAST_CASE
    if last is not None and (last.source.path, last.id, last.data_hash) == (case.source.path, case.id, case.data_hash):
        case = last  # the same case as the task before: what its documents share is worked out once (the leak scan's needles)
    _LAST_CASE = case
    document = next(d for d in case.documents if d.id == doc_id)
    return index, render_document(case, document, _WORKER_OPTIONS.formats, _WORKER_OPTIONS.dirs)


# --- a machine-readable summary ------------------------------------------------------------------------


def summary(results: list[CaseResult], skipped: list[Any] | None = None, warnings: list[Problem] | None = None) -> dict[str, Any]:
    """The run as data (for `--json`): per case its files and documents, and the totals."""
    by_file: dict[str, list[Problem]] = {}
    for problem in warnings or []:
        by_file.setdefault(problem.file, []).append(problem)
    cases = [
        {
            "arende": r.case.id,
            "fil": r.case.source.name,
            "mapp": str(r.report.folder),
            "skrivna": [p.name for p in r.report.written],
            "oforandrade": sorted(p.name for p in r.report.unchanged),
            "behallna": [p.name for p in r.report.kept],
            "kopior": [p.name for p in r.report.backups],
            "dokument": {"skapade": r.rendered, "oforandrade": r.unchanged, "hoppade_over": r.kept},
            "problem": [problem_data(p) for p in by_file.get(r.case.source.name, [])],
        }
        for r in results
    ]
    return {
        "arenden": cases,
        "hoppade_over_filer": [{"fil": str(s.path), "anledning": s.reason} for s in skipped or []],
        "summa": totals(results),
    }


def totals(results: list[CaseResult]) -> dict[str, int]:
    return {
        "arenden": sum(not r.case.is_team for r in results),
        "teamunderlag": sum(r.case.is_team for r in results),
        "skapade": sum(len(r.rendered) for r in results),
        "oforandrade": sum(len(r.unchanged) for r in results),
        "hoppade_over": sum(len(r.kept) for r in results),
        "filer_skrivna": sum(len(r.report.written) for r in results),
        "filer_oforandrade": sum(len(r.report.unchanged) for r in results),
    }


def problem_data(problem: Problem) -> dict[str, Any]:
    return {"fil": problem.file, "rad": problem.line, "falt": problem.field, "meddelande": problem.message, "varning": problem.warning}


def failure_summary(error: MallgenError) -> dict[str, Any]:
    """What `--json` prints when the inputs are wrong: every problem, and nothing rendered."""
    problems = getattr(error, "problems", [])
    failures = getattr(error, "failures", None)
    return {
        "arenden": [],
        "fel": failures if failures is not None else [str(error)],
        "problem": [problem_data(p) for p in problems],
        "summa": totals([]),
    }
