"""Charts for the annual report and for case documents: SVG for HTML and PDF, PNG for DOCX, from the
same matplotlib figure.

matplotlib is imported only when a chart is made. The charts are readable without colour vision:
the Okabe–Ito palette, and every series also has its own hatch pattern or marker and line style,
and every bar and line end carries its value or name as text. The alt text says what the chart
shows and the numbers; each chart stands beside a table with the same numbers (see the templates).
Bytes are reproducible: a fixed SVG hash salt and no dates in the metadata. Text in the SVG stays
text (searchable, and in the PDF drawn with the embedded house font); a chart is drawn only when a
format needs it, so a Markdown-only run makes no charts at all.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from .formatting import number
from .resources import bundled

if TYPE_CHECKING:
    from .report import Area, Report, Series

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")  # Okabe & Ito
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "---", "+++", "ooo")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (5, 2, 1, 2)))
WIDTH_CM = 16.0  # the text width of an A4 page with the house margins
PNG_DPI = 220  # crisp in Word at 100 % and in print
CM = 1 / 2.54
TEXT = "#1a1a1a"
GRID = "#c8c8c8"


FONT_FALLBACK = "'Liberation Sans', Arial, Helvetica, sans-serif"  # Arial has the same metrics


class Chart:
    """A chart, drawn on first use: `svg` (an `<svg>` element) for HTML/PDF, `png` for DOCX.

    `alt`: the alternative text, when the chart carries its own (a case document's charts do; the
    annual report keeps its texts beside the charts)."""

    def __init__(self, name: str, draw: Callable[[], Any], alt: str = "") -> None:
        self.name = name
        self._draw = draw
        self.alt = alt

    @cached_property
    def figure(self) -> Any:
        import matplotlib

        with matplotlib.rc_context(_setup()):
            return self._draw()

    @cached_property
    def svg(self) -> str:
        """Only the `<svg>` element, without metadata, every id prefixed with the chart's name
        (many charts share one HTML page), fonts with fallbacks for a browser without the house font."""
        import matplotlib

        buffer = io.BytesIO()
        with matplotlib.rc_context(_setup()):
            self.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
        svg = buffer.getvalue().decode("utf-8")
        svg = svg[svg.index("<svg") :]
        svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
        svg = svg.replace("'Liberation Sans'", FONT_FALLBACK)
        prefix = re.sub(r"[^A-Za-z0-9_-]", "-", self.name)
        for ident in sorted(set(_ID.findall(svg)), key=len, reverse=True):
            svg = (
                svg.replace(f'id="{ident}"', f'id="{prefix}-{ident}"')
                .replace(f"#{ident})", f"#{prefix}-{ident})")
                .replace(f'#{ident}"', f'#{prefix}-{ident}"')
            )
        return svg.strip()

    @cached_property
    def png(self) -> bytes:
        import matplotlib

        buffer = io.BytesIO()
        with matplotlib.rc_context(_setup()):
            self.figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
        return buffer.getvalue()

    @property
    def width_cm(self) -> float:
        return round(float(self.figure.get_size_inches()[0]) / CM, 2)


@lru_cache(maxsize=1)
def _setup() -> Any:
    """Register the bundled fonts once; the rc settings every chart is drawn with."""
    from matplotlib import font_manager

    for path in sorted(bundled("fonts").glob("LiberationSans-*.ttf")):
        font_manager.fontManager.addfont(str(path))
    return {
        "font.family": "Liberation Sans",
        "font.size": 9,
        "svg.hashsalt": "mallgen",  # stable ids in the SVG
        "svg.fonttype": "none",  # text stays text
        "hatch.linewidth": 0.8,
        "hatch.color": "#ffffff",
        "axes.edgecolor": "#595959",
        "axes.labelcolor": TEXT,
        "xtick.color": TEXT,
        "ytick.color": TEXT,
        "text.color": TEXT,
        "legend.frameon": False,
        "path.simplify": False,
    }


def _figure(height_cm: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_CM * CM, height_cm * CM), dpi=100, layout="constrained")


_ID = re.compile(r'\bid="([^"]+)"')


def bar_chart(
    name: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], axis_label: str, value_text: Any = number
) -> Chart:
    """Horizontal grouped bars, first category on top; each series has a colour and a hatch, each bar its value."""

    def draw() -> Any:
        groups, per_group = len(categories), len(series)
        height = 1.6 + groups * (0.42 * per_group + 0.35) + (0.6 if per_group > 1 else 0)
        figure = _figure(height)
        axes = figure.add_subplot()
        bar = 0.8 / per_group
        largest = max([v for _, values in series for v in values] + [1])
        for index, (label, values) in enumerate(series):
            positions = [g + (index - (per_group - 1) / 2) * bar for g in range(groups)]
            bars = axes.barh(
                positions,
                values,
                height=bar * 0.92,
                label=label,
                color=PALETTE[index % len(PALETTE)],
                hatch=HATCHES[index % len(HATCHES)],
                edgecolor=TEXT,
                linewidth=0.6,
            )
            for rect, value in zip(bars, values, strict=True):
                axes.text(
                    rect.get_width() + largest * 0.01,
                    rect.get_y() + rect.get_height() / 2,
                    value_text(value),
                    va="center",
                    ha="left",
                    fontsize=8.5,
                )
        axes.set_yticks(range(groups), [_wrap(c) for c in categories])
        axes.invert_yaxis()
        axes.set_xlim(0, largest * 1.15)
        axes.set_xlabel(axis_label)
        axes.xaxis.grid(True, color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if per_group > 1:
            axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=min(per_group, 3), handlelength=2.2, handleheight=1.2)
        if all(float(v).is_integer() for _, values in series for v in values):
            from matplotlib.ticker import MaxNLocator

            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        return figure

    return Chart(name, draw)


def line_chart(name: str, periods: Sequence[str], lines: Sequence[tuple[str, Sequence[float | None]]], axis_label: str) -> Chart:
    """One line per provider over the periods, each with its own marker and dash pattern, named in a legend."""

    def draw() -> Any:
        figure = _figure(8.5 + 0.5 * ((len(lines) + 1) // 2))
        axes = figure.add_subplot()
        for index, (label, values) in enumerate(lines):
            points = [(i, v) for i, v in enumerate(values) if v is not None]
            axes.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                label=label,
                color=PALETTE[index % len(PALETTE)],
                linestyle=LINESTYLES[index % len(LINESTYLES)],
                marker=MARKERS[index % len(MARKERS)],
                markersize=5.5,
                linewidth=1.6,
            )
        axes.set_xticks(range(len(periods)), list(periods))
        axes.set_ylabel(axis_label)
        axes.yaxis.grid(True, color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        figure.legend(loc="outside lower center", ncols=2, handlelength=3.2)
        return figure

    return Chart(name, draw)


def _wrap(text: str, width: int = 26) -> str:
    """Long category names on two or more lines, so the bars keep their room."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


