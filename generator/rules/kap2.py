"""Rules of routine follow-up (handbook kap. 2): the documents of a routine case and of a team file.

The review status (`granskning`, schema/definitioner.yaml) is checked in every section that has
one: the handbook (2.3) says a report or meeting notes to the provider are filed only after the
provider approved the content, so a document marked diarieförd without an approval date is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..organisation import ROLE_NAMES, role_text
from .common import Rule, get

APPROVED = ("godkand", "diarieford")


def review_status(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """utkast → för granskning → godkänd → diarieförd, in that order and with its dates."""
    for key, section in data.items():
        review = section.get("granskning") if isinstance(section, dict) else None
        if not isinstance(review, dict):
            continue
        at = (key, "granskning")
        status, sent, approved, filed = review.get("status"), review.get("skickad"), review.get("godkand"), review.get("diarieford")
        if status == "diarieford" and not is_date(approved):
            yield src.problem((*at, "status"), "dokumentet är markerat som diariefört men saknar datum för vårdgivarens godkännande; "
                              "handboken (2.3) säger att återrapporteringen diarieförs först när vårdgivaren har godkänt "
                              "innehållet. Ange granskning.godkand eller ändra status")
        elif status == "godkand" and not is_date(approved):
            yield src.problem((*at, "status"), "status godkand behöver datumet då vårdgivaren godkände innehållet (granskning.godkand)")
        elif status in ("utkast", "for_granskning") and is_date(approved):
            yield src.problem((*at, "status"), f"vårdgivaren har godkänt innehållet ({approved.isoformat()}) men status är "
                              f"fortfarande {status}; ändra status till godkand eller diarieford", warning=True)
        if status == "diarieford" and not is_date(filed):
            yield src.problem((*at, "diarieford"), "ange datumet då dokumentet diariefördes", warning=True)
        if is_date(approved) and is_date(filed) and filed < approved:
            yield src.problem((*at, "diarieford"), "dokumentet kan inte diarieföras före vårdgivarens godkännande "
                              f"({approved.isoformat()}); diarieför det först när innehållet är godkänt")
        if is_date(sent) and is_date(approved) and approved < sent:
            yield src.problem((*at, "godkand"), f"godkännandet är daterat före dagen då dokumentet skickades för granskning ({sent.isoformat()})")


def report_to_provider(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "aterrapport_vardgivare"
    doc = data.get(key)
    if isinstance(doc, dict) and doc.get("typ") == "motesanteckning" and not isinstance(doc.get("mote"), dict):
        yield src.problem((key, "typ"), "en mötesanteckning anger uppföljningsmötet: fyll i mote med datum och deltagare")


def follow_up_plan(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "uppfoljningsplan_avtal"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    start, end = get(doc, "period", "fran"), get(doc, "period", "till")
    if is_date(start) and is_date(end) and end < start:
        yield src.problem((key, "period", "till"), "planens period slutar före den börjar")
        return
    for index, activity in enumerate(doc.get("aktiviteter") or []):
        due = activity.get("senast") if isinstance(activity, dict) else None
        if is_date(due) and is_date(start) and is_date(end) and not start <= due <= end:
            yield src.problem((key, "aktiviteter", index, "senast"), f"datumet ligger utanför planens period ({start.isoformat()}–{end.isoformat()})",
                              warning=True)


def indication(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """The routine for an indication of a deviation (handbook 2.2): dates in order, an immediate
    contact when the deviation is serious, a date to watch until, and a decider who is named."""
    key = "indikation"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    for index, item in enumerate(doc.get("indikationer") or []):
        if not isinstance(item, dict):
            continue
        at = (key, "indikationer", index)
        received = item.get("inkom")
        decision: dict[str, Any] = item["beslut"] if isinstance(item.get("beslut"), dict) else {}
        contact = get(item, "handlaggning", "kontakt_vardgivare")
        if is_date(received) and is_date(decision.get("datum")) and decision["datum"] < received:
            yield src.problem((*at, "beslut", "datum"), f"beslutet är daterat före dagen då indikationen kom in ({received.isoformat()})")
        if is_date(received) and isinstance(contact, dict) and is_date(contact.get("datum")) and contact["datum"] < received:
            yield src.problem((*at, "handlaggning", "kontakt_vardgivare", "datum"),
                              f"kontakten är daterad före dagen då indikationen kom in ({received.isoformat()})")
        if item.get("allvarlighet") == "allvarlig" and not isinstance(contact, dict):
            yield src.problem((*at, "handlaggning"), "vid en indikation om allvarlig avvikelse tas kontakt med vårdgivaren omedelbart "
                              "(handboken 2.2); ange handlaggning.kontakt_vardgivare", warning=True)
        if decision.get("utfall") == "bevakning":
            watch = decision.get("bevakas_till")
            if not is_date(watch):
                yield src.problem((*at, "beslut", "utfall"), "ange till när ärendet bevakas (beslut.bevakas_till)", warning=True)
            elif is_date(decision.get("datum")) and watch <= decision["datum"]:
                yield src.problem((*at, "beslut", "bevakas_till"), "bevakningen ska sluta efter beslutet")
        decided_by = decision.get("beslutsfattare")
        if isinstance(decided_by, str) and decided_by in ROLE_NAMES and decided_by not in ("teamet", "namnd") and not get(data, "personer", decided_by):
            yield src.problem((*at, "beslut", "beslutsfattare"), f"beslutet fattas av {role_text(decided_by)}, men '{decided_by}' finns inte "
                              "under personer; lägg till namn och titel där")


def dialogue_agenda(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "agenda_uppfoljningsdialog"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    meeting, sent = get(doc, "mote", "datum"), doc.get("datum")
    if is_date(meeting) and is_date(sent) and sent > meeting:
        yield src.problem((key, "datum"), "agendan är daterad efter dialogen; den skickas till vårdgivaren före mötet", warning=True)
    supplements = get(doc, "nasta_steg", "kompletteringar_senast")
    if is_date(meeting) and is_date(supplements) and supplements < meeting:
        yield src.problem((key, "nasta_steg", "kompletteringar_senast"), "kompletteringar lämnas efter dialogen, inte före")


def new_provider_checklist(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "checklista_ny_vardgivare"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    for index, point in enumerate(doc.get("kontrollpunkter") or []):
        if isinstance(point, dict) and point.get("status") in ("delvis", "ej_uppfylld") and not point.get("kommentar"):
            yield src.problem((key, "kontrollpunkter", index, "kommentar"), "en kontrollpunkt som inte är uppfylld behöver en kommentar: "
                              "vad som saknas och hur det följs upp")


def data_orders(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """A team file's data orders have distinct ids; a focus area refers only to orders that exist."""
    orders = get(data, "datauttag", "bestallningar")
    known: dict[str, int] = {}
    for index, order in enumerate(orders if isinstance(orders, list) else []):
        ident = order.get("id") if isinstance(order, dict) else None
        if isinstance(ident, str):
            if ident in known:
                yield src.problem(("datauttag", "bestallningar", index, "id"), f"datauttaget '{ident}' finns redan; varje datauttag behöver ett eget id")
            known.setdefault(ident, index)
        if isinstance(order, dict) and order.get("typ") == "regelbunden" and not isinstance(order.get("kontroll"), dict):
            yield src.problem(("datauttag", "bestallningar", index, "typ"), "kontrollera att den regelbundna beställningen är uppdaterad "
                              "och aktiv, och ange det under kontroll", warning=True)
    for index, area in enumerate(get(data, "fokusomrade", "omraden") or []):
        refs = area.get("datauttag") if isinstance(area, dict) else None
        for number, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, str) and ref not in known:
                listed = ", ".join(known) or "inga"
                yield src.problem(("fokusomrade", "omraden", index, "datauttag", number),
                                  f"datauttaget '{ref}' finns inte under datauttag.bestallningar (finns: {listed})")


RULES: list[Rule] = [review_status, report_to_provider, follow_up_plan, indication, dialogue_agenda, new_provider_checklist, data_orders]
