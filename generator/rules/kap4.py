"""Rules of the measures (handbook kap. 4): the documents of the escalation ladder's steps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from .common import Rule, check_decision, get


def correction(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("anmodan_om_rattelse")
    if not isinstance(doc, dict):
        return
    key = "anmodan_om_rattelse"
    yield from check_decision("anmodan", data, (key, "beslut"), src, profile)
    consulted, decided = get(doc, "samrad_jurist", "datum"), get(doc, "beslut", "datum")
    if is_date(consulted) and is_date(decided) and consulted > decided:
        yield src.problem((key, "samrad_jurist", "datum"), "samrådet med regionjuristen ska ske före beslutet")
    if is_date(doc.get("datum")) and is_date(doc.get("rattelse_senast")) and doc["rattelse_senast"] <= doc["datum"]:
        yield src.problem((key, "rattelse_senast"), "sista dag för rättelse måste vara efter anmodans datum")
    chosen = doc.get("avvikelser") if isinstance(doc.get("avvikelser"), list) else []
    for index, record in enumerate(doc.get("journalposter") or []):
        if isinstance(record, dict) and bool(record.get("personnummer")) == bool(record.get("reservnummer")):
            yield src.problem((key, "journalposter", index), "ange patientens personnummer (eller samordningsnummer) "
                              "eller reservnummer, ett av dem, så att vårdgivaren hittar journalen")
        deviation = record.get("avvikelse") if isinstance(record, dict) else None
        if isinstance(deviation, str) and chosen and deviation not in chosen:
            yield src.problem((key, "journalposter", index, "avvikelse"), f"avvikelsen '{deviation}' är inte en av anmodans "
                              f"avvikelser ({', '.join(map(str, chosen))}); journalposten hör inte till den här anmodan")
    if "presidiet_informerat" not in doc:
        yield src.problem((key,), "anmodan ska återrapporteras till presidiet i ansvarig nämnd eller styrelse; "
                          "ange 'presidiet_informerat' när det skett", warning=True)


def control_plan(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get("kontrollplan")
    if not isinstance(doc, dict):
        return
    key = "kontrollplan"
    yield from check_decision("kontrollplan", data, (key, "namndbeslut"), src, profile)
    start, end = get(doc, "period", "fran"), get(doc, "period", "till")
    if is_date(start) and is_date(end):
        if end <= start:
            yield src.problem((key, "period", "till"), "kontrollperioden slutar innan den börjar")
        for index, point in enumerate(doc.get("kontrollpunkter") or []):
            for n, when in enumerate(point.get("datum") or [] if isinstance(point, dict) else []):
                if is_date(when) and not start <= when <= end:
                    yield src.problem((key, "kontrollpunkter", index, "datum", n), "kontrolldatumet ligger utanför kontrollperioden", warning=True)
    decided = get(doc, "namndbeslut", "datum")
    if is_date(decided) and is_date(doc.get("datum")) and decided > doc["datum"]:
        yield src.problem((key, "namndbeslut", "datum"), "nämndens beslut är daterat efter kontrollplanen; planen gäller först när den fastställts")


RULES: list[Rule] = [correction, control_plan]
