"""Rules of the letters that carry the board's decisions (handbook kap. 4, step 5): återkrav,
sanktion och vite, hävning. Each states a decision of whoever holds the mandate (by default the
responsible board, with its paragraph), after that decision; amounts are computed from their rows
and agree with the case's deviations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..formatting import long_date
from .common import Rule, check_decision, get
from .kap4 import amount_rows, check_step, decided_before_letter, kronor, payment, row_amount, rows, total


def repayment(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "aterkrav"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decision("aterkrav", data, (key, "beslut"), src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    yield from check_step(data, key, "5", src)
    yield from amount_rows(doc, key, "grunder", "antal", "a_pris", src)
    yield from payment(doc, key, src)
    sent, objections, due = doc.get("datum"), doc.get("invandning_senast"), get(doc, "betalning", "senast")
    if is_date(objections) and is_date(sent) and objections <= sent:
        yield src.problem((key, "invandning_senast"), "sista dag för invändningar måste vara efter brevets datum")
    elif is_date(objections) and is_date(due) and get(doc, "betalning", "satt") == "faktura" and objections > due:
        yield src.problem((key, "invandning_senast"), "sista dag för invändningar är efter sista betalningsdag; vårdgivaren "
                          "behöver få svar på invändningar innan beloppet ska betalas", warning=True)
    # The grounds per deviation agree with the deviation's aterkrav_belopp, which the final report
    # and the annual report show: one amount, everywhere.
    per_deviation: dict[str, int] = defaultdict(int)
    for _, ground in rows(doc, "grunder"):
        if isinstance(ground.get("avvikelse"), str):
            per_deviation[ground["avvikelse"]] += row_amount(ground, "antal", "a_pris") or 0
    for index, deviation in enumerate(data.get("avvikelser") or []):
        ident = deviation.get("id") if isinstance(deviation, dict) else None
        if ident not in per_deviation:
            continue
        recorded = deviation.get("aterkrav_belopp")
        if isinstance(recorded, int) and recorded != per_deviation[ident]:
            yield src.problem(("avvikelser", index, "aterkrav_belopp"), f"avvikelsen {ident} anger återkrav {kronor(recorded)}, men "
                              f"grunderna i aterkrav summerar till {kronor(per_deviation[ident])}; rätta det ena så att brevet, "
                              "slutrapporten och årsrapporten visar samma belopp")
        elif recorded is None:
            yield src.problem(("avvikelser", index), f"ange aterkrav_belopp: {per_deviation[ident]} under avvikelsen {ident}, så att "
                              "slutrapporten och årsrapporten visar återkravet", warning=True)


def sanction(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "sanktion_vite"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decision("sanktion_vite", data, (key, "beslut"), src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    yield from check_step(data, key, "5", src)
    yield from amount_rows(doc, key, "poster", "antal", "a_belopp", src)
    yield from payment(doc, key, src)
    cap, summed = doc.get("tak"), total(doc, "poster", "antal", "a_belopp")
    if isinstance(cap, int) and summed > cap:
        yield src.problem((key, "tak"), f"summan {kronor(summed)} är högre än avtalets tak {kronor(cap)}; beloppet får inte överstiga taket")


def termination(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "havning"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    # The mandate (the board by default) and, for a board, its paragraph: a hävning without the
    # board's decision is never sent.
    yield from check_decision("havning", data, (key, "beslut"), src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    yield from check_step(data, key, "5", src)
    sent, ends, decided = doc.get("datum"), doc.get("upphor"), get(doc, "beslut", "datum")
    if is_date(ends) and is_date(decided) and ends < decided:
        yield src.problem((key, "upphor"), f"avtalet kan inte upphöra före beslutet om hävning ({long_date(decided)})")
    elif is_date(ends) and is_date(sent) and ends < sent:
        yield src.problem((key, "upphor"), f"avtalet kan inte hävas från en dag före brevet ({long_date(sent)})")
    handed = get(doc, "leverans", "datum")
    if is_date(handed) and is_date(sent) and handed < sent:
        yield src.problem((key, "leverans", "datum"), "brevet kan inte överlämnas före sitt datum")
    if is_date(handed) and is_date(ends) and handed > ends:
        yield src.problem((key, "leverans", "datum"), "brevet måste överlämnas innan avtalet upphör")
    received = get(doc, "kvittens", "datum")
    if is_date(received) and is_date(handed) and received < handed:
        yield src.problem((key, "kvittens", "datum"), "mottagningsbeviset är daterat före överlämnandet")


RULES: list[Rule] = [repayment, sanction, termination]
