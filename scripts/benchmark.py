"""Speed of mallgen, as ratios against baselines measured in the same run.

    python scripts/benchmark.py                    # start, per document, per case, a folder of 24 cases
    python scripts/benchmark.py --delar start,mapp # only some parts (start, dokument, arende, mapp)
    python scripts/benchmark.py --rapport 1000     # the annual report (and a Markdown render) over 1000 generated cases

Baselines are the work we cannot avoid, measured in the same run: the bare imports of our
libraries (for the start of `mallgen validate`), WeasyPrint / python-docx doing their own part on
the same input (per document), LibreOffice converting the same DOCX files one process each, as
officers do by hand (per case), and a cold render of the same folder (for the incremental
re-render). Absolute times depend on the machine and its load; the ratios are what the targets
are about. Every command runs in a fresh process (`python -m generator.cli`) where a user would
start one, so start-up costs count.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "arenden" / "fordjupad-vardcentral.yaml"
PROFILE = ROOT / "examples" / "organisation.yaml"
# As installed: Python may keep its compiled modules (an installation has them; without them every
# start compiles mallgen's modules again, which the bare imports of installed libraries never do).
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
       "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
IMPORT_FLOOR = "import click, jinja2, yaml, cerberus, babel"


@dataclass
class Row:
    """One measurement against its baseline; `target` bounds the ratio (`<=` or `>=`)."""

    name: str
    value: float
    baseline_name: str
    baseline: float
    target: tuple[str, float] | None = None
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        op, bound = self.target
        met = self.ratio <= bound if op == "<=" else self.ratio >= bound
        return f"{op} {bound:g} {'ja' if met else 'NEJ'}"


def show(title: str, rows: Sequence[Row]) -> None:
    def amount(value: float, unit: str) -> str:
        return f"{value * 1000:.0f} ms" if unit == "s" and value < 10 else f"{value:.1f} s" if unit == "s" else f"{value:.0f} {unit}"

    width = max(len(r.name) for r in rows)
    print(f"\n{title}")
    print(f"{'mätning'.ljust(width)}  {'värde':>9}  {'kvot':>6}  {'mål':<9}  baslinje")
    for r in rows:
        print(f"{r.name.ljust(width)}  {amount(r.value, r.unit):>9}  {r.ratio:6.2f}  {r.verdict:<9}  {r.baseline_name} ({amount(r.baseline, r.unit)})")
    sys.stdout.flush()


# --- running things --------------------------------------------------------------------------------


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median wall time in seconds over `repeat` runs (after one warm-up)."""
    function()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def run(command: Sequence[str | Path], cwd: Path = ROOT) -> tuple[float, float | None]:
    """Wall time and peak memory (MB, the process and the workers it waited for) of one command."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a long run's warnings would fill a pipe and stop it
        start = time.perf_counter()
        process = subprocess.Popen([str(c) for c in command], cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=errors)
        if hasattr(os, "wait4"):  # POSIX: the child's own resource usage
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            peak: float | None = usage.ru_maxrss / 1024  # kB on Linux
        else:
            process.wait()
            peak = None
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(map(str, command))} avslutades med {process.returncode}:\n{errors.read().decode('utf-8', 'replace')[-3000:]}")
    return seconds, peak


def mallgen(*args: str | Path) -> list[str | Path]:
    return [sys.executable, "-m", "generator.cli", *args]


def median_run(command: Sequence[str | Path], repeat: int) -> float:
    run(command)
    return statistics.median(run(command)[0] for _ in range(repeat))


def paired(first: Sequence[str | Path], second: Sequence[str | Path], repeat: int) -> tuple[float, float]:
    """Median wall times of two commands run in turn, so a change in the machine's load hits both alike."""
    run(first), run(second)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        times[0].append(run(first)[0])
        times[1].append(run(second)[0])
    return statistics.median(times[0]), statistics.median(times[1])


def supports(option: str, command: str = "render") -> bool:
    """Whether this version of mallgen has an option (so the script also measures older versions)."""
    out = subprocess.run(mallgen(command, "--help"), cwd=ROOT, env=ENV, capture_output=True, text=True, check=True).stdout
    return option in out


