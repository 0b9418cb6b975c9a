"""`mallgen check`: everything a handbook owner needs to know about the templates, without a case.

For every template in the checked folder (the bundled templates, or only a user's `--mallar`
folder), and for each of its superseded versions:
- front matter: complete, valid, the version file named after its version, validities that do
  not overlap;
- the static walk of `template_lint` (syntax, names and fields against the schema, internal
  fields, unguarded optional fields, filters and tests);
- accessibility of the template itself: one title, heading levels in order, alt text on images,
  a header on every table column;
and then the template's sample (`samples`) is rendered to Markdown and compared with the
accepted text beside it. Every finding is a `Problem` (FILE:LINE: message); a changed text also
carries a readable diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import DataError, MallgenError, Problem, TemplateError, working_on
from .resources import bundled
from .samples import BASELINE, SAMPLE, baseline_path, render_sample
from .schema import DEFINITIONS, PROFILE_SCHEMA, case_schema, find_schema, schema_dirs, section_key, team_schema
from .team import assessment_schema
from .template_lint import ANY, TEXT, Field, Shape, dict_shape, lint_template, literal_dict, syntax_problems
from .templates import (
    FRONT_MATTER_KEYS,
    LAYOUT,
    SOURCE_NAME,
    VERSIONS,
    DocumentTemplate,
    catalogue,
    environment,
    front_matter,
    front_matter_lines,
    front_matter_text,
    handbook_data,
    parse_template,
    template_dirs,
)

DIFF_LINES = 60  # a longer difference is cut, with a count of what was left out


@dataclass
class Finding:
    """One problem, and for a changed sample text the diff that shows it."""

    problem: Problem
    detail: str = ""


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    templates: int = 0
    accepted: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if not f.problem.warning)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.problem.warning)


def check_templates(user_dir: Path | None = None, accept: bool = False) -> CheckResult:
    """Check every template of the user's folder (or the bundled ones); with `accept`, write each
    sample's current text as its accepted baseline."""
    dirs = tuple(template_dirs(user_dir))
    sdirs = schema_dirs(user_dir)
    folder = user_dir if user_dir is not None else bundled("mallar")
    result = CheckResult()
    problems: set[Problem] = set()
    details: dict[Problem, str] = {}
    try:
        known = catalogue(dirs)
    except TemplateError:
        known = {}  # a broken front matter is reported below, per template
    env = environment(dirs, "markdown")
    for source in sorted(folder.glob(f"*/{SOURCE_NAME}")):
        if source.parent.name.startswith("_"):
            continue
        result.templates += 1
        with working_on(source):
            _check_one(source, folder, known, env, sdirs, user_dir, accept, result, problems, details)
    for partial in sorted([*folder.glob("_*/*.md"), *folder.glob(f"{LAYOUT}/*.html")]):
        problems.update(syntax_problems(env, partial, partial.relative_to(folder).as_posix()))
    if user_dir is not None:
        problems.update(schema_problems(user_dir, sdirs))
        for word in sorted(user_dir.glob("*/base.docx")):
            if not _is_word_document(word):
                problems.add(Problem(str(word), 0, "", "Word-mallen kan inte läsas: den är ingen giltig DOCX-fil. "
                                     "Spara den på nytt som Word-dokument (.docx)"))
        css = user_dir / LAYOUT / "stil.css"
        if css.is_file():
            from .render import style_sheet

            try:
                style_sheet(css)
            except TemplateError as exc:
                problems.add(Problem(exc.path, exc.line or 0, "", str(exc).split(": mallfel: ", 1)[-1]))
    ordered = sorted(problems, key=lambda p: (p.file, p.line, p.warning, p.message))
    result.findings = [Finding(replace(p, file=shown_path(p.file)), details.get(p, "")) for p in ordered]
    return result


