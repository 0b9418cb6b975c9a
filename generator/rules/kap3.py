"""Rules of the in-depth follow-up documents (handbook kap. 3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from .common import Rule, check_decision, get
from .letters import check_tjansteskrivelse

_TIME = re.compile(r"\d{2}[.:]\d{2}")  # a time the schema accepted (and wrote with two digits for the hour)


def handover(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("overlamning")
    if isinstance(doc, dict) and doc.get("bradskande") and not doc.get("bradskande_motivering"):
        yield src.problem(("overlamning", "bradskande_motivering"), "ett brådskande ärende behöver en motivering")


def assignment(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("uppdragshandling")
    if not isinstance(doc, dict):
        return
    key = "uppdragshandling"
    if isinstance(doc.get("faststalld"), dict):
        yield from check_decision("fordjupad_uppfoljning", data, (key, "faststalld"), src, profile)
        if "presidiet_informerat" not in doc:
            yield src.problem((key,), "presidiet i ansvarig nämnd ska informeras när fördjupad uppföljning startat; ange 'presidiet_informerat'", warning=True)
    for index, row in enumerate(doc.get("tidsplan") or []):
        if isinstance(row, dict) and is_date(row.get("fran")) and is_date(row.get("klart")) and row["klart"] < row["fran"]:
            yield src.problem((key, "tidsplan", index, "klart"), "aktiviteten ska vara klar efter att den börjat")


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
    if isinstance(start, str) and isinstance(end, str) and _TIME.fullmatch(start) and _TIME.fullmatch(end) \
            and end.replace(".", ":") <= start.replace(".", ":"):
        yield src.problem((key, "mote", "slut"), "mötet slutar innan det börjar")
    # The letter says the review has shown deviations and lists those known when it is sent.
    known = [d for d in data.get("avvikelser") or [] if isinstance(d, dict) and is_date(d.get("upptackt"))
             and (not is_date(sent) or d["upptackt"] <= sent)]
    if is_date(sent) and not known:
        yield src.problem((key,), "kallelsen går igenom ärendets avvikelser, men ingen avvikelse under 'avvikelser' var upptäckt "
                          f"senast kallelsens datum ({sent.isoformat()}); lägg till avvikelserna (med upptackt) innan kallelsen skickas")
    place = meeting.get("plats") or {}
    if place.get("typ") == "lokal" and not place.get("lokal"):
        yield src.problem((key, "mote", "plats", "lokal"), "ange vilken av regionens lokaler mötet hålls i")
    if place.get("typ") == "teams" and not place.get("anslutning"):
        yield src.problem((key, "mote", "plats", "anslutning"), "ange hur vårdgivaren ansluter till Teams-mötet")


def final_report(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    yield from check_tjansteskrivelse(data, "slutrapport", src, profile)
    doc = data.get("slutrapport")
    written, started = get(doc, "datum") if isinstance(doc, dict) else None, get(data, "arende", "startdatum")
    if is_date(written) and is_date(started) and written < started:
        yield src.problem(("slutrapport", "datum"), f"slutrapporten är daterad före ärendets start (arende.startdatum {started.isoformat()})")
    if is_date(written):
        # The report presents every step and deviation of the case as already there.
        for index, step in enumerate(data.get("eskalering") or []):
            if isinstance(step, dict) and is_date(step.get("datum")) and step["datum"] > written:
                yield src.problem(("eskalering", index, "datum"), f"steget är daterat efter slutrapporten ({written.isoformat()}), "
                                  "som redovisar det som vidtaget; rätta datumet eller slutrapportens datum")
        for index, item in enumerate(data.get("avvikelser") or []):
            if isinstance(item, dict) and is_date(item.get("upptackt")) and item["upptackt"] > written:
                yield src.problem(("avvikelser", index, "upptackt"), f"avvikelsen upptäcktes efter slutrapportens datum "
                                  f"({written.isoformat()}), som redovisar den; rätta datumet eller slutrapportens datum")
    steps = data.get("eskalering") or []
    if isinstance(doc, dict) and doc.get("utfall") == "havning" and not any(isinstance(s, dict) and s.get("steg") == "5" for s in steps):
        yield src.problem(("slutrapport", "utfall"), "hävning beslutas av nämnd (steg 5), men eskaleringen har inget steg 5", warning=True)


RULES: list[Rule] = [handover, assignment, call_in, final_report]