# --- start: `mallgen validate` against the bare imports -------------------------------------------


def start_benchmark(repeat: int) -> list[Row]:
    validate, floor = paired(mallgen("validate", EXAMPLE), [sys.executable, "-c", IMPORT_FLOOR], repeat)
    rows = [Row("mallgen validate (ett ärende, ny process)", validate, f'python -c "{IMPORT_FLOOR}"', floor, ("<=", 2.0))]
    loader = "from generator.render import load_weasyprint as l; l(); import weasyprint"
    try:
        from generator.render import load_weasyprint  # noqa: F401
    except ImportError:  # an older version: WeasyPrint imported the ordinary way
        loader = "import weasyprint"
    ours, plain = paired([sys.executable, "-c", loader], [sys.executable, "-c", "import weasyprint"], repeat)
    rows.append(Row("import weasyprint som mallgen gör det", ours, 'python -c "import weasyprint"', plain))
    return rows


# --- per document: our pipeline against the engines alone -----------------------------------------


def bare_docx(body: str) -> None:
    """The floor for DOCX: python-docx writing the same text, one paragraph per line."""
    from docx import Document

    out = Document()
    for line in body.splitlines():
        out.add_paragraph(line)
    out.save(io.BytesIO())


def document_benchmark(repeat: int) -> list[Row]:
    import yaml
    from weasyprint import HTML

    from generator.pipeline import Options, document_meta, load_case, render_document
    from generator.render import _font_config, render_markdown, to_html

    try:
        from generator.pipeline import document_context
    except ImportError:  # an older version
        from generator.context import build_context

        def document_context(case, document):  # type: ignore[no-untyped-def]
            return build_context(case.data, case.schema, document, case.profile, case.data_hash)

    options = Options()
    case, _ = load_case(EXAMPLE, options)
    assert case is not None
    dirs = options.dirs
    text = EXAMPLE.read_text(encoding="utf-8")
    rows = [Row("validera ärendet (läs + schema + regler)", timed(lambda: load_case(EXAMPLE, options), repeat),
                "yaml.safe_load av samma fil", timed(lambda: yaml.safe_load(text), repeat))]
    try:
        from generator.charts import case_charts
    except ImportError:  # an older version: no charts in case documents

        def case_charts(document_id, context):  # type: ignore[no-untyped-def]
            return {}

    for document in case.documents:
        context = document_context(case, document)
        charts = case_charts(document.id, context)  # as render_document does
        context["diagram"] = {name: chart.alt for name, chart in charts.items()}
        meta = document_meta(case, document)
        body = render_markdown(document, context, dirs)
        html = to_html(body, meta, dirs, for_pdf=True, charts=charts)
        ours = partial(render_document, case, document, dirs=dirs)
        # WeasyPrint alone making the same kind of PDF (PDF/A, tagged) from the same page, with the
        # same shared font set-up: what is left is ours (templates, Markdown, metadata, finishing)
        engine = partial(HTML(string=html, base_url=str(ROOT)).write_pdf, font_config=_font_config(), pdf_variant=meta.pdf_variant, pdf_tags=True)
        rows.append(Row(f"{document.id}: pdf", timed(partial(ours, ("pdf",)), repeat), "WeasyPrint, samma HTML, PDF/A med taggar",
                        timed(engine, repeat), ("<=", 1.15)))
        rows.append(Row(f"{document.id}: docx", timed(partial(ours, ("docx",)), repeat),
                        "python-docx, en rad per stycke", timed(partial(bare_docx, body), repeat)))
        rows.append(Row(f"{document.id}: html+md", timed(partial(ours, ("html", "md")), repeat),
                        "yaml.safe_load av ärendet", timed(partial(yaml.safe_load, text), repeat)))
    return rows


# --- per case: mallgen against LibreOffice converting the same DOCX files ---------------------------


