"""Rules of the handbook itself (kap. 6): a team's proposal to revise it.

The handbook gives each version a validity period and says the update should start three to six
months before it ends; a proposal made later than that misses the next version's preparation, and
one made after the version expired refers to a handbook no longer in force. The route (team →
handbook owners → the deciding management group) runs in that order.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..case import Source, is_date
from ..errors import Problem
from .common import Rule

KEY = "revideringsforslag"
LEAD_MONTHS = 3  # the update starts at least three months before the version's validity ends


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the month's last day when it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def revision_proposal(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    doc = data.get(KEY)
    if not isinstance(doc, dict):
        return
    day = doc.get("datum")
    found = doc.get("handbok")
    handbook: dict[str, Any] = found if isinstance(found, dict) else {}
    start, end = handbook.get("giltig_fran"), handbook.get("giltig_till")
    if is_date(start) and is_date(end) and end < start:
        yield src.problem((KEY, "handbok", "giltig_till"), "giltighetstiden slutar före den börjar; kontrollera datumen")
    if is_date(day) and is_date(end):
        if day > end:
            yield src.problem((KEY, "handbok", "giltig_till"), f"handbokens version {handbook.get('version')} gällde bara till och med "
                              f"{end.isoformat()}; ange den version som gäller på förslagets datum", warning=True)
        elif day > months_before(end, LEAD_MONTHS):
            yield src.problem((KEY, "datum"), f"förslaget lämnas mindre än {LEAD_MONTHS} månader innan versionens giltighetstid löper ut "
                              f"({end.isoformat()}); handboken säger att uppdateringen bör påbörjas 3–6 månader innan, så förslaget "
                              "hinner kanske inte med i nästa version", warning=True)
    changes = doc.get("andringar")
    for index, change in enumerate(changes if isinstance(changes, list) else []):
        if isinstance(change, dict) and isinstance(change.get("nuvarande"), str) and isinstance(change.get("forslag"), str) \
                and " ".join(change["nuvarande"].split()) == " ".join(change["forslag"].split()):
            yield src.problem((KEY, "andringar", index, "forslag"), "den föreslagna texten är densamma som den nuvarande; skriv ändringen")
    yield from _route(doc, day, src)


def _route(doc: dict[str, Any], day: Any, src: Source) -> Iterator[Problem]:
    """Proposed → handed in → prepared → decided, each on or after the one before; a decision has an outcome."""
    route = doc.get("behandling")
    if not isinstance(route, dict):
        return
    steps = [("datum", day, "förslagets datum"), ("lamnat", route.get("lamnat"), "dagen då förslaget lämnades"),
             ("berett", route.get("berett"), "dagen då det bereddes"), ("beslutat", route.get("beslutat"), "beslutet")]
    last: tuple[str, dt.date, str] | None = None
    for key, value, text in steps:
        if not is_date(value):
            continue
        if last is not None and value < last[1]:
            where = (KEY, key) if key == "datum" else (KEY, "behandling", key)
            yield src.problem(where, f"{text} ({value.isoformat()}) kan inte ligga före {last[2]} ({last[1].isoformat()})")
        last = (key, value, text)
    for later, earlier, text in (("berett", "lamnat", "ett förslag bereds först när teamet har lämnat det"),
                                 ("beslutat", "berett", "handboksansvariga bereder förslaget före beslutet")):
        if is_date(route.get(later)) and not is_date(route.get(earlier)):
            yield src.problem((KEY, "behandling", earlier), f"ange datumet: {text}")
    if is_date(route.get("beslutat")) and not route.get("utfall"):
        yield src.problem((KEY, "behandling", "utfall"), "ange beslutets utfall: bifall, delvis eller avslag")
    if route.get("utfall") and not is_date(route.get("beslutat")):
        yield src.problem((KEY, "behandling", "beslutat"), "ett utfall hör till ett beslut; ange beslutets datum")


RULES: list[Rule] = [revision_proposal]