# --- the report's charts and their alt texts ---------------------------------------------------------


def _list(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " och " + parts[-1]


def report_charts(report: Report) -> tuple[dict[str, Chart], dict[str, str]]:
    """Every chart of the collated report, and its alt text (Swedish, with the numbers)."""
    from .report import decimal

    charts: dict[str, Chart] = {}
    alt: dict[str, str] = {}
    for board in report.boards:
        name = f"omraden-{board.id}"
        charts[name] = _areas_chart(name, board.areas)
        alt[name] = (
            f"Liggande stapeldiagram: uppföljda avtal och påbörjade åtgärder {report.year} per avtalsområde under {board.name}. "
            + "; ".join(
                f"{a.name}: {number(a.followed_up)} uppföljda avtal, {number(a.measures_started)} påbörjade åtgärder" for a in board.areas
            )
            + ". Samma siffror står i tabellen ovanför."
        )
    steps = report.steps
    charts["steg"] = bar_chart(
        "steg",
        [f"{s['steg']} {s['text']}" for s in steps],
        [(b.name, [s["namnder"][b.id] for s in steps]) for b in report.boards],
        "Antal steg under året",
    )
    alt["steg"] = (
        f"Liggande stapeldiagram: eskaleringssteg med datum under {report.year}, per steg"
        + (" och per nämnd eller styrelse. " if len(report.boards) > 1 else ". ")
        + "; ".join(f"steg {s['steg']} {s['text']}: {number(s['totalt'])}" for s in steps)
        + ". Samma siffror står i tabellen nedanför."
    )
    for index, series in enumerate(report.charted, start=1):
        unit = f" ({series.unit})" if series.unit else ""
        latest = series.latest_values()
        name = f"nyckeltal-{index}-vardgivare"
        charts[name] = bar_chart(
            name, [p for p, _ in latest], [(series.latest, [v for _, v in latest])], f"{series.indicator}{unit}", decimal
        )
        alt[name] = (
            f"Liggande stapeldiagram: {series.indicator}{unit} per vårdgivare, {series.latest}, högst först. "
            + "; ".join(f"{p}: {decimal(v)}" for p, v in latest)
            + ". Samma värden står i tabellen nedanför."
        )
        name = f"nyckeltal-{index}-tid"
        charts[name] = _series_chart(name, series, unit)
        first, last = series.periods[0], series.periods[-1]
        changes = []
        for provider in series.providers:
            start, end = series.value(provider, first), series.value(provider, last)
            if start is not None and end is not None:
                changes.append(f"{provider} från {decimal(start)} till {decimal(end)}")
        alt[name] = (
            f"Linjediagram: {series.indicator}{unit} per vårdgivare från {first} till {last}, en linje per vårdgivare. "
            + (_list(changes) + ". " if changes else "")
            + "Alla värden står i tabellen nedanför."
        )
    return charts, alt


def _areas_chart(name: str, areas: list[Area]) -> Chart:
    return bar_chart(
        name,
        [a.name for a in areas],
        [("Uppföljda avtal", [a.followed_up for a in areas]), ("Påbörjade åtgärder", [a.measures_started for a in areas])],
        "Antal",
    )


def _series_chart(name: str, series: Series, unit: str) -> Chart:
    lines = [(p, [series.value(p, period) for period in series.periods]) for p in series.providers]
    return line_chart(name, series.periods, lines, f"{series.indicator}{unit}")


# --- case documents' charts ----------------------------------------------------------------------

GRADES = ("lag", "mellan", "hog")  # the handbook's grading (3.1): låg, mellan, hög
GRADE_TEXT = {"lag": "låg", "mellan": "mellan", "hog": "hög"}
RISK_TEXT = {"lag": "låg risk", "mellan": "måttlig risk", "hog": "hög risk"}
# Each level of a matrix cell: a light fill (dark text stays readable on it) and its own hatch,
# so the levels differ without colour too; every cell also says its level in words.
RISK_STYLE = {"lag": ("#e3f1ea", ""), "mellan": ("#fbeccb", ".."), "hog": ("#f6d3c4", "//")}
POINT_MARKERS = ("o", "s", "^", "D", "v", "P")


def risk_level(likelihood: str, consequence: str) -> str:
    """The risk of a cell of the 3 × 3 matrix: low up to one step above low-low, high from one step
    below high-high, moderate between (the same rule the prioritisation template states)."""
    steps = GRADES.index(likelihood) + GRADES.index(consequence)
    return "lag" if steps <= 1 else "mellan" if steps == 2 else "hog"


def risk_matrix(name: str, points: Sequence[tuple[str, str, str]], alt: str, likelihood_label: str, consequence_label: str) -> Chart:
    """Likelihood (up) against consequence (right) in three grades each; every cell shaded and named
    by its risk, each point (label, likelihood, consequence) marked with its own symbol and its label
    in text. The first point is the case itself: a filled star; the others open symbols."""

    def draw() -> Any:
        from matplotlib.patches import Rectangle

        figure = _figure(11.5)
        axes = figure.add_subplot()
        for row, likelihood in enumerate(GRADES):
            for column, consequence in enumerate(GRADES):
                level = risk_level(likelihood, consequence)
                fill, hatch = RISK_STYLE[level]
                axes.add_patch(Rectangle((column, row), 1, 1, facecolor=fill, hatch=hatch, edgecolor="#9a9a9a", linewidth=0))
                axes.text(column + 0.04, row + 0.94, RISK_TEXT[level].capitalize(), ha="left", va="top", fontsize=7.5, color="#404040")
        cells: dict[tuple[int, int], list[int]] = {}
        for index, (_, likelihood, consequence) in enumerate(points):
            cells.setdefault((GRADES.index(consequence), GRADES.index(likelihood)), []).append(index)
        for (column, row), members in cells.items():
            for slot, index in enumerate(members):
                label = points[index][0]
                x = column + (slot + 1) / (len(members) + 1)
                y = row + 0.52
                own = index == 0
                axes.plot([x], [y], marker="*" if own else POINT_MARKERS[(index - 1) % len(POINT_MARKERS)], markersize=15 if own else 9,
                          color=TEXT, markerfacecolor=TEXT if own else "white", markeredgewidth=1.2, linestyle="none")
                axes.text(x, y - 0.13, _wrap(label, 18), ha="center", va="top", fontsize=7.5 if not own else 8,
                          fontweight="bold" if own else "normal", linespacing=1.1)
        for edge in range(4):  # not clipped: the outer lines lie on the axes' edge
            axes.axhline(edge, color="#595959", linewidth=0.8, clip_on=False)
            axes.axvline(edge, color="#595959", linewidth=0.8, clip_on=False)
        axes.set_xlim(0, 3)
        axes.set_ylim(0, 3)
        axes.set_aspect("auto")
        ticks = [GRADE_TEXT[g].capitalize() for g in GRADES]
        axes.set_xticks([0.5, 1.5, 2.5], ticks)
        axes.set_yticks([0.5, 1.5, 2.5], ticks)
        axes.tick_params(length=0)
        axes.set_xlabel(consequence_label)
        axes.set_ylabel(likelihood_label)
        for side in axes.spines.values():
            side.set_visible(False)
        return figure

    return Chart(name, draw, alt)


def _prioritisation_charts(context: dict[str, Any]) -> dict[str, Chart]:
    """The prioritisation's risk matrix: the case placed by dimension A (risk: the likelihood of
    deviations) and dimension B (väsentlighet: their extent and severity, i.e. the consequence),
    with the cases it is weighed against."""
    section = context.get("dokument") or {}
    dimensions = section.get("dimensioner") or {}
    likelihood = (dimensions.get("risk") or {}).get("grad")
    consequence = (dimensions.get("vasentlighet") or {}).get("grad")
    if likelihood not in GRADES or consequence not in GRADES:
        return {}
    case_id = str((context.get("arende") or {}).get("id") or "Ärendet")
    points = [(case_id, likelihood, consequence)]
    points += [(str(c.get("arende")), c.get("sannolikhet"), c.get("konsekvens")) for c in section.get("jamforelse") or []
               if isinstance(c, dict) and c.get("sannolikhet") in GRADES and c.get("konsekvens") in GRADES]

    def place(label: str, s: str, k: str) -> str:
        return f"{label}: {GRADE_TEXT[s]} sannolikhet och {GRADE_TEXT[k]} konsekvens ({RISK_TEXT[risk_level(s, k)]})"

    alt = (
        "Riskmatris med tre nivåer för sannolikhet (dimension A, risk) på den lodräta axeln och tre för konsekvens "
        "(dimension B, väsentlighet) på den vågräta; rutorna är märkta låg, måttlig och hög risk. "
        f"Ärendet {place(*points[0])}."
        + (" Jämförda ärenden: " + "; ".join(place(*p) for p in points[1:]) + "." if len(points) > 1 else "")
        + " Samma uppgifter står i tabellen nedanför."
    )
    name = "riskmatris"
    return {name: risk_matrix(name, points, alt, "Sannolikhet (A. Risk)", "Konsekvens (B. Väsentlighet)")}


# Per document id: what makes its charts from the template's context (plain data). The template
# shows a chart with `![{{ diagram.NAME }}](diagram:NAME)`; `diagram` holds each chart's alt text.
CASE_CHARTS: dict[str, Callable[[dict[str, Any]], dict[str, Chart]]] = {
    "prioritering": _prioritisation_charts,
}


def case_charts(template_id: str, context: dict[str, Any]) -> dict[str, Chart]:
    """The charts of a case document (none for most); nothing is drawn until a format needs it."""
    make = CASE_CHARTS.get(template_id)
    return make(context) if make else {}
