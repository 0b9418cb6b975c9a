"""Rules of the reports to other authorities (handbook kap. 4, list of measures): the report to
IVO about licensed personnel, decided by the medical adviser, and the police report, decided by
the responsible official after consulting the regional lawyer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from ..formatting import digits10, find_personnummer
from .common import Rule
from .kap4 import amount_rows, check_decided, decided_before_letter, rows


def ivo_report(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "anmalan_ivo"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decided("anmalan_ivo", data, key, src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    sent = doc.get("datum")
    numbers: dict[int, int] = {}
    for index, patient in rows(doc, "patienter"):
        number = patient.get("nummer")
        if isinstance(number, int):
            if number in numbers:
                yield src.problem((key, "patienter", index, "nummer"), f"patient {number} finns två gånger; varje patient har ett eget nummer")
            numbers[number] = index
        if bool(patient.get("personnummer")) == bool(patient.get("reservnummer")):
            yield src.problem((key, "patienter", index), "ange patientens personnummer (eller samordningsnummer) eller reservnummer, "
                              "ett av dem, så att IVO hittar journalen")
    yield from _patients_named_in_the_report(doc, key, src)
    referred: set[int] = set()
    for index, event in rows(doc, "handelser"):
        when, number = event.get("datum"), event.get("patient")
        if is_date(when) and is_date(sent) and when > sent:
            yield src.problem((key, "handelser", index, "datum"), "iakttagelsen är daterad efter anmälan")
        if isinstance(number, int):
            referred.add(number)
            if number not in numbers:
                yield src.problem((key, "handelser", index, "patient"), f"patient {number} finns inte under 'patienter' (den "
                                  "sekretessbelagda bilagan); lägg till patienten där eller rätta numret")
    for number, index in numbers.items():
        if number not in referred:
            yield src.problem((key, "patienter", index, "nummer"), f"patient {number} nämns inte i någon iakttagelse; hänvisa till "
                              "patienten under 'handelser' eller ta bort raden", warning=True)


def _patients_named_in_the_report(doc: dict[str, Any], key: str, src: Source) -> Iterator[Problem]:
    """A patient's name or number typed into the report's own text would reach IVO outside the
    confidential attachment (a personnummer masked, a name as written): the report says 'Patient N'."""
    names: list[tuple[int, re.Pattern[str]]] = []
    numbers: dict[str, int] = {}
    for _, patient in rows(doc, "patienter"):
        number = patient.get("nummer")
        if not isinstance(number, int):
            continue
        for field in ("namn", "reservnummer"):
            value = patient.get(field)
            if isinstance(value, str) and value.strip():
                names.append((number, re.compile(rf"(?<!\w){re.escape(value.strip())}(?!\w)", re.IGNORECASE)))
        if isinstance(patient.get("personnummer"), str):
            numbers[digits10(patient["personnummer"])] = number

    def named(text: str) -> int | None:
        for number, pattern in names:
            if pattern.search(text):
                return number
        return next((numbers[digits10(n)] for n in find_personnummer(text) if digits10(n) in numbers), None)

    def walk(value: Any, path: tuple[Any, ...]) -> Iterator[Problem]:
        if isinstance(value, str):
            number = named(value)
            if number is not None:
                yield src.problem(path, f"texten namnger patient {number}, vars uppgifter är sekretessbelagda och bara står "
                                  f"i bilagan; skriv 'Patient {number}' i stället")
        elif isinstance(value, dict):
            for field, item in value.items():
                yield from walk(item, (*path, field))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*path, index))

    if names or numbers:
        for field, value in doc.items():
            if field != "patienter":
                yield from walk(value, (key, field))


def police_report(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    key = "polisanmalan"
    doc = data.get(key)
    if not isinstance(doc, dict):
        return
    yield from check_decided("polisanmalan", data, key, src, profile)
    yield from decided_before_letter(doc, key, "beslut", src)
    yield from amount_rows(doc, key, "skada", "antal", "a_pris", src)
    period, sent = doc.get("brottstid"), doc.get("datum")
    if isinstance(period, dict) and is_date(period.get("fran")) and is_date(period.get("till")):
        if period["till"] < period["fran"]:
            yield src.problem((key, "brottstid", "till"), "brottstiden slutar innan den börjar")
        elif is_date(sent) and period["till"] > sent:
            yield src.problem((key, "brottstid", "till"), "brottstiden slutar efter anmälans datum")
    if not rows(doc, "bilagor"):
        yield src.problem((key,), "en polisanmälan bifogar underlaget som styrker misstanken; ange det under 'bilagor'", warning=True)


RULES: list[Rule] = [ivo_report, police_report]
