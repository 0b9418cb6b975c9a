"""Rules of the parts of a letter (mallar/_gemensamt/): copy list, attachments, the signers of a
tjänsteskrivelse. They apply to every section that has the parts (`inkludera: [brev]`), so a new
document gets them without a rule of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..case import Source
from ..errors import Problem
from ..organisation import ROLE_NAMES
from .common import Rule, get


def _sections(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, value in data.items():
        if isinstance(value, dict) and ("kopia_till" in value or "bilagor" in value):
            yield key, value


def copy_list(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """A copy recipient named by role is someone the case names under `personer`."""
    people = data.get("personer") or {}
    for key, section in _sections(data):
        for index, entry in enumerate(section.get("kopia_till") or []):
            if isinstance(entry, str) and entry in ROLE_NAMES and entry not in ("teamet", "namnd") and not people.get(entry):
                yield src.problem((key, "kopia_till", index), f"'{entry}' finns inte under personer; lägg till personen där "
                                  "(namn och titel står i kopielistan) eller skriv mottagaren med namn")


def attachment_ids(data: dict[str, Any], src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """Each attachment has its own id: the text refers to it by id, and the list numbers it."""
    for key, section in _sections(data):
        seen: set[str] = set()
        for index, item in enumerate(section.get("bilagor") or []):
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str):
                if ident in seen:
                    yield src.problem((key, "bilagor", index, "id"), f"bilagan '{ident}' finns två gånger; varje bilaga behöver ett eget id")
                seen.add(ident)


def check_tjansteskrivelse(data: dict[str, Any], key: str, src: Source, profile: dict[str, Any]) -> Iterator[Problem]:
    """A tjänsteskrivelse (the section `key`) is signed by the manager the profile names
    (`tjansteskrivelse.undertecknare`), else by the case's avdelningschef: one of them must exist.
    Every board document that includes "_gemensamt/tjansteskrivelse-underskrift.md" calls this."""
    if isinstance(data.get(key), dict) and not get(profile, "tjansteskrivelse", "undertecknare") and not get(data, "personer", "avdelningschef"):
        yield src.problem((key,), "tjänsteskrivelsen undertecknas av den chef som organisationsprofilen anger "
                          "(tjansteskrivelse.undertecknare) eller av avdelningschefen; ange någon av dem")


RULES: list[Rule] = [copy_list, attachment_ids]
