"""The values `mallgen new` writes into a skeleton, and finding them left in a file.

A skeleton validates as written, so its placeholders would otherwise reach a recipient ("Ange
vårdgivarens namn" in the recipient block, postnummer 000 00, a letter dated New Year's Day). Both
the skeleton (generator/skeleton.py) and `validate` take each field's placeholder from here, from
the schema, so a new document's fields are covered without a line of code.

A field's skeleton value counts as a placeholder left in when the data holds exactly that value and
the value is one no real case holds (`unmistakable`):
- an instruction: text that begins "Ange …", "Beskriv …", "Sammanfatta …", "Återge …", "Skriv …"
  or "Fyll i …" (the generated placeholder text is always "Ange …");
- text that calls itself an example or names no one: the words "ange" or "exempel" in it
  (`ange.epost@region.example`, `Region Exempel`), or a reserved `.example` address;
- digits that are all zeros: `000 00`, `000-000 00 00`, `§ 0`, the diarienummer `HSN 0000-00000`;
- the placeholder date 2026-01-01 where the skeleton puts it (a date field without `meta.exempel`).
An `exempel` that is a realistic value (a time, a code, a role, a date that keeps the skeleton's
dates in order) is not a placeholder: it can be the real value. Give a date field a `meta.exempel`
when 1 January is a realistic value for it (the start of a contract or a period).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cerberus
import yaml

from .case import Source
from .errors import Problem

PLACEHOLDER_DATE = dt.date(2026, 1, 1)
CHECK_PLACEHOLDERS = {"orgnr": "559123-4561", "hsaid": "SE5591234561-0001", "avvikelse_ref": "A1"}
_INSTRUCTION = re.compile(r"^(?:Ange|Beskriv|Sammanfatta|Återge|Skriv|Fyll i)\b|\b(?:[Aa]nge|[Ee]xempel)\b|\.example\b")


@dataclass(frozen=True)
class Placeholders:
    """What a skeleton needs besides the schema: the named definitions (`schema: person`) and the
    diarienummer placeholder (the example profile's diarienummer with its digits zeroed)."""

    definitions: dict[str, Any]
    diarienummer: str


def placeholder_context(dirs: list[Path]) -> Placeholders:
    """The placeholders of the schemas in `dirs` (a user's schema folder first)."""
    return _context(tuple(dirs))


@cache
def _context(dirs: tuple[Path, ...]) -> Placeholders:
    from .resources import bundled
    from .schema import DEFINITIONS, find_schema

    definitions = find_schema(DEFINITIONS, list(dirs)) or {}
    for name, definition in definitions.items():  # the same registry validation uses
        cerberus.schema_registry.add(name, definition)
    profile = yaml.safe_load((bundled("examples") / "organisation.yaml").read_text(encoding="utf-8"))
    return Placeholders(definitions, zeroed(str(profile.get("diarienummer_exempel", "")), profile.get("diarienummer_monster")))


def zeroed(diarienummer: str, pattern: Any) -> str:
    """`HSN 2026-00123` -> `HSN 0000-00000`, when the profile's pattern still accepts it."""
    candidate = re.sub(r"\d", "0", diarienummer)
    if isinstance(pattern, str):
        try:
            if not re.fullmatch(pattern, candidate):
                return diarienummer
        except re.error:
            return diarienummer
    return candidate


def meta(rule: dict[str, Any]) -> dict[str, Any]:
    found = rule.get("meta")
    return found if isinstance(found, dict) else {}


def placeholder(rule: dict[str, Any], context: Placeholders, path: tuple[Any, ...]) -> Any:
    """The value the skeleton writes for a scalar field."""
    info = meta(rule)
    if "exempel" in info:
        return info["exempel"]
    if "default" in rule and not isinstance(rule["default"], dict | list):
        return rule["default"]
    if rule.get("allowed"):
        return rule["allowed"][0]
    check = rule.get("check_with")
    if check == "diarienummer":
        return context.diarienummer
    if check in CHECK_PLACEHOLDERS:
        return CHECK_PLACEHOLDERS[check]
    kind = rule.get("type")
    if kind == "date":
        return PLACEHOLDER_DATE
    if kind == "integer":
        return rule.get("min", 0)
    if kind == "boolean":
        return False
    return placeholder_text(str(path[-1]) if path else "", info)


def placeholder_text(key: str, info: dict[str, Any]) -> str:
    """`Ange mottagningens eller enhetens namn`: from a short description, else from the key."""
    head = re.split(r"[;,(.:?\"']", str(info.get("beskrivning") or ""))[0].strip()
    if 3 <= len(head) <= 50 and not head.startswith(("Id ", "Vilka ", "Vad är ", "Har ", "Hur ")):
        return "Ange " + head[0].lower() + head[1:]
    return "Ange " + key.replace("_", " ")


def unmistakable(value: Any) -> bool:
    """A skeleton value that no real case holds (see the module's description)."""
    if isinstance(value, dt.date):
        return value == PLACEHOLDER_DATE
    if not isinstance(value, str):
        return False
    digits = re.sub(r"\D", "", value)
    return bool(_INSTRUCTION.search(value)) or (digits != "" and set(digits) == {"0"})


def skipped(rule: dict[str, Any]) -> bool:
    """Identity numbers of people get no placeholder in any skeleton."""
    return rule.get("check_with") == "personnummer"


def fields_of(rule: dict[str, Any], context: Placeholders) -> dict[str, Any] | None:
    sub = rule.get("schema")
    if isinstance(sub, str):
        sub = context.definitions.get(sub)
    if rule.get("type", "dict") == "dict" and isinstance(sub, dict):
        return sub
    return None


def left_in(data: Any, schema: dict[str, Any], source: Source, context: Placeholders) -> list[Problem]:
    """An error for every skeleton placeholder still in `data` (validated against `schema`)."""
    found: list[Problem] = []

    def report(path: tuple[Any, ...], value: Any) -> None:
        shown = value.isoformat() if isinstance(value, dt.date) else f"'{value if len(value) <= 50 else value[:49] + '…'}'"
        what = "rätt datum" if isinstance(value, dt.date) else "den riktiga uppgiften"
        found.append(source.problem(path, f"{shown} är platshållaren från 'mallgen new'; fyll i {what}"))

    def walk(value: Any, rule: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(rule, dict) or skipped(rule) or isinstance(meta(rule).get("exempel"), dict):
            return
        fields = fields_of(rule, context)
        if fields is not None:
            for key, item in value.items() if isinstance(value, dict) else ():
                walk(item, fields.get(key), (*path, key))
            return
        if rule.get("type") == "list":
            items: dict[str, Any] = rule["schema"] if isinstance(rule.get("schema"), dict) else {}
            example = meta(rule).get("exempel")
            for index, item in enumerate(value if isinstance(value, list) else []):
                if isinstance(example, list) and fields_of(items, context) is None:
                    if item in example and unmistakable(item):
                        report((*path, index), item)
                else:
                    walk(item, items, (*path, index))
            return
        expected = placeholder(rule, context, path)
        if type(value) is type(expected) and value == expected and unmistakable(expected):
            report(path, value)

    walk(data, {"type": "dict", "schema": schema}, ())
    return found
