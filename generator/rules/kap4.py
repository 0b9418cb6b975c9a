"""Rules of the measures (handbook kap. 4): the correction request (3a) and the control plan (4a),
and the checks the other measures' documents share. Those documents' own rules sit beside this
module, one per group of documents: `kap4_plans` (2a, 2b, 3), `kap4_decisions` (3.3, 3b, 4b, 5),
`kap4_board` (återkrav, sanktion och vite, hävning), `kap4_reports` (IVO, polisanmälan)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..formatting import amount, long_date
from ..organisation import MEASURES, ROLE_NAMES, mandate, role_text
from .common import Rule, check_decision, delegation_source, get

# --- shared by the measures' documents ---------------------------------------------------------


def rows(section: dict[str, Any], field: str) -> list[tuple[int, dict[str, Any]]]:
    """The dict items of the list `field` with their index (rules run on unchecked data)."""
    items = section.get(field)
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)] if isinstance(items, list) else []


def row_amount(row: dict[str, Any], count: str, price: str) -> int | None:
    """The kronor of an amount row: its `belopp`, or `count` × `price`; None when it gives neither
    (when it gives both, `amount_rows` checks that they agree)."""
    given, n, each = row.get("belopp"), row.get(count), row.get(price)
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    if isinstance(n, int) and isinstance(each, int) and not isinstance(n, bool) and not isinstance(each, bool):
        return n * each
    return None


def total(section: dict[str, Any], field: str, count: str, price: str) -> int:
    """The sum of the amount rows in `field` (a row without an amount counts 0; its rule says so)."""
    return sum(row_amount(row, count, price) or 0 for _, row in rows(section, field))


def amount_rows(section: dict[str, Any], key: str, field: str, count: str, price: str, src: Source) -> Iterator[Problem]:
    """Each amount row gives `count` and `price` (the amount is computed) or `belopp`; a row that
    gives both states the same amount twice, and they must agree."""
    for index, row in rows(section, field):
        given, n, each = row.get("belopp"), row.get(count), row.get(price)
        if given is None and (n is None or each is None):
            yield src.problem((key, field, index), f"raden saknar belopp; ange {count} och {price} (beloppet räknas fram) eller belopp")
        elif given is not None and (n is None) != (each is None):
            yield src.problem((key, field, index), f"ange både {count} och {price}, eller bara belopp")
        elif isinstance(given, int) and isinstance(n, int) and isinstance(each, int) and given != n * each:
            yield src.problem((key, field, index, "belopp"), f"beloppet {kronor(given)} stämmer inte med {count} × {price} "
                              f"({n} × {kronor(each)} = {kronor(n * each)}); rätta beloppet eller ta bort det så att det räknas fram")
        period = row.get("period")
        if isinstance(period, dict) and is_date(period.get("fran")) and is_date(period.get("till")) and period["till"] < period["fran"]:
            yield src.problem((key, field, index, "period", "till"), "perioden slutar innan den börjar")


def decided_before_letter(section: dict[str, Any], key: str, field: str, src: Source) -> Iterator[Problem]:
    """A letter that states a decision is dated on or after the decision."""
    decided, sent = get(section, field, "datum"), section.get("datum")
    if is_date(decided) and is_date(sent) and decided > sent:
        yield src.problem((key, field, "datum"), f"beslutet är daterat efter brevet ({long_date(sent)}); "
                          "ett brev kan bara meddela ett beslut som redan har fattats")


def payment(section: dict[str, Any], key: str, src: Source) -> Iterator[Problem]:
    """How an amount is paid: an invoice has a due date after the letter (30 days is usual); a
    set-off says which payment it is taken from."""
    terms, sent = section.get("betalning"), section.get("datum")
    if not isinstance(terms, dict):
        return
    due = terms.get("senast")
    if terms.get("satt") == "faktura" and not due:
        yield src.problem((key, "betalning"), "ange sista betalningsdag (betalning.senast) för beloppet som faktureras")
    if terms.get("satt") == "kvittning" and not terms.get("avrakning"):
        yield src.problem((key, "betalning"), "ange vilken utbetalning beloppet kvittas mot (betalning.avrakning)")
    if is_date(due) and is_date(sent):
        if due <= sent:
            yield src.problem((key, "betalning", "senast"), "sista betalningsdagen måste vara efter brevets datum")
        elif terms.get("satt") == "faktura" and (due - sent).days < 30:
            yield src.problem((key, "betalning", "senast"), f"betalningstiden är {(due - sent).days} dagar; "
                              "30 dagar är det vanliga, kontrollera att avtalet medger en kortare tid", warning=True)


def check_samrad(data: dict[str, Any], key: str, src: Source) -> Iterator[Problem]:
    """Each consultation says with whom (a role under `personer`, a name or a function) and took
    place before the decision."""
    section = data.get(key)
    if not isinstance(section, dict):
        return
    decided = get(section, "beslut", "datum")
    for index, entry in rows(section, "samrad"):
        role = entry.get("roll")
        if not (role or entry.get("namn") or entry.get("funktion")):
            yield src.problem((key, "samrad", index), "ange vem samrådet hölls med: roll (under personer), namn eller funktion")
        elif isinstance(role, str) and role in ROLE_NAMES and role not in ("teamet", "namnd") and not get(data, "personer", role):
            yield src.problem((key, "samrad", index, "roll"), f"'{role}' finns inte under personer; lägg till personen där "
                              "(namn och titel står i dokumentet) eller ange namn i stället för roll")
        when = entry.get("datum")
        if is_date(when) and is_date(decided) and when > decided:
            yield src.problem((key, "samrad", index, "datum"), "samrådet ska ske före beslutet")


def check_consultations(measure: str, data: dict[str, Any], key: str, src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """The roles the delegation order says `measure` is decided in consultation with (`samrad`,
    e.g. the regional lawyer before a police report) appear under the section's `samrad`."""
    section = data.get(key)
    if not isinstance(section, dict) or measure not in MEASURES:
        return
    order = mandate(profile, measure)
    consulted = {entry.get("roll") for _, entry in rows(section, "samrad")}
    for role in order["samrad"]:
        if role not in consulted:
            yield src.problem((key, "samrad"), f"{order['namn']} beslutas enligt {delegation_source(measure, profile)} efter samråd "
                              f"med {role_text(role)}; ange samrådet under 'samrad' (roll: {role}, datum)")


