"""Speed of mallgen, as ratios against baselines measured in the same run.

    python scripts/benchmark.py [--repeat N]
    python scripts/benchmark.py --rapport 1000   # the annual report: examples and 1000 generated cases

Baselines are the work we cannot avoid: parsing the YAML with plain PyYAML (for validation),
and WeasyPrint / python-docx doing their own part on the same input (for rendering). A ratio
near 1 means our pipeline adds little on top of the engines.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "arenden" / "fordjupad-vardcentral.yaml"


def bare_docx(body: str) -> None:
    """The floor for DOCX: python-docx writing the same text, one paragraph per line."""
    from docx import Document

    out = Document()
    for line in body.splitlines():
        out.add_paragraph(line)
    out.save(io.BytesIO())


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median wall time in seconds over `repeat` runs (after one warm-up)."""
    function()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


# --- the annual report (mallgen report) ------------------------------------------------------------

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
    import shutil

    rng = random.Random(count)  # the same files for the same count
    inputs = folder / "rapport"
    shutil.copytree(RAPPORT, inputs, ignore=shutil.ignore_patterns("arenden"))
    shutil.copy(ROOT / "examples" / "organisation.yaml", folder / "organisation.yaml")
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
            f"  startdatum: {year}-{1 + day // 31:02d}-{1 + day % 28:02d}",
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
            f"  - {{typ: kvalitetsdialog, datum: {year}-{1 + day // 31:02d}-{1 + day % 28:02d}}}",
        ]
        if steps:
            lines.append("eskalering:")
        for index, step in enumerate(steps):
            month = 4 + index * 2 + rng.randrange(2)
            lines += [f"  - steg: '{step}'", f"    datum: {year}-{month:02d}-{rng.randrange(1, 28):02d}",
                      f"    beskrivning: Steg {step}", f"    beslutsfattare: {DECIDER[step]}"]
            if step == "5":
                lines.append("    hoppade_over_anledning: Avtalets vitesklausul var direkt tillämplig.")
        lines += ["verksamhetsbedomning:", f"  farg: {rng.choice(['gron', 'gul', 'rod'])}", "  motivering: Syntetisk bedömning."]
        (cases / f"syn-{number:05d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return inputs


def time_report(paths: list[Path], out_dir: Path, year: int = 2026, check_only: bool = False) -> float:
    """Wall time of one `mallgen report` run (every format, written to out_dir)."""
    from generator.output import write_case
    from generator.pipeline import FORMATS
    from generator.report import build_report

    start = time.perf_counter()
    built = build_report(paths, year, FORMATS, check_only=check_only)
    if not check_only:
        write_case(built.folder_case, built.rendered, out_dir)
    return time.perf_counter() - start


def report_benchmark(count: int) -> None:
    """Time `mallgen report` on the bundled example inputs and on `count` generated case files."""
    import tempfile

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        rows = [("exempelindata (examples/rapport), alla format", time_report([RAPPORT], folder / "ut1"))]
        inputs = synthetic_cases(count, folder / "syntetiskt")
        rows.append((f"{count} genererade ärenden, bara kontroll (--kontrollera)", time_report([inputs], folder / "ut2", check_only=True)))
        rows.append((f"{count} genererade ärenden, alla format", time_report([inputs], folder / "ut3")))
    width = max(len(r[0]) for r in rows)
    print(f"{'mallgen report'.ljust(width)}  {'sekunder':>8}")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--rapport", type=int, metavar="N", help="mät i stället 'mallgen report' på exemplen och på N genererade ärenden (t.ex. 1000)"
    )
    args = parser.parse_args()
    if args.rapport:
        report_benchmark(args.rapport)
        return

    import yaml
    from weasyprint import HTML

    from generator.pipeline import Options, document_context, document_meta, load_case, render_document
    from generator.render import render_markdown, to_html

    options = Options()
    case, _ = load_case(EXAMPLE, options)
    assert case is not None
    dirs = options.dirs

    rows: list[tuple[str, float, str, float]] = []
    text = EXAMPLE.read_text(encoding="utf-8")
    rows.append(("validera ärendet (läs + schema + regler)", timed(lambda: load_case(EXAMPLE, options), args.repeat),
                 "yaml.safe_load av samma fil", timed(lambda: yaml.safe_load(text), args.repeat)))

    for document in case.documents:
        context = document_context(case, document)
        meta = document_meta(case, document)
        body = render_markdown(document, context, dirs)
        html = to_html(body, meta, dirs, for_pdf=True)
        ours = partial(render_document, case, document, dirs=dirs)
        engine_pdf = timed(HTML(string=html, base_url=str(ROOT)).write_pdf, args.repeat)
        rows.append((f"{document.id}: pdf", timed(partial(ours, ("pdf",)), args.repeat), "WeasyPrint på samma HTML", engine_pdf))
        rows.append((f"{document.id}: docx", timed(partial(ours, ("docx",)), args.repeat),
                     "python-docx, en rad per stycke", timed(partial(bare_docx, body), args.repeat)))
        rows.append((f"{document.id}: html+md", timed(partial(ours, ("html", "md")), args.repeat),
                     "yaml.safe_load av ärendet", timed(partial(yaml.safe_load, text), args.repeat)))

    width = max(len(r[0]) for r in rows)
    print(f"{'mätning'.ljust(width)}  {'ms':>8}  {'kvot':>6}  baslinje (ms)")
    for name, ours, base_name, base in rows:
        print(f"{name.ljust(width)}  {ours * 1000:8.1f}  {ours / base:6.2f}  {base_name} ({base * 1000:.1f})")


if __name__ == "__main__":
    main()
