"""Swedish formatting and the Jinja filters built on it (Babel, sv_SE)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "sv_SE"
NBSP = "\u00a0"


def long_date(value: dt.date, language: Any = None) -> str:
    """`2026-11-22` -> `22 november 2026` (running text).

    `language`: a language of a multilingual template (`sprak` in its context: `locale` and
    `datumformat`), e.g. `{{ d | datum(sprak) }}` -> `30 June 2026`, `30. kesäkuuta 2026`.
    """
    if isinstance(language, dict):
        return format_date(value, str(language.get("datumformat") or "d MMMM y"), locale=str(language.get("locale") or LOCALE))
    return format_date(value, "d MMMM y", locale=LOCALE)


def iso_date(value: dt.date) -> str:
    """`2026-11-22` (headers, tables)."""
    return value.isoformat()


def amount(value: int | float) -> str:
    """`1234567` -> `1 234 567 kr` with non-breaking spaces."""
    return f"{format_decimal(value, locale=LOCALE)}{NBSP}kr"


def number(value: int | float) -> str:
    return str(format_decimal(value, locale=LOCALE))


def clock(value: str) -> str:
    """`13:00` or `13.00` -> `13.00`, the Swedish way of writing a time."""
    return value.replace(":", ".")


def enumeration(values: Any) -> str:
    """`["A1", "A2", "A3"]` -> `A1, A2 och A3`: a Swedish list in running text."""
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} och {items[-1]}" if items else ""


def yes_no(value: bool) -> str:
    return "Ja" if value else "Nej"


def person(value: dict[str, Any]) -> str:
    """A named person on one line: `Anna Lindqvist, Ansvarig handläggare (juridik)`."""
    text = str(value.get("namn") or "")
    if value.get("roll") or value.get("titel"):
        text += f", {value.get('roll') or value.get('titel')}"
    if value.get("kompetens"):
        text += f" ({value['kompetens']})"
    return text


PERSONNUMMER = re.compile(r"(?<![\d-])(\d{2})?(\d{6})([-+]?)(\d{4})(?![\d-])")


def digits10(number: str) -> str:
    """The ten digits that identify a personnummer or organisationsnummer, without century or separator."""
    return re.sub(r"\D", "", number)[-10:]


def mask_personnummer(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Masks every personnummer-shaped string: `19121212-1212` -> `19XXXXXX-XXXX`.

    `keep` (numbers as `digits10`) stay as written: a sole trader's organisationsnummer.
    """
    from personnummer import personnummer

    def replace(match: re.Match[str]) -> str:
        if not personnummer.valid(match.group(0)) or digits10(match.group(0)) in keep:
            return match.group(0)
        century = match.group(1) or ""
        return f"{century}XXXXXX{match.group(3) or '-'}XXXX"

    return PERSONNUMMER.sub(replace, text)


def find_personnummer(text: str, keep: frozenset[str] = frozenset()) -> list[str]:
    """Every valid personnummer in `text`, except those in `keep` (as `digits10`)."""
    from personnummer import personnummer

    return [m.group(0) for m in PERSONNUMMER.finditer(text) if personnummer.valid(m.group(0)) and digits10(m.group(0)) not in keep]


def public_numbers(data: dict[str, Any]) -> frozenset[str]:
    """Personnummer that are shown as written in every document: the organisationsnummer of a
    provider that is a sole trader (enskild näringsidkare), which is the owner's personnummer.

    It is the contracting party's registered identity (public in Bolagsverket's register, needed by
    the registrar and on every legal letter), not patient data: it is neither masked nor a reason
    for a secrecy marking. Every other personnummer is masked as before.
    """
    from personnummer import personnummer

    provider = data.get("vardgivare")
    number = provider.get("orgnr") if isinstance(provider, dict) else None
    if isinstance(number, str) and PERSONNUMMER.fullmatch(number) and personnummer.valid(number):
        return frozenset({digits10(number)})
    return frozenset()


@jinja2.pass_context
def attachment_reference(context: Any, ident: str) -> str:
    """Filter `bilaga`: `{{ "schema" | bilaga }}` -> `bilaga 2`; a confidential one -> `bilaga 3 (sekretessbelagd)`.

    The numbers are those of the letter's list of attachments (`brev.bilagor`).
    """
    items = (context.get("brev") or {}).get("bilagor") or []
    for item in items:
        if item["id"] == ident:
            return f"bilaga {item['nummer']}" + (" (sekretessbelagd)" if item["sekretess"] else "")
    known = ", ".join(item["id"] for item in items) or "inga"
    raise jinja2.TemplateRuntimeError(f"bilagan '{ident}' finns inte bland dokumentets bilagor (finns: {known})")


FILTERS: dict[str, Any] = {
    "datum": long_date,
    "iso": iso_date,
    "belopp": amount,
    "tal": number,
    "klockslag": clock,
    "janej": yes_no,
    "lista": enumeration,
    "person": person,
    "bilaga": attachment_reference,
}