def _check_one(source: Path, folder: Path, known: dict[str, DocumentTemplate], env: Any, sdirs: list[Path], user_dir: Path | None,
               accept: bool, result: CheckResult, problems: set[Problem], details: dict[Problem, str]) -> None:
    """One template folder: its versions' front matter, the static walk, accessibility, its sample."""
    versions = [source, *sorted((source.parent / VERSIONS).glob("*.md"))]
    parsed: list[DocumentTemplate] = []
    for path in versions:
        problems.update(front_matter_problems(path))
        try:
            parsed.append(parse_template(path))
        except TemplateError:
            continue  # front_matter_problems said why
    problems.update(_validity_problems(parsed))
    static: set[Problem] = set()
    for template in parsed:
        static.update(accessibility_problems(template.path))
        if known:
            try:
                static.update(lint_template(env, template, context_root(template, known, sdirs)))
            except MallgenError:
                continue  # a schema that cannot be read: `schema_problems` names it
    problems.update(static)
    current = known.get(source.parent.name)
    broken = any(not p.warning and p.file == str(source) for p in static)
    if current is not None and current.path == source and not broken:  # a broken template's sample says nothing new
        found, detail, accepted = _sample(current, user_dir, accept)
        problems.update(found)
        details.update(detail)
        result.accepted += accepted


