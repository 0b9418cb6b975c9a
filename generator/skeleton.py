"""`mallgen new`: commented skeletons generated from the schemas, so they cannot drift from them.

Every field comes from a Cerberus schema: its `meta.beskrivning` becomes the comment above it, its
`allowed` values are listed, its `meta.exempel` (or a placeholder made from its type) becomes the
value. Required fields are filled in, optional ones are commented out with "# ", and each document
made from the file gets its own commented section, titled from the template's front matter. A
skeleton validates as it is, and again with any section or every optional field uncommented.

Schema conventions the generator reads (besides Cerberus' own rules):
  meta.beskrivning   the Swedish description (also in the JSON Schema)
  meta.exempel       the placeholder value; needed where a pattern, a check or another field
                     constrains the value (dates in order, times, e-mail, ids)
  meta.skelett: ifylld   an optional field shown filled in (other sections refer to it)
A field checked as a personnummer is never given a placeholder: no skeleton holds one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from .errors import OutputError, UsageError, os_reason
from .json_schema import FILE_NAME
from .placeholders import Placeholders, fields_of, placeholder, placeholder_context, skipped
from .schema import PROFILE_SCHEMA, case_schema, find_schema, schema_dirs, section_key, team_schema
from .templates import CASE_TYPES, SOURCE_NAME, DocumentTemplate, catalogue, handbook_section, template_dirs

KINDS = ("fordjupad", "lopande", "team", "organisation", "mall")
WIDTH = 96
_AUDIENCE_PHRASES = {
    "intern": "Internt dokument",
    "extern": "Skickas till vårdgivaren",
    "namnd": "Ställs till ansvarig nämnd eller styrelse",
}

_INTRO_CASE = """\
Så här fyller du i filen:
  1. Fyll i grunduppgifterna nedan. Byt ut varje "Ange ..." och varje platshållare (datum
     2026-01-01, diarienummer, postnummer och så vidare); validate pekar ut dem som står kvar.
  2. Rader som börjar med "# " följt av ett fältnamn, till exempel "# titel: ...", är valfria
     fält. Ta bort "# " för att använda fältet.
  3. Längst ner finns en sektion per dokument. De är bortkommenterade tills ärendet når
     det steget. Ta då bort "# " i början av sektionens rader och fyll i uppgifterna.
     mallgen skapar bara de dokument vars sektion finns i filen.
  4. Kontrollera filen med   mallgen validate <filen>
     och skapa dokumenten med   mallgen render <filen>
     Så länge ingen dokumentsektion är ifylld svarar validate att ärendet inte har uppgifter
     för något dokument. Det är väntat för en ny fil.

