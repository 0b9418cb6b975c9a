"""Documents in several languages: the translated texts beside a template, one file per language.

A template whose folder has a `sprak/` folder is multilingual: `sprak/<kod>.yaml` holds one
language's texts (`text:`) and what the formats need to know about it (`sprak:` — its name, its
BCP 47 tag, its direction, the Babel locale and date pattern). The case asks for languages in its
section's `sprak` list; each becomes a document of its own (`<id>-<kod>`, Swedish keeps `<id>`), so
the manifest, the hand-edit guard and incremental rendering treat every language as one file set.

Nothing here imports a rendering engine: `validate` checks the languages asked for.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from .case import Source, read_yaml
from .errors import InputError, Problem
from .schema import section_key
from .templates import DocumentTemplate

LANGUAGES = "sprak"  # the folder beside a template, and the section field naming the languages asked for
SWEDISH = "sv"  # the original: its document keeps the template's id
DIRECTIONS = ("ltr", "rtl")
REQUIRED = ("namn", "eget_namn", "lang", "riktning", "locale")


def language_folder(template: DocumentTemplate) -> Path:
    return template.folder / LANGUAGES


def is_multilingual(template: DocumentTemplate) -> bool:
    """A template with translated texts beside it (`sprak/`)."""
    return language_folder(template).is_dir()


def available(template: DocumentTemplate) -> dict[str, Path]:
    """Language code -> its text file, for every `sprak/<kod>.yaml` beside the template."""
    folder = language_folder(template)
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


@cache
def _load(path: Path) -> dict[str, Any]:
    source = read_yaml(path, what="språkfilen")
    problems = language_problems(source)
    if problems:
        raise InputError("\n".join(str(p) for p in problems))
    data: dict[str, Any] = source.data
    return data


def language_problems(source: Source) -> list[Problem]:
    """What is wrong with one language file: its `sprak:` facts and a `text:` of strings."""
    data = source.data if isinstance(source.data, dict) else {}
    facts, texts = data.get("sprak"), data.get("text")
    problems: list[Problem] = []
    if not isinstance(facts, dict):
        return [source.problem(("sprak",), "språkfilen saknar 'sprak:' (namn, eget_namn, lang, riktning, locale)")]
    for key in REQUIRED:
        if not isinstance(facts.get(key), str) or not facts[key].strip():
            problems.append(source.problem(("sprak", key), f"'{key}' saknas eller är tomt"))
    if facts.get("riktning") not in DIRECTIONS:
        problems.append(source.problem(("sprak", "riktning"), "riktning ska vara ltr (vänster till höger) eller rtl (höger till vänster)"))
    if not isinstance(texts, dict) or not texts:
        problems.append(source.problem(("text",), "språkfilen saknar 'text:' med dokumentets texter"))
    else:
        for key, value in texts.items():
            if not isinstance(value, str):
                problems.append(source.problem(("text", key), "en text ska vara en sträng"))
    return problems


def language(template: DocumentTemplate, code: str) -> dict[str, Any]:
    """One language of a multilingual template, as its templates see it: `sprak` in the context."""
    path = available(template).get(code)
    if path is None:
        raise InputError(f"{language_folder(template)}: det finns ingen översättning till '{code}' för '{template.template_id}'")
    data = _load(path)
    facts = data["sprak"]
    return {
        "kod": code,
        "namn": facts["namn"],
        "eget_namn": facts["eget_namn"],
        "lang": facts["lang"],
        "riktning": facts["riktning"],
        "locale": facts["locale"],
        "datumformat": facts.get("datumformat") or "d MMMM y",
        "text": dict(data["text"]),
    }


def missing_texts(template: DocumentTemplate) -> list[Problem]:
    """Every text key the Swedish file has and another language lacks (a handbook owner's check)."""
    files = available(template)
    if SWEDISH not in files:
        return [Problem(str(language_folder(template)), 1, "", "den svenska texten (sv.yaml) saknas")]
    keys = set(_load(files[SWEDISH])["text"])
    problems = []
    for path in files.values():
        lacking = sorted(keys - set(_load(path)["text"]))
        if lacking:
            problems.append(Problem(str(path), 1, "text", f"saknar {', '.join(lacking)} (finns i sv.yaml)"))
    return problems


def requested(data: dict[str, Any], template: DocumentTemplate) -> list[Any]:
    """The language codes the case asks for in the template's section; Swedish always comes first."""
    section = data.get(section_key(template.section_id))
    asked = section.get(LANGUAGES) if isinstance(section, dict) else None
    codes = [c for c in asked if isinstance(c, str)] if isinstance(asked, list) else []
    return list(dict.fromkeys([SWEDISH, *codes]))


def variant(template: DocumentTemplate, code: str) -> DocumentTemplate:
    """The document of one language: `<id>-<kod>`, Swedish `<id>`; made from the same template and section."""
    ident = template.id if code == SWEDISH else f"{template.id}-{code}"
    return replace(template, id=ident, base=template.template_id, language=code)


def expand(documents: list[DocumentTemplate], data: dict[str, Any], source: Source) -> tuple[list[DocumentTemplate], list[Problem]]:
    """Each multilingual document once per language the case asks for; a language without a
    translation beside the template is an error naming the line that asks for it."""
    out: list[DocumentTemplate] = []
    problems: list[Problem] = []
    for document in documents:
        if document.language is not None or not is_multilingual(document):
            out.append(document)
            continue
        files = available(document)
        key = section_key(document.section_id)
        section = data.get(key)
        asked = section.get(LANGUAGES) if isinstance(section, dict) else None
        for index, code in enumerate(asked if isinstance(asked, list) else []):
            if isinstance(code, str) and code not in files:
                known = ", ".join(f"{c} ({_load(p)['sprak']['namn']})" for c, p in files.items())
                problems.append(source.problem((key, LANGUAGES, index),
                                               f"det finns ingen översättning till '{code}' av dokumentet '{document.id}'; "
                                               f"lägg till {language_folder(document).name}/{code}.yaml bredvid mallen eller välj bland {known}"))
        for code in requested(data, document):
            if code in files:
                out.append(variant(document, code))
    return out, problems
