"""Rules of the in-depth follow-up documents (handbook kap. 3), one function per document."""

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
    # The letter says the review has shown deviations and lists those known when it is sent.
    known = [d for d in data.get("avvikelser") or [] if isinstance(d, dict) and is_date(d.get("upptackt"))
             and (not is_date(sent) or d["upptackt"] <= sent)]
    if is_date(sent) and not known:
        yield src.problem((key,), "kallelsen går igenom ärendets avvikelser, men ingen avvikelse under 'avvikelser' var upptäckt "
                          f"senast kallelsens datum ({sent.isoformat()}); lägg till avvikelserna (med upptackt) innan kallelsen skickas")
    yield from _meeting(meeting, (key, "mote"), src)


def _meeting(meeting: Any, path: tuple[str, ...], src: Source) -> Iterator[Problem]:
    """A dialogue meeting's time and place (the call-in's and the agenda's)."""
    if not isinstance(meeting, dict):
        return
    start, end = meeting.get("start"), meeting.get("slut")
    if isinstance(start, str) and isinstance(end, str) and _TIME.fullmatch(start) and _TIME.fullmatch(end) \
            and end.replace(".", ":") <= start.replace(".", ":"):
        yield src.problem((*path, "slut"), "mötet slutar innan det börjar")
    place = meeting.get("plats") or {}
    if place.get("typ") == "lokal" and not place.get("lokal"):
        yield src.problem((*path, "plats", "lokal"), "ange vilken av regionens lokaler mötet hålls i")
    if place.get("typ") == "teams" and not place.get("anslutning"):
        yield src.problem((*path, "plats", "anslutning"), "ange hur vårdgivaren ansluter till Teams-mötet")


