"""What the annual report's templates see: the figures as plain data, by audience.

`Report` (figures.py) holds the year's inputs: every case file's data, the teams' internal
summaries, the traffic lights. A template sees none of that directly. The board's report
(`namnd`) gets the figures and the teams' public texts only; the internal summaries
(`arssummering-team`, `arssummering-avdelning`) also get the teams' summaries and traffic lights.
"""

from __future__ import annotations

from typing import Any

from .figures import ACTION_PLAN, OTHER_MEASURES, Area, Board, Report, Series, TeamSummary, Totals


def _totals(total: Totals) -> dict[str, Any]:
    return {**total.values, "complete": total.complete}


def _area(area: Area) -> dict[str, Any]:
    measures = [{"provider": m.provider, "step": m.step, "label": m.label, "date": m.date} for m in area.measures]
    figures = {
        name: getattr(area, name)
        for name in ("name", "board_id", "team", "description", "comment", "specification", "followed_up", "measures_started",
                     "action_plans", "action_plans_followed_up", "other_measures", "handed_over", "routine_cases",
                     "indepth_cases", "meetings", "steps", "contracts_start", "contracts_new", "contracts_ended",
                     "contracts_end", "contracts_source")
    }
    return {
        **figures,
        "measures": measures,
        "action_plan_measures": [m for m in measures if m["step"] == ACTION_PLAN],
        "other_measure_list": [m for m in measures if m["step"] in OTHER_MEASURES],
    }


def _board(board: Board) -> dict[str, Any]:
    return {"id": board.id, "name": board.name, "kind": board.kind, "responsible": board.responsible,
            "areas": [_area(a) for a in board.areas], "total": _totals(board.total)}


def _series(series: Series) -> dict[str, Any]:
    return {
        "indicator": series.indicator,
        "unit": series.unit,
        "area": series.area,
        "periods": list(series.periods),
        "providers": list(series.providers),
        "latest": series.latest,
        "latest_values": [[provider, value] for provider, value in series.latest_values()],
        "by_provider": {p: {period: series.value(p, period) for period in series.periods} for p in series.providers},
    }


def summary_context(summary: TeamSummary) -> dict[str, Any]:
    """One team's annual summary (internal): its six points, proposals, figures and traffic lights."""
    return {
        "team": summary.team,
        "slug": summary.slug,
        "data": summary.data,
        "areas": [_area(a) for a in summary.areas],
        "total": _totals(summary.total),
        "traffic_lights": dict(summary.traffic_lights),
        "proposals": [{"team": p.team, "text": p.text, "owner": p.owner, "due": p.due, "point": p.point, "to_department": p.to_department}
                      for p in summary.proposals],
    }


def report_context(report: Report, internal: bool) -> dict[str, Any]:
    """`rapport` in a template: the figures, the report file's settings and the teams' public texts;
    for an internal document also the teams and their annual summaries."""
    counts = {**report.counts, "nyckeltalsfiler": len(report.inputs.indicator_files)}
    context: dict[str, Any] = {
        "year": report.year,
        "date": report.date,
        "diarienummer": report.diarienummer,
        "settings": report.settings,
        "boards": [_board(b) for b in report.boards],
        "areas": [_area(a) for a in report.areas],
        "total": _totals(report.total),
        "steps": report.steps,
        "series": [_series(s) for s in report.series],
        "charted": [_series(s) for s in report.charted],
        "counts": counts,
        "step_labels": report.step_labels,
    }
    if internal:
        context["teams"] = [{"name": t["name"], "areas": [_area(a) for a in t["areas"]], "total": _totals(t["total"]),
                             "has_summary": t["has_summary"]} for t in report.teams]
        context["summaries"] = [summary_context(s) for s in report.summaries]
        context["department"] = report.department
    return context