Datum skrivs ÅÅÅÅ-MM-DD. Fält märkta "Markdown" får innehålla listor,
**fetstil**, länkar och tabeller; skriv dem efter "|" på egna rader med indrag. Fält märkta
"INTERNT" lämnar aldrig teamet: de tas bort ur dokument till vårdgivaren och till nämnden.
Alla dokument och sektioner: se 'mallgen documents'. Med schemat (första raden; skapa det
med 'mallgen schema -o mallgen.schema.json') fyller en redigerare med YAML-stöd i fältnamnen
och visar beskrivningarna medan du skriver."""

_TITLES = {
    "fordjupad": "Ärendefil för en fördjupad uppföljning (skapad med 'mallgen new fordjupad').",
    "lopande": "Ärendefil för löpande uppföljning av ett avtal under ett år (skapad med 'mallgen new lopande').",
    "team": "Teamunderlag för ett år (skapat med 'mallgen new team').",
    "organisation": "Organisationsprofil (skapad med 'mallgen new organisation').",
}
_INTRO_TEAM = """\
Ett teamunderlag per team och avtalsområde och år. Fyll i det som krävs; rader som börjar
med "# " följt av ett fältnamn är valfria fält (ta bort "# " för att använda dem). Siffror
om uppföljda avtal, åtgärder och handlingsplaner räknas fram ur ärendefilerna av
'mallgen report'. Kontrollera teamets dokument med 'mallgen validate <filen>' och skapa dem
med 'mallgen render <filen>'; kontrollera siffrorna med
mallgen report --year ÅÅÅÅ <filen> --kontrollera"""
_INTRO_PROFILE = """\
Allt som skiljer en region från en annan står här; mallarna behöver inte ändras. Rader som
börjar med "# " följt av ett fältnamn är valfria fält. Lägg filen som organisation.yaml
bredvid ärendefilerna, eller ange den med --organisation eller fältet 'organisation:'."""


def skeleton(kind: str, templates: Path | None = None) -> str:
    """The skeleton of a case file (`fordjupad`, `lopande`), a team file or an organisation profile."""
    kind = kind.lower()
    dirs = tuple(template_dirs(templates))
    sdirs = schema_dirs(templates)
    context = _context(sdirs)
    lines = [f"# yaml-language-server: $schema={FILE_NAME}", *_comment(_TITLES[kind], 0), "#"]
    if kind in CASE_TYPES:
        lines += _comment(_INTRO_CASE, 0)
        documents = [t for t in catalogue(dirs).values() if t.source == "arende" and kind in t.case_types]
        schema = case_schema([t.id for t in documents], set(), sdirs)
        lines += _file(schema, {section_key(t.id): t for t in documents}, context, {("arende", "typ"): kind}, skip_kind=kind)
    elif kind == "team":
        lines += _comment(_INTRO_TEAM, 0)
        documents = [t for t in catalogue(dirs).values() if t.source == "team"]
        schema = team_schema([t.id for t in documents], sdirs)
        lines += _file(schema, {section_key(t.id): t for t in documents}, context, {})
    elif kind == "organisation":
        lines += _comment(_INTRO_PROFILE, 0)
        lines += _file(find_schema(PROFILE_SCHEMA, sdirs) or {}, {}, context, {})
    else:
        raise UsageError(f"okänd typ '{kind}'; välj bland {', '.join(KINDS)}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _context(sdirs: list[Path]) -> Placeholders:
    return placeholder_context(sdirs)


def _file(schema: dict[str, Any], sections: dict[str, DocumentTemplate], context: Placeholders,
          fixed: dict[tuple[str, ...], Any], skip_kind: str | None = None) -> list[str]:
    """The top-level fields, one group each, then the document sections, commented out."""
    lines: list[str] = []
    for key, rule in schema.items():
        if key in sections or not isinstance(rule, dict) or _excluded(rule, skip_kind):
            continue
        lines.append("")
        lines += _field(key, rule, 0, context, fixed, (key,), skip_kind)
    if sections:
        lines += ["", "", *_comment("=" * (WIDTH - 2), 0), *_comment(
            "DOKUMENTSEKTIONER\nEn sektion per dokument. Ta bort \"# \" i början av sektionens rader (från sektionens namn "
            "till nästa tomma rad) när ärendet når det steget. Rader som då fortfarande börjar med \"# \" följt av ett "
            "fältnamn är valfria fält.", 0), *_comment("=" * (WIDTH - 2), 0)]
    for key, template in sections.items():
        rule = schema.get(key)
        if not isinstance(rule, dict):
            continue
        heading = (f"{template.title} (handboken {handbook_section(template.section)}). {_AUDIENCE_PHRASES[template.audience]}; "
                   f"skapas som dokumentet {template.id}.")
        extra = _meta(rule).get("beskrivning")
        lines += ["", *_comment(heading + (f" {extra}" if extra else ""), 0)]
        body = _value_lines(key, rule, 0, context, fixed, (key,), skip_kind, visible=True)
        lines += _commented(body, 0)
    return lines


def _excluded(rule: dict[str, Any], kind: str | None) -> bool:
    """A base field marked for one case type (`meta.arendetyp`) is left out of the other's skeleton."""
    types = _meta(rule).get("arendetyp")
    return kind is not None and isinstance(types, list) and kind not in types