def final_report(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    yield from check_tjansteskrivelse(data, "slutrapport", src, profile)
    doc = data.get("slutrapport")
    if not isinstance(doc, dict):
        return
    written, started = doc.get("datum"), get(data, "arende", "startdatum")
    if is_date(written) and is_date(started) and written < started:
        yield src.problem(("slutrapport", "datum"), f"slutrapporten är daterad före ärendets start (arende.startdatum {started.isoformat()})")
    if doc.get("utfall") == "havning" and not _has_step(data, "5"):
        yield src.problem(("slutrapport", "utfall"), "hävning beslutas av nämnd (steg 5), men eskaleringen har inget steg 5", warning=True)
    yield from _communicated(doc, src)


def _communicated(doc: dict[str, Any], src: Source) -> Iterator[Problem]:
    """SKL: the report is communicated with the provider, who may comment on it and explain the
    findings, before it goes to the board (and is registered). A report marked sent to the board
    without that step, or a recorded reason for leaving it out, is refused."""
    key = "slutrapport"
    comm = _dict(doc.get("kommunicering"))
    sent, asked, due, received = doc.get("skickad_till_namnd"), comm.get("begard"), comm.get("svar_senast"), comm.get("inkom")
    if sent and not asked and not comm.get("skal"):
        yield src.problem((key, "skickad_till_namnd"), "slutrapporten kommuniceras med vårdgivaren, som får lämna synpunkter, innan den går "
                          "till nämnden; ange dagen synpunkterna begärdes (kommunicering.begard) eller skälet till att rapporten "
                          "inte kommuniceras (kommunicering.skal)")
    if is_date(sent) and is_date(asked) and asked > sent:
        yield src.problem((key, "kommunicering", "begard"), "synpunkterna begärdes efter att rapporten skickades till nämnden; "
                          "vårdgivaren får rapporten först")
    if is_date(asked) and is_date(due) and due < asked:
        yield src.problem((key, "kommunicering", "svar_senast"), "sista dag för synpunkter är före dagen de begärdes")
    if is_date(asked) and is_date(received) and received < asked:
        yield src.problem((key, "kommunicering", "inkom"), "synpunkterna kan inte ha inkommit innan de begärdes")
    if received and not doc.get("vardgivarens_synpunkter"):
        yield src.problem((key, "vardgivarens_synpunkter"), "vårdgivarens synpunkter har inkommit (kommunicering.inkom); återge dem här")
    if is_date(sent) and is_date(due) and sent < due and not received:
        yield src.problem((key, "skickad_till_namnd"), "rapporten skickades till nämnden innan vårdgivarens tid för synpunkter gått ut "
                          "(kommunicering.svar_senast), och inga synpunkter har inkommit", warning=True)


def _has_step(data: dict[str, Any], level: str) -> bool:
    return any(isinstance(s, dict) and s.get("steg") == level for s in data.get("eskalering") or [])


def _section(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    doc = data.get(key)
    return doc if isinstance(doc, dict) else None


def _dict(value: Any) -> dict[str, Any]:
    """A group of fields, or an empty one where the data has something else (rules run on unchecked data)."""
    return value if isinstance(value, dict) else {}


def case_review(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """The minutes of the case review: the decision taken, or what is still needed for one."""
    key = "protokoll_arendegenomgang"
    doc = _section(data, key)
    if doc is None:
        return
    decision = _dict(doc.get("beslut"))
    if decision.get("fattat") is True and not decision.get("text"):
        yield src.problem((key, "beslut", "text"), "ange beslutet som fattades vid mötet")
    if decision.get("fattat") is False and not decision.get("behovs"):
        yield src.problem((key, "beslut", "behovs"), "beslut fattades inte vid mötet; ange vad som behövs innan beslut kan fattas")
    held, sent = doc.get("datum"), doc.get("skickat")
    if is_date(held) and is_date(sent) and sent < held:
        yield src.problem((key, "skickat"), "protokollet kan inte ha skickats före mötet")
    reviews = [m["datum"] for m in data.get("moten") or [] if isinstance(m, dict) and m.get("typ") == "arendegenomgang" and is_date(m.get("datum"))]
    if is_date(held) and reviews and held not in reviews:
        listed = ", ".join(d.isoformat() for d in reviews)
        yield src.problem((key, "datum"), f"ärendets möten (moten) har ärendegenomgång {listed}, inte {held.isoformat()}; kontrollera datumet", warning=True)


def prioritisation(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """The decision support (handbook 3.1): a motivated case that is not prioritised goes on the
    waiting list, and someone named keeps watch over it."""
    key = "prioritering"
    doc = _section(data, key)
    if doc is None:
        return
    support = _dict(doc.get("beslutsstod"))
    motivated, prioritised = support.get("motiverat"), support.get("prioriterat")
    watch = doc.get("bevakning")
    if motivated is False and prioritised is True:
        yield src.problem((key, "beslutsstod", "prioriterat"), "fördjupad uppföljning är inte motiverad, och då kan ärendet inte vara "
                          "prioriterat; ange prioriterat: false")
    if motivated is True and prioritised is False:
        if watch is None:
            yield src.problem((key, "bevakning"), "ärendet är motiverat men inte prioriterat och placeras på väntelistan; ange den "
                              "namngivna bevakare som ansvarar för att det fortsatt bevakas (bevakning.bevakare med namn och roll)")
        elif isinstance(watch, dict) and watch.get("bevakare") and not watch.get("ny_bedomning"):
            yield src.problem((key, "bevakning"), "ange när ärendet på väntelistan bedöms på nytt (bevakning.ny_bedomning)", warning=True)
    elif isinstance(watch, dict):
        yield src.problem((key, "bevakning"), "bevakning gäller bara ett ärende på väntelistan (motiverat men inte prioriterat); "
                          "den står inte i dokumentet", warning=True)
    when, again = doc.get("datum"), watch.get("ny_bedomning") if isinstance(watch, dict) else None
    if is_date(when) and is_date(again) and again <= when:
        yield src.problem((key, "bevakning", "ny_bedomning"), "den nya bedömningen ska vara efter prioriteringens datum")


def basic_investigation(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "grundutredning"
    doc = _section(data, key)
    if doc is None or not is_date(doc.get("datum")) or not isinstance(doc.get("omraden"), dict):
        return
    for area, content in doc["omraden"].items():
        for index, source in enumerate(content.get("kallor") or [] if isinstance(content, dict) else []):
            fetched = source.get("hamtad") if isinstance(source, dict) else None
            if is_date(fetched) and fetched > doc["datum"]:
                yield src.problem((key, "omraden", area, "kallor", index, "hamtad"),
                                  f"uppgifterna kan inte ha hämtats efter att grundutredningen blev klar ({doc['datum'].isoformat()})")


def review_plan(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "planeringsunderlag"
    doc = _section(data, key)
    if doc is None:
        return
    plan = _dict(doc.get("tidplan"))
    if is_date(plan.get("start")) and is_date(plan.get("klart")) and plan["klart"] < plan["start"]:
        yield src.problem((key, "tidplan", "klart"), "granskningen ska vara klar efter att den påbörjats")
    external = _dict(_dict(doc.get("bakgrund")).get("externa_granskare"))
    if external.get("behovs") is True and not external.get("vilka"):
        yield src.problem((key, "bakgrund", "externa_granskare", "vilka"), "externa granskare behövs; ange vilka som kopplas in")


def review_log(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "granskningslogg"
    doc = _section(data, key)
    if doc is None or not is_date(doc.get("datum")):
        return
    for index, entry in enumerate(doc.get("poster") or []):
        when = entry.get("datum") if isinstance(entry, dict) else None
        if is_date(when) and when > doc["datum"]:
            yield src.problem((key, "poster", index, "datum"), f"posten är daterad efter loggens datum ({doc['datum'].isoformat()}); "
                              "ange dagen loggen senast fördes i granskningslogg.datum")


def meeting_agenda(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """The agenda gives the meeting's time and place, or takes the call-in's."""
    key = "agenda_dialogmote"
    doc = _section(data, key)
    if doc is None:
        return
    own = doc.get("mote") if isinstance(doc.get("mote"), dict) else None
    call_in_meeting = _dict(data.get("kallelse_dialogmote")).get("mote")
    if own is None and not isinstance(call_in_meeting, dict):
        yield src.problem((key, "mote"), "ange mötets tid och plats (agenda_dialogmote.mote), eller fyll i kallelsen (kallelse_dialogmote)")
    yield from _meeting(own, (key, "mote"), src)
    meeting = own or call_in_meeting
    held = meeting.get("datum") if isinstance(meeting, dict) else None
    if is_date(doc.get("datum")) and is_date(held) and doc["datum"] > held:
        yield src.problem((key, "datum"), "agendan är daterad efter mötet")
    if own is not None and isinstance(call_in_meeting, dict) and is_date(own.get("datum")) and is_date(call_in_meeting.get("datum")) \
            and own["datum"] != call_in_meeting["datum"]:
        yield src.problem((key, "mote", "datum"), f"kallelsen anger mötesdagen {call_in_meeting['datum'].isoformat()}; "
                          "kontrollera vilken dag som gäller", warning=True)


def progress_report(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "lagesrapport"
    doc = _section(data, key)
    if doc is None:
        return
    if doc.get("mottagare", "namnd") == "namnd":
        yield from check_tjansteskrivelse(data, key, src, profile)
    when, previous, sitting = doc.get("datum"), doc.get("foregaende_rapport"), doc.get("sammantrade")
    if is_date(when) and is_date(previous) and previous >= when:
        yield src.problem((key, "foregaende_rapport"), "förra återrapporteringen ska vara före den här rapportens datum")
    if is_date(when) and is_date(sitting) and sitting < when:
        yield src.problem((key, "sammantrade"), "sammanträdet kan inte vara före rapportens datum")


def communication_plan(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """The plan is updated during the case: versions in date order, the document dated as the last."""
    key = "kommunikationsplan"
    doc = _section(data, key)
    if doc is None:
        return
    versions = [v for v in doc.get("versioner") or [] if isinstance(v, dict)]
    seen: set[str] = set()
    previous = None
    for index, version in enumerate(doc.get("versioner") or []):
        if not isinstance(version, dict):
            continue
        name, when = version.get("version"), version.get("datum")
        if isinstance(name, str):
            if name in seen:
                yield src.problem((key, "versioner", index, "version"), f"version {name} finns redan; ge varje version ett eget nummer")
            seen.add(name)
        if is_date(when) and previous is not None and when < previous:
            yield src.problem((key, "versioner", index, "datum"), "versionerna står i tidsordning; den sista är den gällande")
        previous = when if is_date(when) else previous
    last = versions[-1].get("datum") if versions else None
    if is_date(doc.get("datum")) and is_date(last) and doc["datum"] != last:
        yield src.problem((key, "datum"), f"planens datum är den gällande (sista) versionens datum, {last.isoformat()}")


def closing(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """A case closes by returning to routine follow-up or by termination, never while the final
    report says the in-depth follow-up goes on; a termination is the board's decision (step 5)."""
    key = "avslutad_fordjupad"
    doc = _section(data, key)
    if doc is None:
        return
    outcome, closed = doc.get("utfall"), doc.get("datum")
    report = _section(data, "slutrapport")
    if report is not None and isinstance(outcome, str) and report.get("utfall") not in (None, outcome):
        if report.get("utfall") == "fortsatt_fordjupad":
            message = "slutrapporten säger att den fördjupade uppföljningen fortsätter (slutrapport.utfall); ärendet kan inte avslutas"
        else:
            message = f"slutrapporten anger utfallet {report.get('utfall')} (slutrapport.utfall), inte {outcome}"
        yield src.problem((key, "utfall"), message)
    if outcome == "havning" and not _has_step(data, "5"):
        yield src.problem((key, "utfall"), "avtalet hävs genom beslut av nämnd eller styrelse (steg 5), men eskaleringen har inget steg 5")
    if is_date(closed) and is_date(doc.get("overlamnas")) and doc["overlamnas"] < closed:
        yield src.problem((key, "overlamnas"), "ansvaret kan inte lämnas över innan ärendet avslutas")
    later = [s for s in data.get("eskalering") or [] if isinstance(s, dict) and is_date(s.get("datum")) and is_date(closed) and s["datum"] > closed]
    if later:
        yield src.problem((key, "datum"), f"steg {later[0].get('steg')} i eskaleringen är daterat {later[0]['datum'].isoformat()}, "
                          "efter avslutet", warning=True)
    if outcome == "aterlamnas_lopande" and not doc.get("vardgivaren_informerad"):
        yield src.problem((key, "vardgivaren_informerad"), "vårdgivaren ska få veta att ansvaret återgår till den löpande "
                          "uppföljningen; ange när det skedde", warning=True)


RULES: list[Rule] = [handover, assignment, call_in, final_report, case_review, prioritisation, basic_investigation, review_plan,
                     review_log, meeting_agenda, progress_report, communication_plan, closing]
