"""Build generator/text_metrics.py: the advance widths of the bundled Liberation Sans (regular and
bold), which has the metrics of Arial, the font base.docx asks Word for. The DOCX converter measures
table text with them to give each column the width its words need.

The table is committed; run this after changing the bundled fonts (fontTools comes with WeasyPrint):

    python scripts/make_text_metrics.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "generator" / "fonts"
OUT = ROOT / "generator" / "text_metrics.py"
# Latin with its extensions (Swedish, Finnish, Sami, Vietnamese base letters), general punctuation.
RANGES = [(0x20, 0x250), (0x1E00, 0x1F00), (0x2010, 0x2040), (0x20AC, 0x20AD), (0x2212, 0x2213)]


def widths(path: Path) -> tuple[int, dict[int, int]]:
    font = TTFont(str(path))
    cmap, metrics = font.getBestCmap(), font["hmtx"].metrics
    found = {code: metrics[cmap[code]][0] for start, end in RANGES for code in range(start, end) if code in cmap}
    return font["head"].unitsPerEm, found


def _table(name: str, values: dict[int, int]) -> list[str]:
    items = [f"{code}: {width}," for code, width in sorted(values.items())]
    rows = [" ".join(items[i:i + 12]) for i in range(0, len(items), 12)]
    return [f"{name}: dict[int, int] = {{", *(f"    {row}" for row in rows), "}"]


def main() -> None:
    units, regular = widths(FONTS / "LiberationSans-Regular.ttf")
    _, bold = widths(FONTS / "LiberationSans-Bold.ttf")
    lines = [
        '"""Advance widths of Liberation Sans (the metrics of Arial), made by scripts/make_text_metrics.py; do not edit."""',
        "",
        f"UNITS_PER_EM = {units}",
        *_table("REGULAR", regular),
        *_table("BOLD", bold),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(OUT)


if __name__ == "__main__":
    main()