def case_benchmark(repeat: int, folder: Path) -> list[Row]:
    """`mallgen render` of the example case as PDF against 'spara som PDF' of its DOCX files,
    one LibreOffice process per file, each started as an officer would."""
    if shutil.which("soffice") is None:
        print("soffice saknas: jämförelsen med LibreOffice hoppas över")
        return []
    docx_dir = folder / "docx"
    run(mallgen("render", EXAMPLE, "-f", "docx", "-o", docx_dir))
    files = sorted(docx_dir.rglob("*.docx"))
    profile = (folder / "lo-profil").as_uri()  # its own profile: never disturbs (or waits for) another LibreOffice

    def libreoffice() -> float:
        total = 0.0
        for path in files:
            total += run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                          "--outdir", folder / "lo", path])[0]
        return total

    libreoffice()  # the first start creates the profile
    office = statistics.median(libreoffice() for _ in range(max(1, repeat // 2)))
    runs = [run(mallgen("render", EXAMPLE, "-f", "pdf", "-o", folder / f"pdf-{n}"))[0] for n in range(max(1, repeat // 2) + 1)]
    ours = statistics.median(runs[1:])
    everything = statistics.median(run(mallgen("render", EXAMPLE, "-o", folder / f"alla-{n}"))[0] for n in range(max(1, repeat // 2)))
    return [
        Row(f"ett ärende ({len(files)} dokument) som PDF, mallgen render", ours, f"LibreOffice, en process per DOCX ({len(files)} st.)",
            office, ("<=", 0.2)),
        Row(f"ett ärende ({len(files)} dokument) i alla fyra format", everything, f"LibreOffice, en process per DOCX ({len(files)} st.)", office),
    ]


# --- a folder of cases: every core, and only what changed -------------------------------------------


def indepth_cases(count: int, folder: Path) -> Path:
    """`count` copies of the in-depth example under their own ids (6 documents each); returns the folder."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count("id: FU-2026-014") == 1
    cases = folder / "arenden"
    cases.mkdir(parents=True)
    shutil.copy(PROFILE, folder / "organisation.yaml")
    for number in range(1, count + 1):
        (cases / f"fu-{number:04d}.yaml").write_text(text.replace("id: FU-2026-014", f"id: FU-B-{number:04d}"), encoding="utf-8")
    return cases


CEILING = """
import multiprocessing, sys, time
def burn(n):
    total = 0
    for i in range(n):
        total += i * i
    return total
if __name__ == "__main__":
    jobs = int(sys.argv[1])
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        pool.map(burn, [1], chunksize=1)
        start = time.perf_counter()
        pool.map(burn, [20_000_000] * 2, chunksize=1)
        print(time.perf_counter() - start)
"""


def ceiling(folder: Path) -> Row:
    """What two processes gain on this machine now: the same pure-Python loop twice, in one
    worker and in two. On a loaded machine it is well under 2, and so is every other speed-up."""
    script = folder / "tak.py"
    script.write_text(CEILING, encoding="utf-8")

    def seconds(jobs: int) -> float:
        out = subprocess.run([sys.executable, str(script), str(jobs)], capture_output=True, text=True, check=True).stdout
        return float(out)

    ones, twos = [], []
    for _ in range(2):
        ones.append(seconds(1))
        twos.append(seconds(2))
    return Row("räkneloop, 1 process (maskinens tak just nu)", statistics.median(ones), "samma, 2 processer", statistics.median(twos))


def folder_benchmark(count: int, folder: Path, rounds: int = 2) -> list[Row]:
    """Cold renders with 1 and 2 processes in turn (`rounds` times each, median), then re-renders of
    the last one's folder: nothing changed, and one case changed."""
    cases = indepth_cases(count, folder)
    files = sorted(cases.glob("*.yaml"))
    parallel = supports("--processer")
    inputs: list[str | Path] = [cases] if parallel else list(files)

    def two_processes(out: Path) -> float:
        if parallel:
            return run(mallgen("render", *inputs, "-o", out, "-j", "2"))[0]
        # an older version without -j: two processes with half the cases each, side by side
        start = time.perf_counter()
        halves = [files[: len(files) // 2], files[len(files) // 2:]]
        processes = [subprocess.Popen([str(c) for c in mallgen("render", *half, "-o", out)], cwd=ROOT, env=ENV,
                                      stdout=subprocess.DEVNULL) for half in halves]
        assert all(p.wait() == 0 for p in processes)
        return time.perf_counter() - start

    ones: list[float] = []
    twos: list[float] = []
    for number in range(rounds):
        ones.append(run(mallgen("render", *inputs, "-o", folder / f"ett-{number}", *(["-j", "1"] if parallel else [])))[0])
        twos.append(two_processes(folder / f"tva-{number}"))
    one, two = statistics.median(ones), statistics.median(twos)
    out = folder / f"tva-{rounds - 1}"
    same, _ = run(mallgen("render", *inputs, "-o", out))
    changed = files[len(files) // 2]
    changed.write_text(changed.read_text(encoding="utf-8").replace("Bristande läkarbemanning", "Bristande bemanning av läkare"), encoding="utf-8")
    one_changed, _ = run(mallgen("render", *inputs, "-o", out))
    cold = "kall rendering, 2 processer"
    return [
        ceiling(folder),
        Row(f"{count} ärenden, 1 process", one, f"{count} ärenden, 2 processer", two, (">=", 1.7)),
        Row("samma mapp igen, inget ändrat", same, cold, two, ("<=", 0.05)),
        Row("samma mapp igen, ett ärende ändrat", one_changed, cold, two, ("<=", 0.10)),
    ]


# --- the annual report (mallgen report) over many cases ---------------------------------------------

RAPPORT = ROOT / "examples" / "rapport"
AREAS = [  # (avtalsområde, board, diarienummer prefix) as in the bundled example
    ("Vårdval Vårdcentral", "hsn", "HSN"),
    ("Vårdval Rehab", "hsn", "HSN"),
    ("Specialiserad öppenvård enligt nationella taxan", "hsn", "HSN"),
    ("Radiologi", "rs", "RS"),
    ("Laboratoriemedicin", "rs", "RS"),
]
PATHS = [  # escalation paths over the ladder: (steps, in-depth?)
    ([], False), (["1"], False), (["1", "2a"], False), (["2a", "2b"], False), (["1", "2a", "2b", "3"], False),
    (["3a", "3b"], True), (["3a", "3b", "4a", "4b"], True), (["3a", "3b", "5"], True),
]
DECIDER = {  # who holds the mandate for each step (handbook kap. 4), so the cases pass the rules
    "1": "handlaggare", "2a": "handlaggare", "2b": "handlaggare", "3": "teamledare", "3a": "teamet", "3b": "teamet",
    "4a": "namnd", "4b": "namnd", "5": "namnd",
}


def _orgnr(number: int) -> str:
    digits = f"559{number:06d}"
    total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d for i, d in enumerate(map(int, digits)))
    full = digits + str((10 - total % 10) % 10)
    return f"{full[:6]}-{full[6:]}"


def synthetic_cases(count: int, folder: Path, year: int = 2026) -> Path:
    """`count` valid case files spread over the areas and the escalation ladder, plus the example's
    team inputs, report file, register and indicator data; returns the input folder."""
    import random

    rng = random.Random(count)  # the same files for the same count
    inputs = folder / "rapport"
    shutil.copytree(RAPPORT, inputs, ignore=shutil.ignore_patterns("arenden"))
    shutil.copy(PROFILE, folder / "organisation.yaml")
    cases = inputs / "arenden"
    cases.mkdir()
    for number in range(1, count + 1):
        area, board, prefix = AREAS[number % len(AREAS)]
        steps, indepth = PATHS[rng.randrange(len(PATHS))]
        day = rng.randrange(1, 120)
        lines = [
            "organisation: ../../organisation.yaml",
            "arende:",
            f"  id: SYN-{number:05d}",
            f"  diarienummer: {prefix} {year}-{number:05d}",
            f"  typ: {'fordjupad' if indepth else 'lopande'}",
            f"  rubrik: Syntetiskt ärende {number}",
            f"  startdatum: {year}-{1 + day // 31:02d}-{2 + day % 27:02d}",
            "personer:",
            "  handlaggare: {namn: Test Testsson}",
            "vardgivare:",
            f"  namn: Vårdbolag {number} AB",
            f"  orgnr: {_orgnr(number)}",
            f"  verksamhet: Vårdenhet {number:05d}",
            "  adress: {gatuadress: Testgatan 1, postnummer: 999 99, ort: Norrsund}",
            "avtal:",
            f"  benamning: Avtal {area}",
            f"  diarienummer: {prefix} 2020-{number:05d}",
            "  avtalsform: LOV",
            f"  avtalsomrade: {area}",
            "  giltigt_fran: 2020-01-01",
            f"  namnd: {board}",
            "moten:",
            f"  - {{typ: kvalitetsdialog, datum: {year}-{1 + day // 31:02d}-{2 + day % 27:02d}}}",
        ]
        if steps:
            lines.append("eskalering:")
        for index, step in enumerate(steps):
            month = 4 + index * 2 + rng.randrange(2)
            lines += [f"  - steg: '{step}'", f"    datum: {year}-{month:02d}-{rng.randrange(2, 28):02d}",
                      f"    beskrivning: Steg {step}", f"    beslutsfattare: {DECIDER[step]}"]
            if step == "5":
                lines.append("    hoppade_over_anledning: Avtalets vitesklausul var direkt tillämplig.")
        lines += ["verksamhetsbedomning:", f"  farg: {rng.choice(['gron', 'gul', 'rod'])}", "  motivering: Syntetisk bedömning."]
        (cases / f"syn-{number:05d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return inputs


def report_benchmark(count: int, folder: Path) -> None:
    """Time and peak memory of `mallgen report` on the bundled inputs and on `count` generated cases,
    and of rendering `count` in-depth cases as Markdown (the memory of a whole region's render)."""
    example, _ = run(mallgen("report", "--year", "2026", RAPPORT, "-o", folder / "ut1"))
    inputs = synthetic_cases(count, folder / "syntetiskt")
    figures, figures_peak = run(mallgen("report", "--year", "2026", inputs, "-o", folder / "ut2", "--kontrollera"))
    everything, everything_peak = run(mallgen("report", "--year", "2026", inputs, "-o", folder / "ut3"))
    cases = indepth_cases(count, folder / "fordjupade")
    parallel = supports("--processer")
    markdown, markdown_peak = run(mallgen("render", *([cases] if parallel else sorted(cases.glob("*.yaml"))), "-f", "md", "-o", folder / "ut4"))
    rows = [
        ("exempelindata (examples/rapport), alla format", example, None),
        (f"report: {count} ärenden, bara siffrorna (--kontrollera)", figures, figures_peak),
        (f"report: {count} ärenden, alla format", everything, everything_peak),
        (f"render: {count} fördjupade ärenden, -f md", markdown, markdown_peak),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'mätning'.ljust(width)}  {'sekunder':>8}  {'toppminne':>9}  mål för minnet")
    for name, seconds, peak in rows:
        memory = f"{peak:.0f} MB" if peak is not None else "–"
        goal = "" if peak is None else f"<= 500 MB {'ja' if peak <= 500 else 'NEJ'}"
        print(f"{name.ljust(width)}  {seconds:8.1f}  {memory:>9}  {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="upprepningar per mätning (median)")
    parser.add_argument("--delar", default="start,dokument,arende,mapp", help="vilka delar: start, dokument, arende, mapp")
    parser.add_argument("--arenden", type=int, default=24, help="antal ärenden i mappen (standard 24)")
    parser.add_argument("--rapport", type=int, metavar="N", help="mät i stället 'mallgen report' (och minnet) på N genererade ärenden, t.ex. 1000")
    args = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"{os.cpu_count()} kärnor; belastning före: {' '.join(f'{x:.2f}' for x in load) if load else 'okänd'}")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        if args.rapport:
            report_benchmark(args.rapport, folder)
        else:
            parts = set(args.delar.split(","))
            if "start" in parts:
                show("Start", start_benchmark(args.repeat * 2))
            if "dokument" in parts:
                show("Per dokument (i samma process)", document_benchmark(args.repeat))
            if "arende" in parts:
                rows = case_benchmark(args.repeat, folder / "arende")
                if rows:
                    show("Per ärende (nya processer)", rows)
            if "mapp" in parts:
                show(f"En mapp med {args.arenden} fördjupade ärenden (nya processer)", folder_benchmark(args.arenden, folder / "mapp"))
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"\nbelastning efter: {' '.join(f'{x:.2f}' for x in load)}")


if __name__ == "__main__":
    main()
