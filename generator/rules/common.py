"""Rules every case shares: the contract, the deviations, the escalation ladder, the refusal of
personnummer where the profile says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..formatting import find_personnummer
from ..organisation import board

Rule = Callable[[dict[str, Any], Source, dict[str, Any]], Iterator[Problem]]

# The escalation ladder (handbook kap. 4) and who holds the mandate to decide each step.
LADDER = ["0", "1", "2a", "2b", "3a", "3b", "4a", "4b", "5"]
MANDATE = {
    "0": {"handlaggare"},
    "1": {"handlaggare"},
    "2a": {"handlaggare"},
    "2b": {"handlaggare"},
    "3": {"teamledare"},
    "3a": {"teamet"},
    "3b": {"teamet", "namnd"},  # follow-up by the team; återkrav/sanktion by the board
    "4a": {"namnd"},
    "4b": {"namnd"},
    "5": {"namnd"},
}
MANDATE_TEXT = {
    "handlaggare": "handläggaren",
    "teamledare": "teamledaren",
    "teamet": "teamet",
    "avdelningschef": "avdelningschefen",
    "namnd": "ansvarig nämnd eller styrelse",
}


def get(data: dict[str, Any], *path: Any) -> Any:
    """The value at `path`, or None where any part of it is missing (rules run on unchecked data)."""
    value: Any = data
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def contract(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    board_id = get(data, "avtal", "namnd")
    if isinstance(board_id, str) and board(profile, board_id) is None:
        known = ", ".join(b["id"] for b in profile.get("namnder", []))
        yield src.problem(("avtal", "namnd"), f"nämnden '{board_id}' finns inte i organisationsprofilen (kända: {known})")
    start, end = get(data, "avtal", "giltigt_fran"), get(data, "avtal", "giltigt_till")
    if is_date(start) and is_date(end) and end < start:
        yield src.problem(("avtal", "giltigt_till"), "avtalet slutar före det börjar")


def deviations(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, item in enumerate(data.get("avvikelser") or []):
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str):
            if ident in seen:
                yield src.problem(("avvikelser", index, "id"), f"avvikelsen '{ident}' finns två gånger; varje avvikelse behöver ett eget id")
            seen.add(ident)


def escalation(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """Each step is decided by whoever holds the mandate; a skipped step carries a reason."""
    # Steps 0-2 are usually taken in routine follow-up before a case arrives, so a case may start
    # anywhere up to 3a without a reason; after that each step up the ladder skips none.
    steps = [s.get("steg") for s in data.get("eskalering") or [] if isinstance(s, dict)]
    first = LADDER.index(steps[0]) if steps and steps[0] in LADDER else 0
    highest = min(first, LADDER.index("3a")) - 1
    previous: dt.date | None = None
    for index, step in enumerate(data.get("eskalering") or []):
        if not isinstance(step, dict):
            continue
        level, decided_by, when = step.get("steg"), step.get("beslutsfattare"), step.get("datum")
        if level in MANDATE and decided_by in MANDATE_TEXT and decided_by not in MANDATE[level]:
            holders = " eller ".join(MANDATE_TEXT[m] for m in sorted(MANDATE[level]))
            yield src.problem(("eskalering", index, "beslutsfattare"),
                              f"steg {level} beslutas enligt handboken kap. 4 av {holders}, inte av {MANDATE_TEXT[decided_by]}")
        if level in LADDER:
            position = LADDER.index(level)
            skipped = LADDER[highest + 1:position]
            if skipped and not step.get("hoppade_over_anledning"):
                yield src.problem(("eskalering", index, "steg"), f"steg {', '.join(skipped)} har hoppats över; ange skälet i 'hoppade_over_anledning'")
            highest = max(highest, position)
        if is_date(when):
            if previous and when < previous:
                yield src.problem(("eskalering", index, "datum"), "eskaleringsstegen står inte i tidsordning", warning=True)
            previous = when


def refused_personnummer(data: dict[str, Any], src: Source, keys: list[str]) -> list[Problem]:
    """Where the profile refuses (rather than masks) personnummer in documents leaving the team."""
    problems: list[Problem] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, str) and find_personnummer(value):
            problems.append(src.problem(path, "personnummer får inte stå i ett dokument som lämnar teamet (organisationsprofilen: vagra); ta bort det"))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))

    for key in keys:
        if key in data:
            walk(data[key], (key,))
    return problems


RULES: list[Rule] = [contract, deviations, escalation]
