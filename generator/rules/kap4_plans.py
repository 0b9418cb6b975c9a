"""Rules of the measures a routine case takes first (handbook kap. 4, steps 2a, 2b and 3): the
request for an action plan, its follow-up and the action strategy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..formatting import long_date
from .common import Rule, check_decision, check_mandate, get
from .kap4 import check_decided, check_step, decided_before_letter, rows, same_as

# The handbook: the plan's deadline is set by the deviation's nature, normally within 1–6 months.
NORMAL_MONTHS = (1, 6)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved `months` calendar months on (the 31st becomes the month's last day)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (following - dt.timedelta(days=1)).day))


def action_plan_request(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "begaran_handlingsplan"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decision("handlingsplan", data, (key, "beslut"), src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    yield from check_step(data, key, "2a", src)
    sent, submit, deadline = doc.get("datum"), doc.get("inlamning_senast"), doc.get("genomford_senast")
    if is_date(sent) and is_date(submit) and submit <= sent:
        yield src.problem((key, "inlamning_senast"), "sista dag för att lämna handlingsplanen måste vara efter brevets datum")
    if is_date(sent) and is_date(deadline):
        low, high = (add_months(sent, n) for n in NORMAL_MONTHS)
        if deadline <= sent:
            yield src.problem((key, "genomford_senast"), "handlingsplanens deadline måste vara efter brevets datum")
        elif not low <= deadline <= high:
            yield src.problem((key, "genomford_senast"), f"handlingsplanens deadline ({long_date(deadline)}) ligger utanför 1–6 "
                              f"månader från brevet ({long_date(sent)}), som handboken anger som normalt; kontrollera att "
                              "tidsramen passar avvikelsens art", warning=True)
    if is_date(submit) and is_date(deadline) and deadline < submit:
        yield src.problem((key, "genomford_senast"), "handlingsplanens deadline är före sista dag för att lämna planen")
    follow_up = get(doc, "uppfoljning", "datum")
    if is_date(follow_up) and is_date(deadline) and follow_up < deadline:
        yield src.problem((key, "uppfoljning", "datum"), "uppföljningen är planerad före handlingsplanens deadline; handboken: "
                          "handlingsplanen följs upp vid eller i anslutning till deadline", warning=True)


def action_plan_follow_up(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "uppfoljning_handlingsplan"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decision("2b", data, (key, "beslut"), src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    yield from check_step(data, key, "2b", src)
    sent, asked, deadline, arrived = doc.get("datum"), doc.get("begaran_datum"), doc.get("deadline"), doc.get("inkom")
    if is_date(asked) and is_date(sent) and asked >= sent:
        yield src.problem((key, "begaran_datum"), "begäran om handlingsplan måste vara före uppföljningen")
    if is_date(asked) and is_date(deadline) and deadline <= asked:
        yield src.problem((key, "deadline"), "handlingsplanens deadline måste vara efter begäran")
    if is_date(arrived) and is_date(asked) and arrived < asked:
        yield src.problem((key, "inkom"), "handlingsplanen kan inte ha kommit in före begäran")
    if is_date(arrived) and is_date(sent) and arrived > sent:
        yield src.problem((key, "inkom"), "handlingsplanen kom in efter uppföljningens datum")
    if is_date(sent) and is_date(deadline) and sent < deadline:
        yield src.problem((key, "datum"), f"uppföljningen görs före handlingsplanens deadline ({long_date(deadline)}); handboken: "
                          "handlingsplanen följs upp vid eller i anslutning till deadline", warning=True)
    request = data.get("begaran_handlingsplan")
    requested = request.get("avvikelser") if isinstance(request, dict) else None
    if isinstance(request, dict):
        yield from same_as(asked, request.get("datum"), (key, "begaran_datum"), "begaran_handlingsplan.datum", src)
        yield from same_as(deadline, request.get("genomford_senast"), (key, "deadline"), "begaran_handlingsplan.genomford_senast", src)
    seen: set[str] = set()
    for index, point in rows(doc, "punkter"):
        deviation = point.get("avvikelse")
        if not isinstance(deviation, str):
            continue
        if deviation in seen:
            yield src.problem((key, "punkter", index, "avvikelse"), f"avvikelsen '{deviation}' följs upp två gånger; en rad per avvikelse")
        seen.add(deviation)
        if isinstance(requested, list) and deviation not in requested:
            yield src.problem((key, "punkter", index, "avvikelse"), f"avvikelsen '{deviation}' fanns inte med i begäran om "
                              f"handlingsplan ({', '.join(map(str, requested))})", warning=True)


def action_strategy(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "atgardsstrategi"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decided("3", data, key, src, profile)
    yield from check_step(data, key, "3", src)
    decided = get(doc, "beslut", "datum")
    for index, measure in rows(doc, "atgarder"):
        kind, by = measure.get("typ"), measure.get("beslutas_av")
        if isinstance(kind, str) and by is not None:
            yield from check_mandate(kind, by, (key, "atgarder", index, "beslutas_av"), src, profile)
        when = measure.get("senast")
        if is_date(when) and is_date(decided) and when < decided:
            yield src.problem((key, "atgarder", index, "senast"), "åtgärden ska vara klar före beslutet om strategin", warning=True)
    for index, item in rows(doc, "information"):
        if is_date(item.get("datum")) and is_date(decided) and item["datum"] < decided:
            yield src.problem((key, "information", index, "datum"), "informationen om strategin är daterad före beslutet om den", warning=True)


RULES: list[Rule] = [action_plan_request, action_plan_follow_up, action_strategy]