def _meta(rule: dict[str, Any]) -> dict[str, Any]:
    meta = rule.get("meta")
    return meta if isinstance(meta, dict) else {}


def _shown(rule: dict[str, Any]) -> bool:
    """Filled in (True) or commented out (False)."""
    return bool(rule.get("required")) or _meta(rule).get("skelett") == "ifylld"


def _field(key: str, rule: dict[str, Any], indent: int, context: Placeholders, fixed: dict[tuple[str, ...], Any],
           path: tuple[str, ...], skip_kind: str | None, visible: bool = True, complete: bool = False) -> list[str]:
    """A field with its description: filled in when required, else commented out.

    `visible`: the field's container is filled in (or becomes so when its section is uncommented);
    only then may a text be a `|` block, whose lines a reader uncommenting field by field would miss.
    `complete`: inside a commented-out group every field is written out, so removing the one
    level of "# " gives a whole group.
    """
    shown = complete or _shown(rule)
    body = _value_lines(key, rule, indent, context, fixed, path, skip_kind, visible and shown, complete or not shown)
    return _comment(_describe(rule), indent) + (body if shown else _commented(body, indent))


def _value_lines(key: str, rule: dict[str, Any], indent: int, context: Placeholders, fixed: dict[tuple[str, ...], Any],
                 path: tuple[str, ...], skip_kind: str | None, visible: bool, complete: bool = False) -> list[str]:
    pad = " " * indent
    key = _key(key)
    example = _meta(rule).get("exempel")
    if isinstance(example, dict):  # a group shown by its example (the delegation order: one line, not nineteen)
        dumped = yaml.safe_dump({key: example}, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
        return [pad + line for line in dumped.splitlines()]
    fields = fields_of(rule, context)
    if fields is not None:
        out = [f"{pad}{key}:"]
        for sub_key, sub_rule in fields.items():
            if isinstance(sub_rule, dict) and not _skipped(sub_rule) and not _excluded(sub_rule, skip_kind):
                out += _field(sub_key, sub_rule, indent + 2, context, fixed, (*path, sub_key), skip_kind, visible, complete)
        return out
    if rule.get("type") == "list":
        items: dict[str, Any] = rule["schema"] if isinstance(rule.get("schema"), dict) else {}
        example = _meta(rule).get("exempel")
        out = [f"{pad}{key}:"]
        item_fields = fields_of(items, context)
        if item_fields is not None:
            out += _item(item_fields, indent + 2, context, fixed, path, skip_kind, visible, complete)
        else:
            values = example if isinstance(example, list) else [_scalar(items, context, fixed, path)]
            out += [f"{pad}  - {_dump(v)}" for v in values]
        return out
    value = fixed.get(path, _scalar(rule, context, fixed, path))
    if _meta(rule).get("fritext") and visible and isinstance(value, str):
        return [f"{pad}{key}: |", f"{pad}  {value}"]
    return [f"{pad}{key}: {_dump(value)}"]


def _key(key: str) -> str:
    """A key as YAML reads it back as text: `'2a'` and `'0'` quoted where needed."""
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else _dump(key)


def _item(fields: dict[str, Any], indent: int, context: Placeholders, fixed: dict[tuple[str, ...], Any],
          path: tuple[str, ...], skip_kind: str | None, visible: bool, complete: bool) -> list[str]:
    """One list item: `- first: …` with the other fields below it; a required field goes first."""
    keys = [k for k, r in fields.items() if isinstance(r, dict) and not _skipped(r) and not _excluded(r, skip_kind)]
    first = next((k for k in keys if fields[k].get("required")), keys[0])
    keys.remove(first)
    rule = {**fields[first], "required": True}
    body = _value_lines(first, rule, indent + 2, context, fixed, (*path, first), skip_kind, visible, complete)
    lines = _comment(_describe(rule), indent) + [" " * indent + "- " + body[0][indent + 2:], *body[1:]]
    for key in keys:
        lines += _field(key, fields[key], indent + 2, context, fixed, (*path, key), skip_kind, visible, complete)
    return lines


def _skipped(rule: dict[str, Any]) -> bool:
    return skipped(rule)


def _scalar(rule: dict[str, Any], context: Placeholders, fixed: dict[tuple[str, ...], Any], path: tuple[str, ...]) -> Any:
    return placeholder(rule, context, path)


def _describe(rule: dict[str, Any]) -> str:
    meta = _meta(rule)
    parts = []
    if rule.get("intern"):
        parts.append("INTERNT.")
    if meta.get("beskrivning"):
        text = str(meta["beskrivning"]).strip()
        parts.append(text if text.endswith((".", "?", "!")) else text + ".")
    if meta.get("fritext"):
        parts.append("Markdown.")
    allowed = rule.get("allowed")
    if allowed and len(allowed) > 1:
        parts.append(f"Tillåtna värden: {', '.join(str(a) for a in allowed)}.")
    if rule.get("intern"):
        parts.append("Lämnar aldrig teamet.")
    return " ".join(parts)


_FIELD_LIKE = re.compile(r"(?:[a-z_]+:(?:\s|$)|- )")


def _comment(text: str, indent: int) -> list[str]:
    """`# `-comment lines at `indent`, wrapped; kept paragraphs and indentation of the text."""
    pad = " " * indent + "#"
    out: list[str] = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            out.append(pad)
            continue
        lead = len(paragraph) - len(paragraph.lstrip())
        wrapped = textwrap.wrap(paragraph.strip(), width=WIDTH - indent - 2 - lead, break_on_hyphens=False) or [""]
        if _FIELD_LIKE.match(wrapped[0]):
            wrapped[0] = wrapped[0][0].upper() + wrapped[0][1:]
        for n in range(1, len(wrapped)):
            # A comment line that starts like a field ("steget: ...", "- ...") would turn into one
            # when the reader removes "# "; the last word of the line above keeps it a sentence.
            if _FIELD_LIKE.match(wrapped[n]) and " " in wrapped[n - 1]:
                head, word = wrapped[n - 1].rsplit(" ", 1)
                wrapped[n - 1], wrapped[n] = head, f"{word} {wrapped[n]}"
        out += [f"{pad} {' ' * lead}{chunk}".rstrip() for chunk in wrapped]
    return out if text else []


def _commented(lines: list[str], indent: int) -> list[str]:
    """The same lines commented out at `indent`, so removing "# " restores them."""
    return [line[:indent] + "# " + line[indent:] for line in lines]


def _dump(value: Any) -> str:
    """A scalar as YAML that reads back as the same value and type."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def write_skeleton(kind: str, path: Path, templates: Path | None = None) -> list[Path]:
    """Write the skeleton (never over an existing file: it may hold someone's case), and the JSON
    Schema it points to beside it when none is there yet. Returns the files written."""
    text = skeleton(kind, templates)
    written = [_write_new(path, text)]
    schema_file = path.parent / FILE_NAME
    if not schema_file.exists():
        from .json_schema import export, to_json

        written.append(_write_new(schema_file, to_json(export(tuple(template_dirs(templates)), schema_dirs(templates)))))
    return written


def _write_new(path: Path, text: str) -> Path:
    try:
        with open(path, "x", encoding="utf-8") as stream:
            stream.write(text)
    except FileExistsError:
        raise OutputError(f"{path}: filen finns redan och skrivs inte över. Välj ett annat namn med -o.") from None
    except OSError as exc:
        raise OutputError(f"{path}: kan inte skriva filen ({os_reason(exc)}).") from None
    os.chmod(path, 0o644)
    return path


# --- a new template folder (mallgen new mall ID) ------------------------------------------------

_TEMPLATE_SCHEMA = """\
# {titel}: vad dokumentet kräver av ärendet, under '{key}:' i ärendefilen.
# Varje fält: type (string, date, integer, boolean, list, dict), required: true för det som
# måste finnas, och meta.beskrivning (visas i 'mallgen new' och i redigerarens schema).
# Fritext i Markdown: meta.fritext: true. Platshållare i skelett och exempel: meta.exempel.
type: dict
schema:
  datum: {{type: date, required: true, meta: {{beskrivning: "Dokumentets datum"}}}}
  sammanfattning: {{type: string, required: true, meta: {{fritext: true, beskrivning: "Det viktigaste i dokumentet", exempel: "Skriv dokumentets text här."}}}}
"""

_TEMPLATE_SOURCE = """\
---
id: {id}
titel: {titel}
avsnitt: "{avsnitt}"
malgrupp: intern
version: "1.0"
giltig_fran: {giltig_fran}
---
{{#- {titel}. Context: the case (arende, vardgivare, avtal, personer, ...), this document's section
    as `dokument`, the organisation profile as `org`, the template itself as `mall`.
    Check with: mallgen check --mallar <folder>. -#}}
# {{{{ mall.titel }}}}

**Ärende:** {{{{ arende.rubrik }}}}\\
**Vårdgivare:** {{{{ vardgivare.namn }}}}\\
**Datum:** {{{{ dokument.datum | datum }}}}

## Sammanfattning

{{{{ dokument.sammanfattning | md }}}}

{{% include "_gemensamt/handlaggare.md" %}}
"""


def new_template(template_id: str, folder: Path, today: dt.date | None = None) -> list[Path]:
    """A new template folder `folder/<id>/` with front matter, a source, its schema stub and a sample.

    The schema goes to `folder/../schema/<id>.yaml` when that folder exists (the bundled layout),
    else to `folder/<id>.yaml` (a user's `--mallar` folder, where mallgen also looks for schemas).
    The sample's section is generated from the schema stub like any skeleton.
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", template_id):
        raise UsageError(f"id '{template_id}' får bara innehålla små bokstäver a–z, siffror och bindestreck")
    target = folder / template_id
    if target.exists():
        raise OutputError(f"{target}: finns redan och skrivs inte över. Välj ett annat id.")
    schema_folder = folder.parent / "schema" if (folder.parent / "schema").is_dir() else folder
    schema_path = schema_folder / f"{template_id}.yaml"
    if schema_path.exists():
        raise OutputError(f"{schema_path}: finns redan och skrivs inte över. Välj ett annat id.")
    key = section_key(template_id)
    title = "Ange dokumentets titel"
    schema_text = _TEMPLATE_SCHEMA.format(titel=title, key=key)
    try:
        target.mkdir(parents=True)
    except OSError as exc:
        raise OutputError(f"{target}: mappen kan inte skapas ({os_reason(exc)}).") from None
    written = [
        _write_new(target / SOURCE_NAME, _TEMPLATE_SOURCE.format(
            id=template_id, titel=title, avsnitt="Ange avsnitt i handboken", giltig_fran=(today or dt.date.today()).isoformat())),
        _write_new(schema_path, schema_text),
    ]
    rule = yaml.safe_load(schema_text)
    context = _context(schema_dirs())
    section = _value_lines(key, rule, 0, context, {(key, "datum"): today or dt.date.today()}, (key,), None, visible=True)
    sample = [
        f"# Exempel för mallen {template_id}: grundexemplet (bas) med dokumentets sektion ovanpå.",
        "# 'mallgen check' kontrollerar det mot schemat, skapar dokumentet och jämför texten med",
        "# exempel.godkand.md bredvid (godkänn en ny text med 'mallgen check --godkann').",
        "bas: fordjupad",
        "",
        *section,
    ]
    written.append(_write_new(target / "exempel.yaml", "\n".join(sample) + "\n"))
    return written


__all__ = ["KINDS", "new_template", "skeleton", "write_skeleton"]