def check_decided(measure: str, data: dict[str, Any], key: str, src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """A section's decision (`beslut`) on `measure`: by whoever holds the mandate, after the
    consultations the delegation order requires, each consultation named and before the decision."""
    yield from check_decision(measure, data, (key, "beslut"), src, profile)
    yield from check_consultations(measure, data, key, src, profile)
    yield from check_samrad(data, key, src)


def check_step(data: dict[str, Any], key: str, step: str, src: Source) -> Iterator[Problem]:
    """The case's escalation ladder records the step a measure's document belongs to: the final
    report and the annual report count the steps, not the documents."""
    section = data.get(key)
    steps = [s.get("steg") for s in data.get("eskalering") or [] if isinstance(s, dict)]
    if isinstance(section, dict) and step not in steps:
        yield src.problem((key,), f"eskaleringen saknar {MEASURES[step].name}; lägg till steget under 'eskalering' "
                          "så att slutrapporten och årsrapporten räknar det", warning=True)


def same_as(value: Any, other: Any, path: tuple[Any, ...], where: str, src: Source) -> Iterator[Problem]:
    """A date or value repeated from another section of the case agrees with it."""
    if value is not None and other is not None and value != other:
        shown = long_date(other) if isinstance(other, dt.date) else str(other)
        yield src.problem(path, f"stämmer inte med {where} ({shown}) i samma ärende")


def kronor(value: int) -> str:
    """An amount in a message, as the documents write it (with ordinary spaces)."""
    return amount(value).replace("\u00a0", " ")


# --- the correction request (3a) and the control plan (4a) --------------------------------------


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
