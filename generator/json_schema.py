"""`mallgen schema`: a JSON Schema (2020-12) of case and team files, made from the Cerberus schemas.

Editors with a YAML language server (VS Code and others) read it to complete field names, show the
Swedish descriptions, offer the allowed values and mark a misspelt key while a file is typed. It is
derived, never kept by hand: the Cerberus schemas and the templates' front matter are the source.
What JSON Schema cannot say (check digits, dates in order, the handbook's rules) stays with
`mallgen validate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .schema import DEFINITIONS, PROFILE_SCHEMA, case_schema, find_schema, section_key, team_schema
from .templates import AUDIENCES, CASE_TYPES, DocumentTemplate, catalogue, handbook_section

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FILE_NAME = "mallgen.schema.json"
REPORT = "rapportunderlag"  # the name skeletons point to, beside the file being edited
TITLE = "mallgen – ärendefil, teamunderlag, rapportfil eller organisationsprofil"

# Shapes of identifiers whose check digits only `mallgen validate` can check.
_CHECK_PATTERNS = {
    "orgnr": r"^(16)?\d{6}-?\d{4}$",
    "personnummer": r"^(\d{2})?\d{6}[-+]?\d{4}$",
    "hsaid": r"^SE\d{10}-[A-Za-z0-9]{1,20}$",
}
_CHECK_NOTES = {
    "orgnr": "Organisationsnummer NNNNNN-NNNN; kontrollsiffran kontrolleras av mallgen validate.",
    "personnummer": "Personnummer ÅÅÅÅMMDD-NNNN; maskeras i dokument som lämnar teamet.",
    "hsaid": "HSA-id: SE<organisationsnummer>-<suffix>.",
    "diarienummer": "Följer organisationsprofilens diarienummermönster (kontrolleras av mallgen validate).",
    "avvikelse_ref": "Id för en avvikelse under 'avvikelser'.",
}


def export(dirs: tuple[Path, ...], schema_dirs: list[Path]) -> dict[str, Any]:
    """The JSON Schema of every file `mallgen validate` and `mallgen render` read, as a dict."""
    templates = catalogue(dirs)
    by_source: dict[str, list[DocumentTemplate]] = {}
    for template in templates.values():
        by_source.setdefault(template.source, []).append(template)
    definitions = find_schema(DEFINITIONS, schema_dirs) or {}
    # A case's sections and a team file's are titled by their own documents (a routine case's
    # `verksamhetsbedomning` is its traffic light, the team file's the document's section).
    convert = _Converter(definitions, {section_key(t.id): t for t in by_source.get("arende", [])})
    team_convert = _Converter(definitions, {section_key(t.id): t for t in by_source.get("team", [])})
    case_documents = by_source.get("arende", [])
    case = convert.object(case_schema([t.id for t in case_documents], set(), schema_dirs))
    case["title"] = "Ärendefil"
    case["description"] = "Ett ärende i löpande eller fördjupad uppföljning, med en sektion per dokument."
    restrictions = _case_type_restrictions(case_documents)
    if restrictions:
        case["allOf"] = restrictions
    team = team_convert.object(team_schema([t.id for t in by_source.get("team", [])], schema_dirs))
    team["title"] = "Teamunderlag"
    team["description"] = "Ett teams underlag för ett år: planering, årssummering och underlag till den samlade återrapporteringen."
    report = convert.object(find_schema(REPORT, schema_dirs) or {})
    report["title"] = "Rapportfil"
    report["description"] = "Det som gäller hela den samlade återrapporteringen för ett år (mallgen report)."
    profile = convert.object(find_schema(PROFILE_SCHEMA, schema_dirs) or {})
    profile["title"] = "Organisationsprofil"
    profile["description"] = "Regionens uppgifter: namn, nämnder, brevhuvud, diarienummermönster och arkivformat."
    # The kind of file is told by its first key, as 'mallgen report' tells them apart.
    kinds = [("team", "teamunderlag"), ("rapport", "rapportfil"), ("namnder", "organisation")]
    choice: dict[str, Any] = {"$ref": "#/$defs/arendefil"}
    for key, name in reversed(kinds):
        choice = {"if": {"required": [key]}, "then": {"$ref": f"#/$defs/{name}"}, "else": choice}
    return {
        "$schema": DRAFT,
        "title": TITLE,
        "description": ("Skapad av 'mallgen schema' ur mallgens scheman. En ärendefil börjar med 'arende:', ett teamunderlag "
                        "med 'team:', en rapportfil med 'rapport:'; organisationsprofilen har 'namnder:'."),
        "type": "object",
        **choice,
        "$defs": {
            "arendefil": case,
            "teamunderlag": team,
            "rapportfil": report,
            "organisation": profile,
            **{name: convert.object(fields) for name, fields in sorted(definitions.items())},
        },
    }


def to_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def _case_type_restrictions(documents: list[DocumentTemplate]) -> list[dict[str, Any]]:
    """A section whose document serves only one case type is not allowed in a case of the other."""
    out = []
    for kind in CASE_TYPES:
        excluded = sorted(section_key(t.id) for t in documents if kind not in t.case_types)
        if excluded:
            out.append({
                "if": {"properties": {"arende": {"properties": {"typ": {"const": kind}}, "required": ["typ"]}}, "required": ["arende"]},
                "then": {"properties": {key: False for key in excluded}},
            })
    return out


class _Converter:
    """Cerberus rules to JSON Schema, with the Swedish descriptions from `meta`."""

    def __init__(self, definitions: dict[str, Any], sections: dict[str, DocumentTemplate]) -> None:
        self.definitions = definitions
        self.sections = sections  # section key -> template, for the sections' titles

    def object(self, fields: dict[str, Any], top: bool = True) -> dict[str, Any]:
        properties = {}
        for key, rule in fields.items():
            if not isinstance(rule, dict):
                continue
            converted = self.rule(rule)
            template = self.sections.get(key) if top else None
            if template is not None:
                converted["title"] = template.title
                converted["description"] = _join(
                    f"{template.title} (handboken {handbook_section(template.section)}); målgrupp: {AUDIENCES[template.audience].lower()}. "
                    f"Fyll i när {'ärendet når det steget' if template.source == 'arende' else 'teamet har uppgifterna'}; "
                    f"skapas som dokumentet {template.id}.",
                    converted.get("description"),
                )
            properties[key] = converted
        out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        # A field with a default is filled in by the validator (Cerberus normalises before it checks).
        required = [k for k, r in fields.items() if isinstance(r, dict) and r.get("required") and "default" not in r]
        if required:
            out["required"] = required
        return out

    def rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        kind, sub = rule.get("type"), rule.get("schema")
        out: dict[str, Any]
        if kind == "list":
            out = {"type": "array"}
            if isinstance(sub, dict):
                out["items"] = self.rule(sub)
            if "minlength" in rule:
                out["minItems"] = rule["minlength"]
            if "maxlength" in rule:
                out["maxItems"] = rule["maxlength"]
        elif kind == "dict" or (kind is None and sub is not None):
            if isinstance(sub, str):
                out = {"$ref": f"#/$defs/{sub}"}
            elif isinstance(sub, dict):
                out = self.object(sub, top=False)
            else:
                out = {"type": "object"}
                if isinstance(rule.get("valuesrules"), dict):
                    out["additionalProperties"] = self.rule(rule["valuesrules"])
                if isinstance(rule.get("keysrules"), dict):
                    out["propertyNames"] = self.rule(rule["keysrules"])
        elif kind == "date":
            out = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
        elif kind in ("string", "integer", "boolean", "number"):
            out = {"type": kind}
        else:
            out = {}
        if kind == "string":
            if rule.get("empty") is False:
                out["minLength"] = 1
            if "minlength" in rule:
                out["minLength"] = rule["minlength"]
            if "maxlength" in rule:
                out["maxLength"] = rule["maxlength"]
            pattern = rule.get("regex") or _CHECK_PATTERNS.get(str(rule.get("check_with")))
            if pattern:
                out["pattern"] = _anchored(pattern)
        if "min" in rule:
            out["minimum"] = rule["min"]
        if "max" in rule:
            out["maximum"] = rule["max"]
        if "allowed" in rule:
            out["enum"] = list(rule["allowed"])
        if "default" in rule and not isinstance(rule["default"], dict):
            out["default"] = rule["default"]
        if rule.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"]
        description = _description(rule)
        if description:
            out["description"] = description
        return out


def _description(rule: dict[str, Any]) -> str | None:
    meta: dict[str, Any] = rule["meta"] if isinstance(rule.get("meta"), dict) else {}
    parts = []
    if rule.get("intern"):
        parts.append("INTERNT: lämnar aldrig teamet.")
    if meta.get("beskrivning"):
        parts.append(_sentence(str(meta["beskrivning"])))
    if rule.get("check_with") in _CHECK_NOTES:
        parts.append(_CHECK_NOTES[rule["check_with"]])
    if meta.get("fritext"):
        parts.append("Markdown är tillåtet (listor, fetstil, länkar, tabeller).")
    return " ".join(parts) or None


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _anchored(pattern: str) -> str:
    """Cerberus matches a regex against the whole value; JSON Schema searches, so anchor it."""
    if pattern.startswith("^") and pattern.endswith("$"):
        return pattern
    return f"^(?:{pattern})$"


def write_schema(path: Path, text: str) -> bool:
    """Write the schema file; an earlier mallgen schema is replaced, any other file is left alone.

    Returns False when the file already held exactly this schema.
    """
    from .errors import OutputError, os_reason

    if path.exists():
        try:
            old = path.read_text(encoding="utf-8")
            ours = json.loads(old).get("title") == TITLE
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise OutputError(f"{path}: filen finns redan och är inte ett schema från mallgen; den skrivs inte över. Välj ett annat namn med -o.")
        if old == text:
            return False
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError(f"{path}: kan inte skriva filen ({os_reason(exc)}).") from None
    return True
