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


def decimal(value: float | None) -> str:
    """`78.5` -> `78,5`: one decimal, Swedish comma; the same text in documents and CSV (filter `decimal`)."""
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


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


# A personnummer as people write it: 19121212-1212, 121212-1212, 121212+1212 (over 100), 1912121212.
# A hyphen glued to it ("-19121212-1212-") does not hide it, nor does a space around the hyphen or
# a line break inside (a folded YAML line, a wrapped PDF line).
PERSONNUMMER = re.compile(r"(?<!\d)(\d{2})?(\d{6})([ \t]?[-+][ \t]*(?:\n[ \t]*)?|[ \t]*\n[ \t]*|)(\d{4})(?!\d)", re.ASCII)

# What can sit inside a number without a reader seeing it, or stand for one of its characters:
# invisible characters, other dashes, digits of other scripts and widths, %2D in a link, &#45; and
# \- in Markdown. Text holding any of them is read through `_skeleton`.
_INVISIBLE = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_DASHES = "\u2010-\u2015\u2212\ufe58\ufe63\uff0b\uff0d"
_DISGUISED = re.compile(rf"[{_INVISIBLE}{_DASHES}%&\\]|(?![0-9])\d")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_INVISIBLE_CHAR = re.compile(rf"[{_INVISIBLE}]")
_DASH_CHAR = re.compile(rf"[{_DASHES}]")


def _plain_char(text: str) -> str:
    """One character (or entity, escape) as the digit or sign it shows, else '' (not part of a number)."""
    import html
    import unicodedata

    if len(text) > 1:
        text = html.unescape(text) if text.startswith("&") else chr(int(text[1:], 16)) if text.startswith("%") else text[1:]
    if len(text) != 1:
        return ""
    if text.isdecimal():
        return str(unicodedata.decimal(text))
    if _DASH_CHAR.fullmatch(text):
        return "+" if text in "\uff0b" else "-"
    return text if text in "-+" else ""


def _skeleton(text: str) -> tuple[str, list[int]]:
    """`text` as a reader sees its digits, and for each character of it the index in `text` it starts at
    (a last entry: len(text)). Invisible characters are left out; `%2D`, `&#45;`, `\\-`, `１`, `–`
    become `-`, `-`, `-`, `1`, `-`."""
    out: list[str] = []
    starts: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if _INVISIBLE_CHAR.match(ch):
            i += 1
            continue
        step, shown = 1, ch
        if ch == "%" and (m := _PERCENT.match(text, i)) and (c := _plain_char(m.group(0))):
            step, shown = 3, c
        elif ch == "&" and (m := _ENTITY.match(text, i)) and (c := _plain_char(m.group(0))):
            step, shown = len(m.group(0)), c
        elif ch == "\\" and i + 1 < n and text[i + 1] in "-+":
            step, shown = 2, text[i + 1]
        elif ch.isdecimal() or _DASH_CHAR.match(ch):
            shown = _plain_char(ch) or ch
        out.append(shown)
        starts.append(i)
        i += step
    starts.append(n)
    return "".join(out), starts


def personnummer_spans(text: str, keep: frozenset[str] = frozenset()) -> list[tuple[int, int, str]]:
    """Every valid personnummer in `text` (not in `keep`, as `digits10`): (start, end, the number as
    written plainly, e.g. 19121212-1212), the span being that of `text` however the number is disguised."""
    from personnummer import personnummer

    disguised = _DISGUISED.search(text) is not None
    shown, starts = _skeleton(text) if disguised else (text, [])
    found: list[tuple[int, int, str]] = []
    for match in PERSONNUMMER.finditer(shown):
        sign = match.group(3).strip()
        number = f"{match.group(1) or ''}{match.group(2)}{sign}{match.group(4)}"
        if not personnummer.valid(number) or digits10(number) in keep:
            continue
        start, end = (starts[match.start()], starts[match.end()]) if disguised else match.span()
        found.append((start, end, number))
    return found


def digits10(number: str) -> str:
    """The ten digits that identify a personnummer or organisationsnummer, without century or separator."""
    return re.sub(r"\D", "", number)[-10:]


def mask_personnummer(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Masks every personnummer, however written: `19121212-1212` -> `19XXXXXX-XXXX`.

    `keep` (numbers as `digits10`) stay as written: a sole trader's organisationsnummer.
    """
    if not any(ch.isdigit() for ch in text):
        return text
    for start, end, number in reversed(personnummer_spans(text, keep)):
        century = number[:2] if len(re.sub(r"\D", "", number)) == 12 else ""
        sign = "+" if "+" in number else "-"
        text = f"{text[:start]}{century}XXXXXX{sign}XXXX{text[end:]}"
    return text


def find_personnummer(text: str, keep: frozenset[str] = frozenset()) -> list[str]:
    """Every valid personnummer in `text`, however written, except those in `keep` (as `digits10`)."""
    return [number for _, _, number in personnummer_spans(text, keep)]


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
    "decimal": decimal,
    "klockslag": clock,
    "janej": yes_no,
    "person": person,
    "bilaga": attachment_reference,
}
