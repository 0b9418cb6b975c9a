"""Where a case stands on a document's date, computed from the case file: the last step taken on
the escalation ladder, the deviations still open, and the deadlines running.

A deadline is any date field whose schema rule carries `meta.tidsfrist` (its Swedish label), in
any section: the last day for a correction, a control date of a control plan, the date a waiting
case is assessed again. A new document's schema marks its own deadline fields and they are found
here without code. A deadline runs on a date when the document that sets it is dated on or before
that date (a later document did not exist yet) and it falls on or after it.

Templates see the result as `lage` (plain data, see `situation`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import cerberus

from .case import is_date
from .rules.common import LADDER

# The routine follow-up's ladder (handbook kap. 4, löpande uppföljning); the in-depth one is LADDER.
ROUTINE_LADDER = ["0", "1", "2a", "2b", "3"]

# The names a list item is known by, in the order tried, to tell its deadlines apart
# ("Kontrolltillfälle enligt kontrollplanen: Läkarbemanning på plats").
ITEM_NAMES = ("vad", "aktivitet", "rubrik", "namn")


def _fields(rule: Any) -> dict[str, Any] | None:
    if not isinstance(rule, dict) or rule.get("type", "dict") != "dict":
        return None
    fields = rule.get("schema")
    if isinstance(fields, str):
        fields = cerberus.schema_registry.get(fields)
    return fields if isinstance(fields, dict) else None


def _deadline_dates(value: Any, rule: Any, owner: dict[str, Any] | None) -> Iterator[tuple[dt.date, str]]:
    """(date, label) of every marked date below `value`; `owner` is the list item a date belongs to."""
    meta = rule.get("meta") if isinstance(rule, dict) else None
    label = meta.get("tidsfrist") if isinstance(meta, dict) else None
    if isinstance(label, str):
        name = next((str(owner[k]) for k in ITEM_NAMES if owner and isinstance(owner.get(k), str) and owner[k]), None)
        text = f"{label}: {name}" if name else label
        for day in value if isinstance(value, list) else [value]:
            if is_date(day):
                yield day, text
        return
    fields = _fields(rule)
    if isinstance(value, dict) and fields is not None:
        for key, item in value.items():
            yield from _deadline_dates(item, fields.get(key), owner)
    elif isinstance(value, list) and isinstance(rule, dict) and isinstance(rule.get("schema"), dict):
        for item in value:
            yield from _deadline_dates(item, rule["schema"], item if isinstance(item, dict) else owner)


def deadlines(data: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every deadline of the case: `datum`, `text`, `sektion` (the section it is set in) and `satt`
    (that section's date, or None), in date order."""
    found = []
    for key, section in data.items():
        rule = schema.get(key)
        if not isinstance(section, dict) or not isinstance(rule, dict):
            continue
        set_on = section.get("datum") if is_date(section.get("datum")) else None
        for day, text in _deadline_dates(section, rule, None):
            found.append({"datum": day, "text": text, "sektion": key, "satt": set_on})
    return sorted(found, key=lambda d: (d["datum"], d["text"]))


def situation(data: dict[str, Any], schema: dict[str, Any], date: Any) -> dict[str, Any]:
    """`lage` in a template, on the document's `date`:

    - `datum`: that date;
    - `steg`: the last escalation step dated on or before it (the entry under `eskalering`), or None;
    - `trappan`: the case type's escalation ladder, each step with `steg`, `datum` (the last day it
      was taken by then, or None) and `aktuellt` (it is the step the case stands on);
    - `oppna_avvikelser`: the deviations found by then whose status is not `atgardad`;
    - `tidsfrister`: the deadlines running then (set on or before the date, due on or after it),
      each with `datum`, `text`, `sektion` and `satt`, in date order.
    """
    if not is_date(date):
        return {"datum": None, "steg": None, "trappan": [], "oppna_avvikelser": [], "tidsfrister": []}
    steps = [s for s in data.get("eskalering") or [] if isinstance(s, dict) and is_date(s.get("datum")) and s["datum"] <= date]
    current = max(steps, key=lambda s: s["datum"], default=None)  # the latest; of one day's steps the last written
    if current is not None:
        current = [s for s in steps if s["datum"] == current["datum"]][-1]
    ladder = ROUTINE_LADDER if (data.get("arende") or {}).get("typ") == "lopande" else LADDER
    ladder = ladder + list(dict.fromkeys(s["steg"] for s in steps if s.get("steg") not in ladder))  # another ladder's step, as recorded
    taken = {s["steg"]: s["datum"] for s in sorted(steps, key=lambda s: s["datum"])}
    rungs = [{"steg": step, "datum": taken.get(step), "aktuellt": current is not None and step == current.get("steg")} for step in ladder]
    open_deviations = [
        d for d in data.get("avvikelser") or []
        if isinstance(d, dict) and d.get("status") != "atgardad" and (not is_date(d.get("upptackt")) or d["upptackt"] <= date)
    ]
    running = [d for d in deadlines(data, schema) if d["datum"] >= date and (d["satt"] is None or d["satt"] <= date)]
    return {"datum": date, "steg": current, "trappan": rungs, "oppna_avvikelser": open_deviations, "tidsfrister": running}
