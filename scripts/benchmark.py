"""Speed of mallgen, as ratios against baselines measured in the same run.

    python scripts/benchmark.py [--repeat N]

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "arenden" / "fordjupad-vardcentral.yaml"


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median wall time in seconds over `repeat` runs (after one warm-up)."""
    function()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import yaml
    from docx import Document
    from weasyprint import HTML

    from generator.pipeline import Options, document_meta, load_case, render_document
    from generator.render import render_markdown, to_html
    from generator.context import build_context

    options = Options()
    case, _ = load_case(EXAMPLE, options)
    assert case is not None
    dirs = options.dirs

    rows: list[tuple[str, float, str, float]] = []
    text = EXAMPLE.read_text(encoding="utf-8")
    rows.append(("validera ärendet (läs + schema + regler)", timed(lambda: load_case(EXAMPLE, options), args.repeat),
                 "yaml.safe_load av samma fil", timed(lambda: yaml.safe_load(text), args.repeat)))

    for document in case.documents:
        context = build_context(case.data, case.schema, document, case.profile, case.data_hash)
        meta = document_meta(case, document)
        body = render_markdown(document, context, dirs)
        html = to_html(body, meta, dirs, for_pdf=True)
        ours_pdf = timed(lambda: render_document(case, document, ("pdf",), dirs), args.repeat)
        engine_pdf = timed(lambda: HTML(string=html, base_url=str(ROOT)).write_pdf(), args.repeat)
        rows.append((f"{document.id}: pdf", ours_pdf, "WeasyPrint på samma HTML", engine_pdf))

        def bare_docx() -> None:
            out = Document()
            for line in body.splitlines():
                out.add_paragraph(line)
            out.save(io.BytesIO())

        rows.append((f"{document.id}: docx", timed(lambda: render_document(case, document, ("docx",), dirs), args.repeat),
                     "python-docx, en rad per stycke", timed(bare_docx, args.repeat)))
        rows.append((f"{document.id}: html+md", timed(lambda: render_document(case, document, ("html", "md"), dirs), args.repeat),
                     "yaml.safe_load av ärendet", timed(lambda: yaml.safe_load(text), args.repeat)))

    width = max(len(r[0]) for r in rows)
    print(f"{'mätning'.ljust(width)}  {'ms':>8}  {'kvot':>6}  baslinje (ms)")
    for name, ours, base_name, base in rows:
        print(f"{name.ljust(width)}  {ours * 1000:8.1f}  {ours / base:6.2f}  {base_name} ({base * 1000:.1f})")


if __name__ == "__main__":
    main()
