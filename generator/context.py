"""The context a template sees: the case minus what its audience must not see."""

from __future__ import annotations

from typing import Any

import cerberus

from .formatting import mask_personnummer
from .organisation import board
from .schema import section_key
from .templates import DocumentTemplate


def _fields(rule: Any) -> dict[str, Any] | None:
    """The sub-rules of a dict rule, resolving named definitions (`schema: person`)."""
    if not isinstance(rule, dict):
        return None
    fields = rule.get("schema")
    if isinstance(fields, str):
        fields = cerberus.schema_registry.get(fields)
    if isinstance(fields, dict) and rule.get("type", "dict") == "dict":
        found: dict[str, Any] = fields
        return found
    return None


def _item_rule(rule: Any) -> dict[str, Any] | None:
    """The rule for the items of a list rule."""
    if isinstance(rule, dict) and rule.get("type") == "list" and isinstance(rule.get("schema"), dict):
        items: dict[str, Any] = rule["schema"]
        return items
    return None


def strip_internal(value: Any, rule: Any) -> Any:
    """Remove every field whose schema rule says `intern: true`, at any depth."""
    fields, items = _fields(rule), _item_rule(rule)
    if isinstance(value, dict) and fields is not None:
        return {
            key: strip_internal(item, fields.get(key))
            for key, item in value.items()
            if not (isinstance(fields.get(key), dict) and fields[key].get("intern"))
        }
    if isinstance(value, list) and items is not None:
        return [strip_internal(item, items) for item in value]
    return value


def fill_optional(value: Any, rule: Any) -> Any:
    """Give every field the schema knows a value (None, or [] for lists), so templates can test
    `{% if x.field %}` while a misspelt field name still fails under StrictUndefined."""
    fields, items = _fields(rule), _item_rule(rule)
    if isinstance(value, dict) and fields is not None:
        filled = {key: fill_optional(item, fields.get(key)) for key, item in value.items()}
        for key, sub in fields.items():
            if key not in filled:
                filled[key] = [] if isinstance(sub, dict) and sub.get("type") == "list" else None
        return filled
    if isinstance(value, list) and items is not None:
        return [fill_optional(item, items) for item in value]
    return value


def internal_values(value: Any, rule: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) of an internal field present in the data; the leak scan searches for these."""
    fields, items = _fields(rule), _item_rule(rule)
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(value, dict) and fields is not None:
        for key, item in value.items():
            sub = fields.get(key)
            if isinstance(sub, dict) and sub.get("intern"):
                found.append(((*path, key), item))
            else:
                found.extend(internal_values(item, sub, (*path, key)))
    elif isinstance(value, list) and items is not None:
        for index, item in enumerate(value):
            found.extend(internal_values(item, items, (*path, index)))
    return found


def mask(value: Any) -> Any:
    """Every personnummer in every string of a nested value, masked."""
    if isinstance(value, str):
        return mask_personnummer(value)
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def build_context(data: dict[str, Any], schema: dict[str, Any], template: DocumentTemplate, profile: dict[str, Any], data_hash: str) -> dict[str, Any]:
    """Everything a template may use. For non-internal documents internal fields do not exist."""
    root = {"type": "dict", "schema": schema}
    data = fill_optional(data, root)
    if not template.internal:
        data = strip_internal(data, root)
        data = mask(data)
    section = data.get(section_key(template.id)) or {}
    contract = data.get("avtal") or {}
    return {
        **data,
        "dokument": section,
        "mall": template.as_context(),
        "org": profile,
        "namnd": board(profile, contract.get("namnd", "")) or {"id": contract.get("namnd", ""), "namn": contract.get("namnd", "")},
        "avvikelse": {d["id"]: d for d in data.get("avvikelser") or []},
        "data_hash": data_hash,
    }