def _is_word_document(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as package:
            return "word/document.xml" in package.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def schema_problems(folder: Path, sdirs: list[Path]) -> list[Problem]:
    """Every schema file of a user's folder that cannot be used (YAML, rules, patterns), as problems."""
    from .errors import InputError

    problems = []
    for path in sorted(folder.glob("*.yaml")):
        with working_on(path):
            try:
                find_schema(path.stem, sdirs)
            except InputError as exc:
                for line in str(exc).splitlines():
                    match = _LOCATED.fullmatch(line)
                    where = (match["file"], int(match["line"]), match["message"]) if match else (str(path), 0, line.removeprefix(f"{path}: "))
                    problems.append(Problem(where[0], where[1], "", where[2]))
    return problems


def shown_path(file: str) -> str:
    """A path below the working folder as a relative path (shorter, and what the user typed)."""
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive on Windows
        return file
    return file if relative.startswith("..") or not os.path.isabs(file) else relative


# --- front matter and versions --------------------------------------------------------------------


def front_matter_problems(path: Path) -> list[Problem]:
    """What `parse_template` refuses, with the key's line, and what it lets pass but should not."""
    problems = []
    try:
        parse_template(path)
    except TemplateError as exc:
        message = str(exc).split(": mallfel: ", 1)[-1]
        return [Problem(str(path), exc.line or 1, "", message)]
    front = front_matter_text(path) or ""
    lines = front_matter_lines(front)
    meta: dict[str, Any] = front_matter(path, front)
    for key in meta:
        if key not in FRONT_MATTER_KEYS:
            problems.append(Problem(str(path), lines.get(key, 1), "", f"okänt fält '{key}' i front matter; kända fält: {', '.join(FRONT_MATTER_KEYS)}",
                                    warning=True))
    if not isinstance(meta.get("version"), str):
        problems.append(Problem(str(path), lines.get("version", 1), "", f"skriv versionen inom citattecken, version: \"{meta.get('version')}\" "
                                "(utan dem blir till exempel 1.10 talet 1.1)"))
    if not str(meta.get("titel") or "").strip():
        problems.append(Problem(str(path), lines.get("titel", 1), "", "titeln är tom"))
    if path.parent.name == VERSIONS and path.stem != str(meta.get("version")):
        problems.append(Problem(str(path), lines.get("version", 1), "",
                                f"filen för version {meta.get('version')} ska heta {VERSIONS}/{meta.get('version')}.md"))
    return problems


def _validity_problems(versions: list[DocumentTemplate]) -> list[Problem]:
    """Each date is covered by at most one version; superseded versions end; versions are distinct."""
    problems = []
    seen: dict[str, DocumentTemplate] = {}
    for template in versions:
        key_lines = front_matter_lines(front_matter_text(template.path) or "")
        if template.version in seen:
            problems.append(Problem(str(template.path), key_lines.get("version", 1), "",
                                    f"version {template.version} finns redan i {seen[template.version].path}"))
        seen.setdefault(template.version, template)
        if template.file != SOURCE_NAME and template.valid_to is None:
            problems.append(Problem(str(template.path), key_lines.get("giltig_fran", 1), "",
                                    "en äldre version behöver giltig_till (sista dagen den gäller)"))
    ordered = sorted(versions, key=lambda v: (v.valid_from, v.file == SOURCE_NAME))  # the current version last on a tie
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
            line = front_matter_lines(front_matter_text(later.path) or "").get("giltig_fran", 1)
            end = earlier.valid_to.isoformat() if earlier.valid_to else "tills vidare"
            problems.append(Problem(str(later.path), line, "",
                                    f"version {later.version} (från {later.valid_from.isoformat()}) överlappar version {earlier.version} "
                                    f"(giltig till {end}); sätt giltig_till på version {earlier.version}"))
        elif earlier.valid_to + dt.timedelta(days=1) < later.valid_from:
            line = front_matter_lines(front_matter_text(earlier.path) or "").get("giltig_till", 1)
            problems.append(Problem(str(earlier.path), line, "",
                                    f"ingen version gäller mellan {earlier.valid_to.isoformat()} och {later.valid_from.isoformat()}",
                                    warning=True))
    return problems


# --- the context a template sees, as shapes -------------------------------------------------------


def context_root(template: DocumentTemplate, known: dict[str, DocumentTemplate], sdirs: list[Path]) -> dict[str, Field]:
    """The names a template may use, by what it is made from (`underlag`), mirroring what
    `context.build_context` (case and team files) and `report.render_report` hand it."""
    definitions = find_schema(DEFINITIONS, sdirs) or {}
    mall = literal_dict({key: TEXT for key in template.as_context()})
    mall = Shape("dict", {**mall.fields, "giltig_till": Field(Shape("scalar", scalar="date"), optional=True)})
    profile = dict_shape(find_schema(PROFILE_SCHEMA, sdirs) or {}, definitions)
    common = {"mall": Field(mall), "org": Field(profile)}
    if template.source == "arsrapport":
        return {**common, **{name: Field(ANY) for name in ("rapport", "team", "avdelning", "diagram")}}
    ids = [t.id for t in known.values() if t.source == template.source]
    schema = team_schema(ids, sdirs) if template.source == "team" else case_schema(ids, set(), sdirs)
    data = dict_shape(schema, definitions)
    own = data.fields.get(section_key(template.section_id))
    root = {**data.fields, **common, "dokument": Field(own.shape if own else Shape("dict"))}
    root["namnd"] = Field(literal_dict({"id": TEXT, "namn": TEXT, "typ": TEXT}))
    root["data_hash"] = Field(TEXT)
    if template.source == "arende":
        root.update(letter_fields())
        if template.confidential:  # an attachment always knows its own entry in the list of attachments
            root["bilaga"] = replace(root["bilaga"], optional=False)
        deviations = data.fields.get("avvikelser")
        item = deviations.shape.item if deviations and deviations.shape.item else ANY
        root["avvikelse"] = Field(Shape("map", item=item))
        root["indikatorer"] = Field(Shape("list", item=indicator_table()))
        root.update(progress_fields(data, item))
    else:  # a team file (team.team_context)
        root["uppfoljning"] = letter_fields()["uppfoljning"]
        root["bedomningar"] = Field(Shape("list", item=dict_shape(assessment_schema(sdirs), definitions)))
    root.update(template_own_fields(template))
    return root


def indicator_table() -> Shape:
    """One table of `indikatorer` (indicators.provider_tables), as a shape."""
    number = Shape("scalar", scalar="number")
    row = literal_dict({"period": TEXT, "varde": number, "snitt": number, "antal": Shape("scalar", scalar="integer")})
    return literal_dict({"indikator": TEXT, "enhet": TEXT, "vardgivare": TEXT, "avtalsomrade": TEXT,
                         "jamforelse": Shape("scalar", scalar="boolean"), "decimaler": Shape("scalar", scalar="integer"),
                         "rader": Shape("list", item=row)})


def progress_fields(data: Shape, deviation: Shape) -> dict[str, Field]:
    """`lage` (`progress.situation`) and `diagram` (each chart's alt text, `charts.case_charts`), as shapes."""
    date = Shape("scalar", scalar="date")
    steps = data.fields.get("eskalering")
    step = steps.shape.item if steps and steps.shape.item else ANY
    deadline = literal_dict({"datum": date, "text": TEXT, "sektion": TEXT})
    deadline = Shape("dict", {**deadline.fields, "satt": Field(date, optional=True)})
    situation = Shape("dict", {
        "datum": Field(date), "steg": Field(step, optional=True),
        "trappan": Field(Shape("list", item=Shape("dict", {"steg": Field(TEXT), "datum": Field(date, optional=True),
                                                           "aktuellt": Field(Shape("scalar", scalar="boolean"))}))),
        "oppna_avvikelser": Field(Shape("list", item=deviation)), "tidsfrister": Field(Shape("list", item=deadline)),
    })
    return {"lage": Field(situation), "diagram": Field(Shape("map", item=TEXT))}


def template_own_fields(template: DocumentTemplate) -> dict[str, Field]:
    """`handbok` and `sprak` (context.template_own), as shapes."""
    from .languages import is_multilingual

    own: dict[str, Field] = {}
    if handbook_data(template) is not None:
        own["handbok"] = Field(ANY)
    if is_multilingual(template):
        facts = {key: TEXT for key in ("kod", "namn", "eget_namn", "lang", "riktning", "locale", "datumformat")}
        own["sprak"] = Field(Shape("dict", {**literal_dict(facts).fields, "text": Field(Shape("map", item=TEXT))}))
    return own


def letter_fields() -> dict[str, Field]:
    """The letter parts `context.build_context` adds for case documents (see `letters`), as shapes."""
    from .letters import CASE_TYPE_WORDING
    from .organisation import MEASURES

    wording = literal_dict({key: TEXT for key in next(iter(CASE_TYPE_WORDING.values()))})
    attachment = literal_dict({"nummer": Shape("scalar", scalar="integer"), "id": TEXT, "titel": TEXT, "sekretess": Shape("scalar", scalar="boolean")})
    signer = literal_dict({"namn": TEXT, "titel": TEXT})
    mandate = literal_dict({"atgard": TEXT, "namn": TEXT, "beslutar": Shape("list", item=TEXT), "samrad": Shape("list", item=TEXT),
                            "punkt": TEXT, "text": TEXT})
    letter = literal_dict({"kopia_till": Shape("list", item=TEXT), "bilagor": Shape("list", item=attachment),
                           "tjansteskrivelse_undertecknare": Shape("list", item=signer)})
    return {
        "uppfoljning": Field(wording),
        "mandat": Field(literal_dict(dict.fromkeys(MEASURES, mandate))),
        "brev": Field(letter),
        "bilaga": Field(attachment, optional=True),
    }


# --- accessibility of the template source ---------------------------------------------------------

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def accessibility_problems(path: Path) -> list[Problem]:
    """One title, heading levels in order, alt text on images, a header on every table column,
    read from the template's Markdown with the Jinja taken out (line numbers kept)."""
    from .render import markdown_parser

    text = path.read_text(encoding="utf-8")
    front = re.match(r"\A---\n.*?\n---\n", text, re.S)
    if front:
        text = "\n" * front.group(0).count("\n") + text[front.end():]
    text = _JINJA.sub(lambda m: "x" if m.group(0).startswith("{{") else "\n" * m.group(0).count("\n"), text)
    tokens = markdown_parser().parse(text)
    problems = []
    previous = 0
    titles = 0
    for index, token in enumerate(tokens):
        line = (token.map[0] + 1) if token.map else 0
        if token.type == "heading_open":
            level = int(token.tag[1])
            if level == 1:
                titles += 1
                if titles == 2:
                    problems.append(Problem(str(path), line, "", "mer än en huvudrubrik (#); ett dokument har en titel, använd ## för avsnitt"))
            elif previous == 0:
                problems.append(Problem(str(path), line, "", f"rubriken på nivå {level} kommer före huvudrubriken (# …)"))
            elif level > previous + 1:
                problems.append(Problem(str(path), line, "",
                                        f"rubriknivån hoppar från {previous} till {level}; använd {'#' * (previous + 1)} här"))
            previous = level
        elif token.type == "thead_open":
            cells = []
            for inner in tokens[index + 1:]:
                if inner.type == "thead_close":
                    break
                if inner.type == "inline":
                    cells.append(inner.content.strip())
            for column, cell in enumerate(cells, start=1):
                if not cell:
                    problems.append(Problem(str(path), line, "", f"tabellen saknar rubrik i kolumn {column}; varje kolumn behöver en rubrik"))
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "image" and not "".join(c.content for c in child.children or []).strip():
                    problems.append(Problem(str(path), line, "", "bilden saknar alternativtext; skriv den inom hakparenteserna, ![text](…)"))
    if titles == 0:
        problems.append(Problem(str(path), 1, "", "mallen saknar huvudrubrik (en rad som börjar med '# ')"))
    return problems


# --- the sample and its accepted text -------------------------------------------------------------


def _sample(template: DocumentTemplate, user_dir: Path | None, accept: bool) -> tuple[list[Problem], dict[Problem, str], list[Path]]:
    baseline = baseline_path(template)
    try:
        rendered = render_sample(template, user_dir)
    except DataError as exc:
        return [*exc.problems, *(_as_problem(f, template) for f in exc.failures)], {}, []
    except MallgenError as exc:
        return [_as_problem(str(exc), template)], {}, []
    problems = list(rendered.warnings)
    text = rendered.text("md")
    if accept:
        if not baseline.is_file() or baseline.read_text(encoding="utf-8") != text:
            baseline.write_text(text, encoding="utf-8")
            return problems, {}, [baseline]
        return problems, {}, []
    if not baseline.is_file():
        problems.append(Problem(str(template.folder / SAMPLE), 1, "",
                                f"ingen godkänd text finns ({BASELINE}); granska dokumentet (mallgen preview {template.id}) "
                                "och godkänn det med 'mallgen check --godkann'"))
        return problems, {}, []
    accepted = baseline.read_text(encoding="utf-8")
    if accepted == text:
        return problems, {}, []
    old, new = accepted.splitlines(), text.splitlines()
    first = next((n for n, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    problem = Problem(str(baseline), first + 1, "", "exemplets text skiljer sig från den godkända; granska skillnaden och godkänn "
                      "den med 'mallgen check --godkann' om ändringen är avsiktlig")
    return [*problems, problem], {problem: readable_diff(old, new, shown_path(str(baseline)))}, []


def readable_diff(old: list[str], new: list[str], name: str) -> str:
    lines = list(difflib.unified_diff(old, new, fromfile=f"{name} (godkänd)", tofile="nu", lineterm="", n=2))
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"… ({len(lines) - DIFF_LINES} rader till)"]
    return "\n".join(lines)


_LOCATED = re.compile(r"(?:Fel: )?(?P<file>[^\n]+?):(?P<line>\d+): (?:mallfel: )?(?P<message>.*)", re.S)


def _as_problem(text: str, template: DocumentTemplate) -> Problem:
    match = _LOCATED.fullmatch(text)
    if match:
        return Problem(match["file"], int(match["line"]), "", match["message"])
    return Problem(str(template.folder / SAMPLE), 0, "", text)
