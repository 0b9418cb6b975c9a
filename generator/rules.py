"""The handbook's rules that data can break, beyond what a schema can say.

Each rule returns problems: an error where the document would be wrong, a warning where the
handbook allows exceptions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from .case import Source, is_date
from .errors import Problem
from .formatting import find_personnummer
from .organisation import board

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


def _get(data: dict[str, Any], *path: Any) -> Any:
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
    board_id = _get(data, "avtal", "namnd")
    if isinstance(board_id, str) and board(profile, board_id) is None:
        known = ", ".join(b["id"] for b in profile.get("namnder", []))
        yield src.problem(("avtal", "namnd"), f"nämnden '{board_id}' finns inte i organisationsprofilen (kända: {known})")
    start, end = _get(data, "avtal", "giltigt_fran"), _get(data, "avtal", "giltigt_till")
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


def call_in(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("kallelse_dialogmote")
    if not isinstance(doc, dict):
        return
    meeting = doc.get("mote") or {}
    sent, reply, held = doc.get("datum"), doc.get("svar_senast"), meeting.get("datum")
    key = "kallelse_dialogmote"
    if is_date(reply) and is_date(held) and reply >= held:
        yield src.problem((key, "svar_senast"), "sista svarsdag måste vara före mötesdagen")
    if is_date(sent) and is_date(reply) and reply < sent:
        yield src.problem((key, "svar_senast"), "sista svarsdag är före kallelsens datum")
    if is_date(sent) and is_date(held) and held <= sent:
        yield src.problem((key, "mote", "datum"), "mötet måste vara efter kallelsens datum")
    start, end = meeting.get("start"), meeting.get("slut")
    if isinstance(start, str) and isinstance(end, str) and end.replace(".", ":") <= start.replace(".", ":"):
        yield src.problem((key, "mote", "slut"), "mötet slutar innan det börjar")
    place = meeting.get("plats") or {}
    if place.get("typ") == "lokal" and not place.get("lokal"):
        yield src.problem((key, "mote", "plats", "lokal"), "ange vilken av regionens lokaler mötet hålls i")
    if place.get("typ") == "teams" and not place.get("anslutning"):
        yield src.problem((key, "mote", "plats", "anslutning"), "ange hur vårdgivaren ansluter till Teams-mötet")


def correction(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("anmodan_om_rattelse")
    if not isinstance(doc, dict):
        return
    key = "anmodan_om_rattelse"
    decided_by = _get(doc, "beslut", "beslutsfattare")
    if isinstance(decided_by, str) and decided_by != "teamet":
        yield src.problem((key, "beslut", "beslutsfattare"), "anmodan om rättelse beslutas av teamet (handboken kap. 4, steg 3a); skriv 'teamet'")
    consulted, decided = _get(doc, "samrad_jurist", "datum"), _get(doc, "beslut", "datum")
    if is_date(consulted) and is_date(decided) and consulted > decided:
        yield src.problem((key, "samrad_jurist", "datum"), "samrådet med regionjuristen ska ske före beslutet")
    if is_date(doc.get("datum")) and is_date(doc.get("rattelse_senast")) and doc["rattelse_senast"] <= doc["datum"]:
        yield src.problem((key, "rattelse_senast"), "sista dag för rättelse måste vara efter anmodans datum")
    if "presidiet_informerat" not in doc:
        yield src.problem((key,), "anmodan ska återrapporteras till presidiet i ansvarig nämnd eller styrelse; "
                          "ange 'presidiet_informerat' när det skett", warning=True)


def control_plan(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("kontrollplan")
    if not isinstance(doc, dict):
        return
    key = "kontrollplan"
    board_id = _get(doc, "namndbeslut", "namnd")
    if isinstance(board_id, str) and board(profile, board_id) is None:
        known = ", ".join(b["id"] for b in profile.get("namnder", []))
        yield src.problem((key, "namndbeslut", "namnd"), f"nämnden '{board_id}' finns inte i organisationsprofilen (kända: {known})")
    start, end = _get(doc, "period", "fran"), _get(doc, "period", "till")
    if is_date(start) and is_date(end):
        if end <= start:
            yield src.problem((key, "period", "till"), "kontrollperioden slutar innan den börjar")
        for index, point in enumerate(doc.get("kontrollpunkter") or []):
            for n, when in enumerate(point.get("datum") or [] if isinstance(point, dict) else []):
                if is_date(when) and not start <= when <= end:
                    yield src.problem((key, "kontrollpunkter", index, "datum", n), "kontrolldatumet ligger utanför kontrollperioden", warning=True)
    decided = _get(doc, "namndbeslut", "datum")
    if is_date(decided) and is_date(doc.get("datum")) and decided > doc["datum"]:
        yield src.problem((key, "namndbeslut", "datum"), "nämndens beslut är daterat efter kontrollplanen; planen gäller först när den fastställts")


def assignment(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("uppdragshandling")
    if not isinstance(doc, dict):
        return
    key = "uppdragshandling"
    if isinstance(doc.get("faststalld"), dict):
        if not _get(data, "personer", "avdelningschef"):
            yield src.problem(("personer",), "uppdragshandlingen fastställs av avdelningschefen; lägg till 'avdelningschef' under personer")
        if "presidiet_informerat" not in doc:
            yield src.problem((key,), "presidiet i ansvarig nämnd ska informeras när fördjupad uppföljning startat; ange 'presidiet_informerat'", warning=True)
    for index, row in enumerate(doc.get("tidsplan") or []):
        if isinstance(row, dict) and is_date(row.get("fran")) and is_date(row.get("klart")) and row["klart"] < row["fran"]:
            yield src.problem((key, "tidsplan", index, "klart"), "aktiviteten ska vara klar efter att den börjat")


def handover(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("overlamning")
    if isinstance(doc, dict) and doc.get("bradskande") and not doc.get("bradskande_motivering"):
        yield src.problem(("overlamning", "bradskande_motivering"), "ett brådskande ärende behöver en motivering")


def final_report(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("slutrapport")
    steps = data.get("eskalering") or []
    if isinstance(doc, dict) and doc.get("utfall") == "havning" and not any(isinstance(s, dict) and s.get("steg") == "5" for s in steps):
        yield src.problem(("slutrapport", "utfall"), "hävning beslutas av nämnd (steg 5), men eskaleringen har inget steg 5", warning=True)


RULES: list[Rule] = [contract, deviations, escalation, call_in, correction, control_plan, assignment, handover, final_report]


def check(data: dict[str, Any], src: Source, profile: dict[str, Any], malformed: bool = False) -> list[Problem]:
    """Every rule's problems. With `malformed` (the schema already found errors) a rule that trips
    over a wrongly typed value is skipped: that value has its own schema error already."""
    problems: list[Problem] = []
    for rule in RULES:
        try:
            problems.extend(rule(data, src, profile))
        except (AttributeError, TypeError, KeyError, ValueError):
            if not malformed:
                raise
    return problems


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
