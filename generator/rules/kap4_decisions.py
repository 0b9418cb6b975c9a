"""Rules of the measures' decision papers (handbook 3.3 and kap. 4, steps 3b, 4b and 5): the
decision on a measure with its konsekvensbeskrivning, the follow-up of a correction request, and
the two tjänsteskrivelser to the board (the control plan's follow-up, the tjänsteutlåtande)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..organisation import MEASURES, role_text
from .common import Rule, check_decision, check_mandate, get
from .kap4 import check_consultations, check_samrad, check_step, decided_before_letter, kronor, rows, same_as, total
from .letters import check_tjansteskrivelse

# The handbook (kap. 4): proposals for the board's measures are made "i samråd med jurist, ekonom
# och medicinska rådgivare".
BOARD_MEASURES = ("kontrollplan", "aterkrav", "sanktion_vite", "havning")
BOARD_ADVISERS = ("regionjurist", "ekonom", "medicinsk_radgivare")


def decision_on_measure(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "beslut_om_atgard"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    measure = doc.get("atgard")
    if isinstance(measure, str) and measure in MEASURES:
        yield from check_decision(measure, data, (key, "beslut"), src, profile)
        yield from check_consultations(measure, data, key, src, profile)
        considered = [item.get("atgard") for _, item in rows(doc, "forslag")]
        if measure not in considered:
            yield src.problem((key, "atgard"), f"beslutet gäller {MEASURES[measure].name}, men konsekvensbeskrivningen saknar "
                              "den; beskriv dess konsekvenser och prioritet under 'forslag'")
    yield from check_samrad(data, key, src)
    seen: set[str] = set()
    for index, item in rows(doc, "forslag"):
        kind = item.get("atgard")
        if isinstance(kind, str):
            if kind in seen:
                yield src.problem((key, "forslag", index, "atgard"), f"åtgärden '{kind}' står två gånger i konsekvensbeskrivningen")
            seen.add(kind)


def correction_follow_up(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "uppfoljning_anmodan"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decision("3b", data, (key, "beslut"), src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    yield from check_step(data, key, "3b", src)
    held, asked, last, arrived = doc.get("datum"), doc.get("anmodan_datum"), doc.get("rattelse_senast"), doc.get("redovisning_inkom")
    if is_date(asked) and is_date(last) and last <= asked:
        yield src.problem((key, "rattelse_senast"), "sista dag för rättelse måste vara efter anmodans datum")
    if is_date(held) and is_date(last) and held < last:
        yield src.problem((key, "datum"), f"uppföljningen görs före sista dag för rättelse; vårdgivaren har tid på sig till och med "
                          f"{last.isoformat()}", warning=True)
    if is_date(arrived) and is_date(asked) and arrived < asked:
        yield src.problem((key, "redovisning_inkom"), "redovisningen kan inte ha kommit in före anmodan")
    elif is_date(arrived) and is_date(last) and arrived > last:
        yield src.problem((key, "redovisning_inkom"), "redovisningen kom in efter sista dag för rättelse", warning=True)
    consulted, decided = get(doc, "jurist", "datum"), get(doc, "beslut", "datum")
    if is_date(consulted) and is_date(decided) and consulted > decided:
        yield src.problem((key, "jurist", "datum"), "uppföljningen med regionjuristen ska ske före beslutet")
    request = data.get("anmodan_om_rattelse")
    included = request.get("avvikelser") if isinstance(request, dict) else None
    if isinstance(request, dict):
        yield from same_as(asked, request.get("datum"), (key, "anmodan_datum"), "anmodan_om_rattelse.datum", src)
        yield from same_as(last, request.get("rattelse_senast"), (key, "rattelse_senast"), "anmodan_om_rattelse.rattelse_senast", src)
    open_ones: list[str] = []
    for index, point in rows(doc, "punkter"):
        deviation = point.get("avvikelse")
        if isinstance(included, list) and isinstance(deviation, str) and deviation not in included:
            yield src.problem((key, "punkter", index, "avvikelse"), f"avvikelsen '{deviation}' ingick inte i anmodan om rättelse "
                              f"({', '.join(map(str, included))})")
        if point.get("resultat") in ("delvis", "ej_rattad") and isinstance(deviation, str):
            open_ones.append(deviation)
    if open_ones and not rows(doc, "mojligheter"):
        yield src.problem((key, "mojligheter"), f"rättelse har inte skett för {', '.join(open_ones)}; handboken (kapitel 4, steg 3b): "
                          "undersök möjligheten till återkrav eller sanktion och ange den under 'mojligheter'")


def control_plan_follow_up(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "uppfoljning_kontrollplan"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_tjansteskrivelse(data, key, src, profile)
    yield from check_decision("kontrollplan", data, (key, "kontrollplan_beslut"), src, profile)
    # A tjänsteskrivelse to the board: the board must be the one that decides step 4b.
    yield from check_mandate("4b", "namnd", (key,), src, profile)
    yield from check_step(data, key, "4b", src)
    yield from _board_meeting(doc, key, src)
    written, start, end = doc.get("datum"), get(doc, "period", "fran"), get(doc, "period", "till")
    if is_date(start) and is_date(end) and end <= start:
        yield src.problem((key, "period", "till"), "kontrollperioden slutar innan den börjar")
    elif is_date(end) and is_date(written) and written < end:
        yield src.problem((key, "datum"), f"kontrollperioden pågår till och med {end.isoformat()}; en uppföljning före dess "
                          "redovisar ett ofullständigt resultat", warning=True)
    set_on = get(doc, "kontrollplan_beslut", "datum")
    if is_date(set_on) and is_date(start) and set_on > start:
        yield src.problem((key, "kontrollplan_beslut", "datum"), "kontrollplanen fastställdes efter att kontrollperioden började", warning=True)
    for index, point in rows(doc, "kontrollpunkter"):
        checks, met = point.get("kontroller"), point.get("uppfyllda")
        if isinstance(checks, int) and isinstance(met, int) and met > checks:
            yield src.problem((key, "kontrollpunkter", index, "uppfyllda"), f"fler uppfyllda kontroller ({met}) än kontroller ({checks})")
    plan = data.get("kontrollplan")
    if isinstance(plan, dict):
        decision = plan.get("namndbeslut")
        decision = decision if isinstance(decision, dict) else {}
        for field in ("namnd", "datum", "paragraf"):
            yield from same_as(get(doc, "kontrollplan_beslut", field), decision.get(field),
                               (key, "kontrollplan_beslut", field), f"kontrollplan.namndbeslut.{field}", src)
        for field in ("fran", "till"):
            yield from same_as(get(doc, "period", field), get(plan, "period", field), (key, "period", field), f"kontrollplan.period.{field}", src)
        assessed = {point.get("vad") for _, point in rows(doc, "kontrollpunkter")}
        for _, point in rows(plan, "kontrollpunkter"):
            if point.get("vad") not in assessed:
                yield src.problem((key, "kontrollpunkter"), f"kontrollpunkten '{point.get('vad')}' i kontrollplanen har ingen bedömning; "
                                  "bedöm varje kontrollpunkt (samma 'vad' som i kontrollplanen)", warning=True)


def official_report(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "tjansteutlatande"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_tjansteskrivelse(data, key, src, profile)
    yield from check_samrad(data, key, src)
    yield from check_step(data, key, "5", src)
    yield from _board_meeting(doc, key, src)
    proposed: set[str] = set()
    for index, item in rows(doc, "forslag_till_beslut"):
        kind, sum_proposed = item.get("atgard"), item.get("belopp")
        if not isinstance(kind, str) or kind not in MEASURES:
            continue
        proposed.add(kind)
        # Proposed to the board: the board must hold the mandate for it.
        yield from check_mandate(kind, "namnd", (key, "forslag_till_beslut", index, "atgard"), src, profile)
        letter = data.get(kind)
        if kind in ("aterkrav", "sanktion_vite") and isinstance(letter, dict) and isinstance(sum_proposed, int):
            field, count, price = ("grunder", "antal", "a_pris") if kind == "aterkrav" else ("poster", "antal", "a_belopp")
            decided = total(letter, field, count, price)
            if decided != sum_proposed:
                yield src.problem((key, "forslag_till_beslut", index, "belopp"), f"beloppet {kronor(sum_proposed)} stämmer inte med "
                                  f"{kind}.{field} i samma ärende (summa {kronor(decided)}); nämndens beslut och brevet ska ange samma belopp")
        elif kind in ("aterkrav", "sanktion_vite") and sum_proposed is None:
            yield src.problem((key, "forslag_till_beslut", index), f"ange beloppet som föreslås ({MEASURES[kind].name}) under 'belopp'")
    if proposed & set(BOARD_MEASURES):
        consulted = {entry.get("roll") for _, entry in rows(doc, "samrad")}
        missing = [role for role in BOARD_ADVISERS if role not in consulted]
        if missing:
            yield src.problem((key, "samrad"), "handboken (kapitel 4): förslag om nämndens åtgärder utformas i samråd med jurist, "
                              f"ekonom och medicinsk rådgivare; samrådet med {', '.join(role_text(r) for r in missing)} saknas "
                              "under 'samrad' (roll och datum)", warning=True)


def _board_meeting(doc: dict[str, Any], key: str, src: Source) -> Iterator[Problem]:
    written, meeting = doc.get("datum"), doc.get("sammantrade")
    if is_date(written) and is_date(meeting) and meeting < written:
        yield src.problem((key, "sammantrade"), "sammanträdet är före tjänsteskrivelsens datum")


RULES: list[Rule] = [decision_on_measure, correction_follow_up, control_plan_follow_up, official_report]
