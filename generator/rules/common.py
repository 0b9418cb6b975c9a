"""Rules every case shares: the contract, the deviations, the escalation ladder, the refusal of
personnummer where the profile says so, and the delegation-order check every decision goes through."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..formatting import find_personnummer
from ..organisation import MEASURES, ROLE_NAMES, board, mandate, role_text, roles_text

Rule = Callable[[dict[str, Any], Source, dict[str, Any]], Iterator[Problem]]

# The escalation ladder of in-depth follow-up (handbook kap. 4); who decides each step is the
# delegation order's business (organisation.MEASURES and the profile).
LADDER = ["0", "1", "2a", "2b", "3a", "3b", "4a", "4b", "5"]


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


def known_deviations(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """A document that names deviations (its section's `avvikelser`, ids) states them as found by
    its date: one discovered later would make the letter say what was not so when it was sent."""
    found = {d.get("id"): d.get("upptackt") for d in data.get("avvikelser") or [] if isinstance(d, dict)}
    for key, section in data.items():
        if not isinstance(section, dict) or not is_date(section.get("datum")) or not isinstance(section.get("avvikelser"), list):
            continue
        for index, ident in enumerate(section["avvikelser"]):
            when = found.get(ident) if isinstance(ident, str) else None
            if is_date(when) and when > section["datum"]:
                yield src.problem((key, "avvikelser", index), f"avvikelsen '{ident}' upptäcktes {when.isoformat()}, efter dokumentets "
                                  f"datum {section['datum'].isoformat()}; dokumentet kan bara ta upp avvikelser som var kända då")


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
        if level in MEASURES:
            yield from check_mandate(level, decided_by, ("eskalering", index, "beslutsfattare"), src, profile)
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


def check_mandate(measure: str, decided_by: Any, path: tuple[Any, ...], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """An error when `decided_by` (a role) may not decide `measure` (a key of organisation.MEASURES)
    by the delegation order: the profile's when it sets the measure (the message cites its line),
    else the handbook's table."""
    if not isinstance(decided_by, str) or decided_by not in ROLE_NAMES:
        return  # missing or unknown: the schema reports it
    order = mandate(profile, measure)
    if decided_by in order["beslutar"]:
        return
    yield src.problem(path, f"{order['namn']} beslutas enligt {delegation_source(measure, profile)} av "
                      f"{roles_text(order['beslutar'])}, inte av {role_text(decided_by)}")


def delegation_source(measure: str, profile: dict[str, Any]) -> str:
    """Where the mandate for `measure` comes from, for a message: the profile's delegation order
    with its `file:line` when the profile sets it, else the handbook's chapter."""
    where = mandate(profile, measure)["kalla"]
    return f"delegationsordningen i organisationsprofilen ({where})" if where else f"handboken för avtalsuppföljning ({MEASURES[measure].source})"


def check_decision(measure: str, data: dict[str, Any], path: tuple[Any, ...], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """Everything a decision field (`inkludera: [beslut]`) at `path` must satisfy to be signed:
    the decision-maker holds the mandate for `measure`; a person who decides is named under
    `personer`; a board decision names a board the profile knows and its paragraph.

    Every document rule calls this for its section's decision.
    """
    decision = get(data, *path)
    if not isinstance(decision, dict):
        return
    decided_by = decision.get("beslutsfattare")
    yield from check_mandate(measure, decided_by, (*path, "beslutsfattare"), src, profile)
    if decided_by == "namnd":
        board_id = decision.get("namnd")
        if isinstance(board_id, str) and board(profile, board_id) is None:
            known = ", ".join(b["id"] for b in profile.get("namnder", []))
            yield src.problem((*path, "namnd"), f"nämnden '{board_id}' finns inte i organisationsprofilen (kända: {known})")
        if not decision.get("paragraf"):
            yield src.problem((*path, "paragraf"), "ett beslut av nämnd eller styrelse anger protokollets paragraf, t.ex. § 87")
    elif isinstance(decided_by, str) and decided_by in ROLE_NAMES and decided_by != "teamet" and not get(data, "personer", decided_by):
        yield src.problem((*path, "beslutsfattare"), f"beslutet fattas av {role_text(decided_by)}, men '{decided_by}' finns inte under "
                          "personer; lägg till namn och titel där (de står i beslutets underskrift)")


def refused_personnummer(data: dict[str, Any], src: Source, keys: list[str], keep: frozenset[str] = frozenset()) -> list[Problem]:
    """Where the profile refuses (rather than masks) personnummer in documents leaving the team
    (`keep`: numbers shown as written, a sole trader's organisationsnummer)."""
    problems: list[Problem] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, str) and find_personnummer(value, keep):
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


def identifiers(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """A case id or diarienummer holding a personnummer would put it in folder names, manifest.json
    and every document's metadata, where no masking reaches."""
    for key, name in (("id", "ärende-id"), ("diarienummer", "diarienumret")):
        value = get(data, "arende", key)
        if isinstance(value, str) and find_personnummer(value):
            yield src.problem(("arende", key), f"{name} innehåller ett personnummer; det blir mappens namn och står i manifest.json "
                              "och i dokumentens metadata, där det inte kan maskeras. Använd ett id utan personnummer")
    ident = get(data, "arende", "id")
    if isinstance(ident, str) and re.fullmatch(r"rapport-\d{4}", ident, re.I):
        yield src.problem(("arende", "id"), f"ärende-id '{ident}' är namnet på årsrapportens mapp (mallgen report); välj ett annat id")


RULES: list[Rule] = [contract, deviations, known_deviations, escalation, identifiers]
