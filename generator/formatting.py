"""Swedish formatting and the Jinja filters built on it (Babel, sv_SE)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jinja2

LOCALE = "sv_SE"
NBSP = "\u00a0"


def long_date(value: dt.date, language: Any = None) -> str:
    """`2026-11-22` -> `22 november 2026` (running text).

    `language`: a language of a multilingual template (`sprak` in its context: `locale` and
    `datumformat`), e.g. `{{ d | datum(sprak) }}` -> `30 June 2026`, `30. kesäkuuta 2026`.
    """
    from babel.dates import format_date  # here, not at import: `validate` formats nothing

    if isinstance(language, dict):
        return format_date(value, str(language.get("datumformat") or "d MMMM y"), locale=str(language.get("locale") or LOCALE))
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


def decimal(value: float | None) -> str:
    """`78.5` -> `78,5`: one decimal, Swedish comma; the same text in documents and CSV (filter `decimal`)."""
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def clock(value: str) -> str:
    """`13:00` or `13.00` -> `13.00`, the Swedish way of writing a time."""
    return value.replace(":", ".")


def enumeration(values: Any) -> str:
    """`["A1", "A2", "A3"]` -> `A1, A2 och A3`: a Swedish list in running text."""
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} och {items[-1]}" if items else ""


NUMBER_WORDS = ("två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv")


def count_words(value: int, one: str, many: str) -> str:
    """`3 | antal("en avvikelse", "avvikelser")` -> `tre avvikelser`: a count in running text, in
    words up to twelve as Swedish prose writes it, in digits above (`one` is the singular with its
    article, en or ett)."""
    if value == 1:
        return one
    word = NUMBER_WORDS[value - 2] if 2 <= value <= 12 else number(value)
    return f"{word} {many}"


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


# A personnummer or samordningsnummer as people write it: the date (6 digits, or 8 with the
# century), a separator or none, 4 digits. The separator may be a hyphen, a plus (100 years or
# older), a space or no-break space, the no-break hyphen Word inserts (U+2011), an en or em dash or
# a minus sign (U+2212), with spaces around it or not.
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"  # a character class: the hyphen escaped
_SPACES = " \t\r\n\u00a0\u2007\u202f"  # a line break too: free text wraps where it likes
PERSONNUMMER = re.compile(
    rf"(?<!\d)(?P<century>\d{{2}})?(?P<date>\d{{6}})"
    rf"(?P<sep>[{_SPACES}]*[{_DASHES}+][{_SPACES}]*|[{_SPACES}]+|)(?P<serial>\d{{4}})(?!\d)"
)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 29 February: the century may be unknown


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def looks_like_personnummer(match: re.Match[str]) -> bool:
    """Whether a match of PERSONNUMMER is a personnummer (or samordningsnummer) as a reader sees it.

    The date must exist (a samordningsnummer adds 60 to the day) and a given century must be 18, 19
    or 20. The check digit is not required: a mistyped personnummer still identifies someone.
    Phone numbers are told apart by their shape: Swedish numbers are written in groups of two to
    four digits after the area code (0701-23 45 67, 08-123 456 78, +46 70 123 45 67) and so never
    give six or eight digits, a separator and four digits. Only ten digits written together
    (0701234567) can be both; they count as a personnummer when the check digit is right too,
    which a phone number is by chance one time in ten (it is then masked, the safe mistake).
    """
    century, date, sep = match.group("century"), match.group("date"), match.group("sep")
    if century is not None and century not in ("18", "19", "20"):
        return False
    month, day = int(date[2:4]), int(date[4:6])
    day = day - 60 if day > 60 else day
    if not (1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]):
        return False
    if century is None and not sep:
        return _luhn_valid(date + match.group("serial"))
    return True


# What can sit inside a number without a reader seeing it, or stand for one of its characters:
# invisible characters (soft hyphen, zero-width space, direction marks), other hyphens, digits of
# other scripts and widths, %2D in a link, &#45; in Markdown or HTML, and \- in Markdown. Text
# holding any of them is read through `_skeleton` before PERSONNUMMER is applied.
_INVISIBLE = "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
_OTHER_DASHES = "\u2015\ufe58\ufe63\uff0b\uff0d"
_DISGUISED = re.compile(rf"[{_INVISIBLE}{_OTHER_DASHES}%&\\]|(?![0-9])\d")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_INVISIBLE_CHAR = re.compile(rf"[{_INVISIBLE}]")


def _plain_char(text: str) -> str:
    """One character (or entity, %-escape, backslash escape) as the digit or sign it shows, else ''."""
    import html
    import unicodedata

    if len(text) > 1:
        text = html.unescape(text) if text.startswith("&") else chr(int(text[1:], 16)) if text.startswith("%") else text[1:]
    if len(text) != 1:
        return ""
    if text.isdecimal():
        return str(unicodedata.decimal(text))
    if text in "+\uff0b":
        return "+"
    return "-" if text == "-" or text in _OTHER_DASHES or re.fullmatch(f"[{_DASHES}]", text) else ""


def _skeleton(text: str) -> tuple[str, list[int]]:
    """`text` as a reader sees its digits, and for each character of it the index in `text` it starts at
    (a last entry: len(text)). Invisible characters are left out; `%2D`, `&#45;`, `\\-`, `１`, `－`
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
        elif (ch.isdecimal() and not "0" <= ch <= "9") or ch in _OTHER_DASHES:
            shown = _plain_char(ch) or ch
        out.append(shown)
        starts.append(i)
        i += step
    starts.append(n)
    return "".join(out), starts


def personnummer_spans(text: str, keep: frozenset[str] = frozenset()) -> list[tuple[int, int, re.Match[str]]]:
    """Every personnummer in `text` (see `looks_like_personnummer`), not in `keep` (as `digits10`):
    (start, end, the match in the text as a reader sees it), the span being that of `text` however
    the number is disguised."""
    disguised = _DISGUISED.search(text) is not None
    shown, starts = _skeleton(text) if disguised else (text, [])
    found: list[tuple[int, int, re.Match[str]]] = []
    for match in PERSONNUMMER.finditer(shown):
        if not looks_like_personnummer(match) or digits10(match.group(0)) in keep:
            continue
        start, end = (starts[match.start()], starts[match.end()]) if disguised else match.span()
        found.append((start, end, match))
    return found


def digits10(number: str) -> str:
    """The ten digits that identify a personnummer or organisationsnummer, without century or separator."""
    return re.sub(r"\D", "", number)[-10:]


def mask_personnummer(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Masks every personnummer however it is written: `19121212-1212` -> `19XXXXXX-XXXX`,
    `121212 1212` -> `XXXXXX-XXXX`, `191212\u00ad12-1212` -> `19XXXXXX-XXXX` (the masked form always
    has a hyphen, or the plus it had).

    `keep` (numbers as `digits10`) stay as written: a sole trader's organisationsnummer.
    """
    if not any(ch.isdigit() for ch in text) and "&" not in text and "%" not in text:
        return text
    for start, end, match in reversed(personnummer_spans(text, keep)):
        masked = f"{match.group('century') or ''}XXXXXX{'+' if '+' in match.group('sep') else '-'}XXXX"
        text = f"{text[:start]}{masked}{text[end:]}"
    return text


def find_personnummer(text: str, keep: frozenset[str] = frozenset()) -> list[str]:
    """Every personnummer in `text` however it is written or disguised, except those in `keep` (as
    `digits10`): each as the text holds it."""
    return [text[start:end] for start, end, _ in personnummer_spans(text, keep)]


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
    "lista": enumeration,
    "antal": count_words,
    "person": person,
    "bilaga": attachment_reference,
}
