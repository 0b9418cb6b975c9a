"""Indicator tables for one provider's documents, read from the region's indicator data.

A document section may hold `nyckeltal:` (schema/definitioner.yaml): CSV or XLSX files in the
annual report's format (columns vardgivare, period, indikator, varde, and optionally enhet and
avtalsomrade), relative to the case file. For every indicator of the provider the template gets a
table, `indikatorer`: the provider's value per period and, for comparison, the mean of every
provider of the same contract area in that period. The files are read while the case is checked,
so `mallgen validate` reports a missing file or a broken row with its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .case import Source
from .errors import InputError, Problem
from .schema import section_key

if TYPE_CHECKING:
    from .report.inputs import Measurement
    from .templates import DocumentTemplate

SPEC = "nyckeltal"  # the section field naming the files


def read_indicators(documents: list[DocumentTemplate], data: dict[str, Any], source: Source,
                    path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """`{"indikatorer": {section key: [table, ...]}}` for every chosen document whose section names
    indicator files, and the problems found in them; `{}` when none does."""
    tables: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    for key in dict.fromkeys(section_key(d.section_id) for d in documents):
        section = data.get(key)
        spec = section.get(SPEC) if isinstance(section, dict) else None
        if isinstance(spec, dict) and spec.get("filer"):
            tables[key], found = provider_tables(spec, data, path.parent, source, (key, SPEC))
            problems += found
    return ({"indikatorer": tables} if tables else {}), problems


def provider_tables(spec: dict[str, Any], data: dict[str, Any], folder: Path, source: Source,
                    at: tuple[Any, ...]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """One table per indicator of the provider: its periods, its values and the area's mean."""
    from .report.inputs import parse_indicators, read_table

    problems: list[Problem] = []
    measurements: list[Measurement] = []
    for index, name in enumerate(spec["filer"]):
        try:
            table = read_table((folder / str(name)).resolve())
        except InputError as exc:
            problems.append(source.problem((*at, "filer", index), f"nyckeltalen kan inte läsas: {exc}"))
            continue
        if "indikator" not in table.columns:
            problems.append(source.problem((*at, "filer", index), f"{name} innehåller inga nyckeltal: kolumnerna vardgivare, period, "
                                           f"indikator och varde behövs (filen har {', '.join(table.columns) or 'inga'})"))
            continue
        found_rows, found = parse_indicators(table)
        measurements += found_rows
        problems += found
    if problems:
        return [], problems
    provider_data = data.get("vardgivare") or {}
    provider = str(spec.get("vardgivare") or provider_data.get("verksamhet") or provider_data.get("namn") or "")
    own = [m for m in measurements if m.provider == provider]
    if not own:
        known = ", ".join(dict.fromkeys(m.provider for m in measurements)) or "inga"
        where = (*at, "vardgivare") if spec.get("vardgivare") else at
        return [], [source.problem(where, f"vårdgivaren '{provider}' finns inte i nyckeltalen; ange namnet som det står i filen "
                                   f"med {'.'.join(map(str, at))}.vardgivare (filen har: {known})")]
    available = list(dict.fromkeys(m.indicator for m in own))
    wanted = [str(i) for i in spec.get("indikatorer") or available]
    for index, indicator in enumerate(wanted):
        if indicator not in available:
            problems.append(source.problem((*at, "indikatorer", index), f"indikatorn '{indicator}' finns inte för {provider} i "
                                           f"nyckeltalen (finns: {', '.join(available)})"))
    if problems:
        return [], problems
    area = str((data.get("avtal") or {}).get("avtalsomrade") or "")
    first, last = spec.get("fran"), spec.get("till")
    out: list[dict[str, Any]] = []
    for indicator in wanted:
        periods = sorted(dict.fromkeys(m.period for m in own if m.indicator == indicator), key=period_key)
        if first:
            periods = [p for p in periods if period_key(p) >= period_key(str(first))]
        if last:
            periods = [p for p in periods if period_key(p) <= period_key(str(last))]
        rows: list[dict[str, Any]] = []
        values: list[float] = []
        for period in periods:
            value = next(m.value for m in own if m.indicator == indicator and m.period == period)
            values.append(value)
            peers = [m.value for m in measurements if m.indicator == indicator and m.period == period and m.area in ("", area)]
            rows.append({"period": period, "varde": value, "snitt": round(sum(peers) / len(peers), 1), "antal": len(peers)})
        unit = next((m.unit for m in own if m.indicator == indicator and m.unit), "")
        whole = all(v.is_integer() for v in values)  # counts are shown without decimals
        out.append({"indikator": indicator, "enhet": unit, "vardgivare": provider, "avtalsomrade": area,
                    "jamforelse": bool(spec.get("jamforelse", True)), "decimaler": 0 if whole else 1, "rader": rows})
    if (first or last) and not any(table["rader"] for table in out):
        span = " ".join(x for x in (f"från och med '{first}'" if first else "", f"till och med '{last}'" if last else "") if x)
        problems.append(source.problem((*at, "fran" if first else "till"), f"inga perioder {span} finns för {provider} i nyckeltalen"))
    return out, problems


def period_key(period: str) -> tuple[Any, ...]:
    """Natural order of periods as written in the files: `2026 kv 2` before `2026 kv 10`, `2026-02` before `2026-10`."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", period.strip()))
