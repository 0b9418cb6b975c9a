"""Swedish formatting and the Jinja filters built on it (Babel, sv_SE)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

LOCALE = "sv_SE"
NBSP = "\u00a0"


def long_date(value: dt.date) -> str:
    """`2026-11-22` -> `22 november 2026` (running text)."""
    from babel.dates import format_date  # here, not at import: `validate` formats nothing

    return format_date(value, "d MMMM y", locale=LOCALE)


def iso_date(value: dt.date) -> str:
    """`2026-11-22` (headers, tables)."""
    return value.isoformat()


def amount(value: int | float) -> str:
    """`1234567` -> `1 234 567 kr` with non-breaking spaces."""
    from babel.numbers import format_decimal

    return f"{format_decimal(value, locale=LOCALE)}{NBSP}kr"


def number(value: int | float) -> str:
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=LOCALE))


def clock(value: str) -> str:
    """`13:00` or `13.00` -> `13.00`, the Swedish way of writing a time."""
    return value.replace(":", ".")


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


def mask_personnummer(text: str) -> str:
    """Masks every personnummer-shaped string: `19121212-1212` -> `19XXXXXX-XXXX`."""
    from personnummer import personnummer

    def replace(match: re.Match[str]) -> str:
        if not personnummer.valid(match.group(0)):
            return match.group(0)
        century = match.group(1) or ""
        return f"{century}XXXXXX{match.group(3) or '-'}XXXX"

    return PERSONNUMMER.sub(replace, text)


def find_personnummer(text: str) -> list[str]:
    from personnummer import personnummer

    return [m.group(0) for m in PERSONNUMMER.finditer(text) if personnummer.valid(m.group(0))]


FILTERS: dict[str, Any] = {
    "datum": long_date,
    "iso": iso_date,
    "belopp": amount,
    "tal": number,
    "klockslag": clock,
    "janej": yes_no,
    "person": person,
}
