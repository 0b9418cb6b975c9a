"""The context a template sees: the case minus what its audience must not see.

Two schema markers take fields away: `intern: true` (absent from every document that leaves the
team) and `sekretess: true` (absent from every document except a confidential attachment).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cerberus

from .formatting import mask_personnummer, public_numbers
from .letters import case_type_wording, letter_context
from .organisation import board, mandates
from .progress import situation
from .schema import section_key
from .templates import DocumentTemplate, handbook_data


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


def strip_marked(value: Any, rule: Any, marker: str) -> Any:
    """Remove every field whose schema rule carries `marker` (`intern`, `sekretess`), at any depth."""
    fields, items = _fields(rule), _item_rule(rule)
    if isinstance(value, dict) and fields is not None:
        return {
            key: strip_marked(item, fields.get(key), marker)
            for key, item in value.items()
            if not (isinstance(fields.get(key), dict) and fields[key].get(marker))
        }
    if isinstance(value, list) and items is not None:
        return [strip_marked(item, items, marker) for item in value]
    return value


def strip_internal(value: Any, rule: Any) -> Any:
    """Remove every field whose schema rule says `intern: true`, at any depth."""
    return strip_marked(value, rule, "intern")


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


def marked_values(value: Any, rule: Any, marker: str = "intern", path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) of a field carrying `marker` present in the data; the leak scan searches for these."""
    fields, items = _fields(rule), _item_rule(rule)
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(value, dict) and fields is not None:
        for key, item in value.items():
            sub = fields.get(key)
            if isinstance(sub, dict) and sub.get(marker):
                found.append(((*path, key), item))
            else:
                found.extend(marked_values(item, sub, marker, (*path, key)))
    elif isinstance(value, list) and items is not None:
        for index, item in enumerate(value):
            found.extend(marked_values(item, items, marker, (*path, index)))
    return found


def internal_values(value: Any, rule: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) of an internal field present in the data."""
    return marked_values(value, rule, "intern", path)


def has_secret_data(data: dict[str, Any], schema: dict[str, Any], document_id: str) -> bool:
    """Whether the section of `document_id` holds any `sekretess: true` value (a confidential
    attachment to that document is then made)."""
    key = section_key(document_id)
    section = {key: data.get(key)} if isinstance(data.get(key), dict) else {}
    return any(value not in (None, "", [], {}) for _, value in marked_values(section, {"type": "dict", "schema": schema}, "sekretess"))


def mask(value: Any, keep: frozenset[str] = frozenset(), rule: Any = None, spare: str | None = None) -> Any:
    """Every personnummer in every string of a nested value, masked (`keep`: numbers left as written;
    `spare`: with `rule`, the fields carrying this marker are left as written)."""
    if isinstance(value, str):
        return mask_personnummer(value, keep)
    fields, items = (_fields(rule), _item_rule(rule)) if spare else (None, None)
    if isinstance(value, dict):
        return {k: v if fields and isinstance(fields.get(k), dict) and fields[k].get(spare)
                else mask(v, keep, fields.get(k) if fields else None, spare) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, keep, items, spare) for v in value]
    return value


def build_context(data: dict[str, Any], schema: dict[str, Any], template: DocumentTemplate, profile: dict[str, Any], data_hash: str,
                  attachments: Sequence[DocumentTemplate] = ()) -> dict[str, Any]:
    """Everything a template may use. For non-internal documents internal fields do not exist; for
    every document but a confidential attachment the confidential (`sekretess`) fields do not.

    `attachments`: the confidential attachments made with the document of this section (they are
    numbered in its list of attachments, and an attachment finds its own number there).
    """
    root = {"type": "dict", "schema": schema}
    data = fill_optional(data, root)
    if not template.confidential:
        data = strip_marked(data, root, "sekretess")
    if not template.internal:
        data = strip_internal(data, root)
        # A confidential attachment shows the personnummer it exists for, unless the profile says mask.
        spare = "sekretess" if template.confidential and (profile.get("sekretess") or {}).get("bilaga_personnummer", "visa") == "visa" else None
        data = mask(data, public_numbers(data), root, spare)
    section = data.get(section_key(template.section_id)) or {}
    contract = data.get("avtal") or {}
    responsible = board(profile, contract.get("namnd", "")) or {"id": contract.get("namnd", ""), "namn": contract.get("namnd", "")}
    letter = letter_context(data, section, responsible["namn"], profile, list(attachments))
    own = next((item for item in letter["bilagor"] if item["id"] == template.id), None)
    date = section.get("datum") or (data.get("arende") or {}).get("startdatum")  # the document's date
    return {
        **data,
        "dokument": section,
        "mall": template.as_context(),
        "org": profile,
        "namnd": responsible,
        "avvikelse": {d["id"]: d for d in data.get("avvikelser") or []},
        "data_hash": data_hash,
        "uppfoljning": case_type_wording(data),
        "mandat": mandates(profile),
        "brev": letter,
        "bilaga": own,
        "lage": situation(data, schema, date),
        **template_own(template),
    }


def template_own(template: DocumentTemplate) -> dict[str, Any]:
    """What a template brings beside itself: `handbok` (handbok.yaml) and, for a multilingual
    template, `sprak` (the document's language and its texts; Swedish when none is chosen)."""
    from . import languages

    own: dict[str, Any] = {}
    data = handbook_data(template)
    if data is not None:
        own["handbok"] = data
    if languages.is_multilingual(template):
        own["sprak"] = languages.language(template, template.language or languages.SWEDISH)
    return own
