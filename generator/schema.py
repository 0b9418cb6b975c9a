"""Cerberus schemas (YAML in schema/) and the translation of their errors into Swedish problems.

Beyond Cerberus' own rules a schema may say:

- `intern: true`: the field never leaves the team (absent from external and board documents);
- `sekretess: true`: the field holds confidential patient data; it is absent from every document
  except a confidential attachment (`bilaga_till` + `sekretess` in a template's front matter);
- `inkludera: [namn, ...]` on a dict rule: the fields of those definitions (schema/definitioner.yaml)
  are part of this dict, so a letter part or a decision is defined once. Fields the rule lists itself
  are merged over the included ones (`beslutsfattare: {default: namnd}` adds a default);
- `check_with: roll`: a role that can decide (a key of `personer`, `teamet` or `namnd`).
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path
from re import _constants as re_constants  # type: ignore[attr-defined]  # the parser `re` itself uses (3.11+)
from re import _parser as re_parser  # type: ignore[attr-defined]
from typing import Any

import cerberus
import cerberus.errors as ce
from organisationsnummer import organisationsnummer
from personnummer import personnummer

from .case import InvalidDate, Source
from .errors import InputError, Problem
from .resources import bundled

BASE = "bas"
DEFINITIONS = "definitioner"
PROFILE_SCHEMA = "organisation"


MAX_PATTERN_VALUE = 1000  # a value checked against a pattern (an id, a diarienummer) is far shorter


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class Validator(cerberus.Validator):  # type: ignore[misc]
    """Cerberus with Swedish identifiers and the `intern` marker."""

    types_mapping = cerberus.Validator.types_mapping.copy()
    types_mapping["date"] = cerberus.TypeDefinition("date", (dt.date,), (dt.datetime,))

    def __init__(self, *args: Any, deviation_ids: set[str] | None = None, diarie_pattern: str | None = None,
                 roles: list[str] | None = None, bundled: bool = False, **kwargs: Any) -> None:
        self._bundled = bundled  # before Cerberus sets the schema
        super().__init__(*args, **kwargs)
        self.deviation_ids = deviation_ids or set()
        self.diarie_pattern = diarie_pattern
        self.roles = roles or []

    _schema: Any

    def _set_schema(self, schema: Any) -> None:
        """Cerberus checks a root schema once, when it is set, and keeps it as a DefinitionSchema;
        from then on every normalisation copies that (and re-checks and re-hashes it field by
        field). Once checked, the expanded plain mapping serves the same and costs nothing.

        The bundled schemas are checked by the test suite, not at every start of `validate`
        (it costs more than validating a case); a handbook owner's own schemas are checked here.
        """
        if getattr(self, "_bundled", False) and isinstance(schema, dict) and not self.is_child:
            self._schema = cerberus.schema.DefinitionSchema.expand(schema)
            return
        cerberus.Validator.schema.fset(self, schema)
        if isinstance(self._schema, cerberus.schema.DefinitionSchema):
            self._schema = self._schema.schema

    schema = property(cerberus.Validator.schema.fget, _set_schema)

    def _get_child_validator(self, *args: Any, **kwargs: Any) -> Any:
        child = super()._get_child_validator(*args, **kwargs)
        child.deviation_ids, child.diarie_pattern, child.roles = self.deviation_ids, self.diarie_pattern, self.roles
        return child

    def _validate_regex(self, pattern: str, field: str, value: Any) -> None:
        """{'type': 'string'}"""
        # Cerberus appends '$' and uses match(), so "FU-1\n" passed '^FU-\d+$': the whole value must match.
        if not isinstance(value, str):
            return
        if len(value) > MAX_PATTERN_VALUE:
            self._error(field, f"värdet är för långt för fältets form (högst {MAX_PATTERN_VALUE} tecken)")
        elif not _compiled(pattern).fullmatch(value):
            self._error(field, ce.REGEX_MISMATCH)

    def _validate_intern(self, intern: bool, field: str, value: Any) -> None:
        """Marks a field that must never leave the team.

        The rule's arguments are validated against this schema:
        {'type': 'boolean'}
        """

    def _validate_sekretess(self, secret: bool, field: str, value: Any) -> None:
        """Marks a field with confidential patient data: only a confidential attachment shows it.

        The rule's arguments are validated against this schema:
        {'type': 'boolean'}
        """

    def _normalize_coerce_postnummer(self, value: Any) -> Any:
        """`45100` or `451 00` -> `451 00`, as a postnummer is written on a letter."""
        match = re.fullmatch(r"\s*(\d{3})\s?(\d{2})\s*", value) if isinstance(value, str) else None
        return f"{match.group(1)} {match.group(2)}" if match else value

    def _normalize_coerce_klockslag(self, value: Any) -> Any:
        """`9.30` -> `09.30`, `9:30` -> `09:30`: two digits for the hour, so times compare in order."""
        match = re.fullmatch(r"\s*(\d{1,2})([.:])(\d{2})\s*", value) if isinstance(value, str) else None
        return f"{int(match.group(1)):02d}{match.group(2)}{match.group(3)}" if match else value

    def _check_with_roll(self, field: str, value: str) -> None:
        if not isinstance(value, str):
            return  # the type rule reports it
        if self.roles and value not in self.roles:
            close = difflib.get_close_matches(value, self.roles, n=1)
            hint = f" (menade du '{close[0]}'?)" if close else ""
            self._error(field, f"'{value}' är ingen roll som kan besluta{hint}; välj bland: {', '.join(self.roles)}")

    def _check_with_orgnr(self, field: str, value: str) -> None:
        if not isinstance(value, str):
            return  # the type rule reports it
        if not re.fullmatch(r"(16)?\d{6}-?\d{4}", value):
            self._error(field, "ogiltigt organisationsnummer (skriv som NNNNNN-NNNN)")
        elif not organisationsnummer.valid(value):
            self._error(field, "ogiltigt organisationsnummer (kontrollsiffran stämmer inte)")

    def _check_with_personnummer(self, field: str, value: str) -> None:
        if not isinstance(value, str):
            return  # the type rule reports it
        if not re.fullmatch(r"(\d{2})?\d{6}[-+]?\d{4}", value):
            self._error(field, "ogiltigt personnummer (skriv som ÅÅÅÅMMDD-NNNN)")
        elif not personnummer.valid(value):
            self._error(field, "ogiltigt personnummer eller samordningsnummer (kontrollsiffran eller datumet stämmer inte)")

    def _check_with_hsaid(self, field: str, value: str) -> None:
        if not isinstance(value, str):
            return  # the type rule reports it
        match = re.fullmatch(r"SE(\d{10})-([A-Za-z0-9]{1,20})", value)
        if not match:
            self._error(field, "ogiltigt HSA-id (formen är SE<organisationsnummer>-<suffix>, t.ex. SE2321000123-1001)")
        elif not organisationsnummer.valid(match.group(1)):
            self._error(field, "ogiltigt HSA-id (organisationsnumret i det har fel kontrollsiffra)")

    def _check_with_diarienummer(self, field: str, value: str) -> None:
        if not isinstance(value, str):
            return
        if len(value) > MAX_PATTERN_VALUE:
            self._error(field, f"diarienumret är för långt (högst {MAX_PATTERN_VALUE} tecken)")
        elif self.diarie_pattern and not _compiled(self.diarie_pattern).fullmatch(value):
            self._error(field, f"diarienumret följer inte organisationens mönster ({self.diarie_pattern})")

    def _check_with_avvikelse_ref(self, field: str, value: str) -> None:
        if not isinstance(value, str):
            return  # the type rule reports it
        if value not in self.deviation_ids:
            known = ", ".join(sorted(self.deviation_ids)) or "inga"
            self._error(field, f"avvikelsen '{value}' finns inte under 'avvikelser' (kända: {known})")


def section_key(document_id: str) -> str:
    """The YAML key of a document's section: `kallelse-dialogmote` -> `kallelse_dialogmote`."""
    return document_id.replace("-", "_")


@cache
def _read(path: Path) -> dict[str, Any]:
    """A schema file, read like a case file (UTF-8, size, depth and alias limits, lines in messages)."""
    from .case import read_bundled, read_yaml

    own = path.is_relative_to(bundled_schemas())
    data: dict[str, Any] = read_bundled(path).data if own else read_yaml(path, what="schemat").data
    is_rule = any(key in data for key in ("type", "inkludera")) and not isinstance(data.get("type"), dict)
    problems = list(_rule_problems({path.stem: data} if is_rule else data, path, ()))
    if problems:
        raise InputError("\n".join(problems))
    return data


def _rule_problems(fields: Any, path: Path, where: tuple[str, ...]) -> Iterator[str]:
    """What Cerberus would choke on later, named now with the schema file: `inkludera` that is no
    list of names, and `regex` rules that do not compile or could backtrack without end."""
    if not isinstance(fields, dict):
        return
    for key, rule in fields.items():
        here = (*where, str(key))
        if not isinstance(rule, dict):
            continue
        names = rule.get("inkludera")
        if names is not None and not (isinstance(names, str) or (isinstance(names, list) and all(isinstance(n, str) for n in names))):
            yield f"{path}: {'.'.join(here)}: inkludera ska vara ett namn eller en lista med namn ur {DEFINITIONS}.yaml"
        pattern = rule.get("regex")
        if pattern is not None:
            problem = regex_problem(pattern)
            if problem:
                yield f"{path}: {'.'.join(here)}: regex: {problem}"
        inner = rule.get("schema")
        if isinstance(inner, dict):
            if rule.get("type") == "list" or any(k in inner for k in ("type", "schema", "regex", "inkludera")):
                yield from _rule_problems({"[]": inner}, path, here)
            else:
                yield from _rule_problems(inner, path, here)


def regex_problem(pattern: Any) -> str | None:
    """Why `pattern` cannot be used to check a value, in Swedish, or None.

    Python's `re` backtracks: a quantifier inside a quantified group (`^(a+)+$`, `(a|a)*`) can take
    longer than the age of the universe on a 30-character value. Such nesting is refused; no
    pattern a form of identifier needs has it."""
    if not isinstance(pattern, str):
        return "mönstret ska vara en text"
    if len(pattern) > 1000:
        return "mönstret är för långt (högst 1000 tecken)"
    try:
        parsed = re_parser.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"ogiltigt reguljärt uttryck ({exc})"
    if _nested_repeat(parsed, inside=False):
        return ("mönstret har en upprepning inuti en upprepning (som '(a+)+' eller '(a|b)*'), som kan göra kontrollen "
                "oändligt långsam; skriv om det utan nästlad upprepning")
    return None


_REPEATS = {re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, getattr(re_constants, "POSSESSIVE_REPEAT", re_constants.MAX_REPEAT)}


def _nested_repeat(items: Any, inside: bool) -> bool:
    """True where a variable-length repeat (or an alternation) sits inside a variable-length repeat."""
    for op, arg in items:
        if op in _REPEATS:
            low, high, sub = arg
            variable = low != high
            if (variable and inside) or _nested_repeat(sub, inside or (variable and high > 1)):
                return True
        elif op == re_constants.BRANCH:
            if inside or any(_nested_repeat(branch, inside) for branch in arg[1]):
                return True
        elif op == re_constants.SUBPATTERN:
            if _nested_repeat(arg[-1], inside):
                return True
        elif op in (re_constants.ASSERT, re_constants.ASSERT_NOT) and _nested_repeat(arg[1], inside):
            return True
    return False


def schema_dirs(extra: Path | None = None) -> list[Path]:
    """Schema folders, a user's own first (so a handbook owner can add a document's schema)."""
    dirs = [extra] if extra and extra.is_dir() else []
    return [*dirs, bundled_schemas()]


def bundled_schemas() -> Path:
    return bundled("schema")


def schema_digest(dirs: list[Path]) -> str:
    """SHA-256 over every schema file along the search path: they shape every document's context
    (defaults, which fields exist, which are internal), so a change to any of them counts."""
    digest = hashlib.sha256()
    for index, folder in enumerate(dirs):
        for path in sorted(folder.glob("*.yaml")):
            if path.is_file():
                content = path.read_bytes()
                digest.update(f"{index}\0{path.name}\0{len(content)}\0".encode())
                digest.update(content)
    return "sha256:" + digest.hexdigest()


def find_schema(name: str, dirs: list[Path]) -> dict[str, Any] | None:
    """The schema `name`.yaml from the first folder that has it, with `inkludera` resolved.

    A user's schema for something the bundled schemas define keeps the bundled markers
    (`keep_markers`): it may add fields and rules, never make an internal field public.
    """
    for folder in dirs:
        path = folder / f"{name}.yaml"
        if path.is_file():
            schema = _load(path, tuple(dirs))
            builtin = bundled("schema")
            if folder != builtin:
                _check_rules(path, tuple(dirs))
                if (builtin / path.name).is_file():
                    return _with_markers(path, tuple(dirs), builtin / path.name)
            return schema
    return None


@cache
def _check_rules(path: Path, dirs: tuple[Path, ...]) -> None:
    """A user's schema file, checked by Cerberus on its own, so an unknown rule or a rule with the
    wrong kind of value is an error naming this file, not a crash when a case is validated."""
    schema = _load(path, dirs)
    for folder in dirs:
        if (folder / f"{DEFINITIONS}.yaml").is_file():
            for name, definition in _load(folder / f"{DEFINITIONS}.yaml", dirs).items():
                if isinstance(definition, dict) and name not in cerberus.schema_registry.all():
                    cerberus.schema_registry.add(name, definition)
    if path.stem == DEFINITIONS:
        parts = {name: {"type": "dict", "schema": fields} for name, fields in schema.items()}
    elif "type" in schema and not isinstance(schema.get("type"), dict):
        parts = {path.stem: schema}
    else:
        parts = schema
    try:
        Validator(parts)
    except cerberus.SchemaError as exc:
        raise InputError(f"{path}: {schema_error_text(exc)}") from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # Cerberus trips over some malformed rules itself
        raise InputError(f"{path}: schemat har en regel som inte går att använda ({type(exc).__name__}: {exc})") from None


def schema_error_text(exc: Exception) -> str:
    """Cerberus' complaint about a schema (a nested dict of English) as one Swedish sentence."""
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(tree: Any, where: tuple[str, ...]) -> None:
        if isinstance(tree, dict):
            for key, value in tree.items():
                step = () if str(key) == "schema" or str(key).startswith("anyof definition") else (str(key),)
                walk(value, (*where, *step))
        elif isinstance(tree, list):
            for item in tree:
                walk(item, where)
        elif isinstance(tree, str) and tree != "no definitions validate":
            found.append((where, tree))

    walk(exc.args[0] if exc.args else {}, ())
    if not found:
        return f"schemat är inte giltigt ({exc})"
    unknown = [(where, message) for where, message in found if message == "unknown rule"]
    where, message = (unknown or found)[0]
    field = ".".join(where[:-1]) or "schemat"
    if message == "unknown rule":
        return f"{field}: okänd regel '{where[-1]}' (kända: Cerberus egna regler och intern, sekretess, inkludera, check_with, meta)"
    return f"{field}: regeln '{where[-1] if where else '?'}' är felaktig ({message})"


# What a user schema cannot take away from a field the bundled schema defines: the markers that keep
# it inside the team or inside a confidential attachment, and that the pipeline can rely on it.
KEPT_RULES = ("intern", "sekretess")


@cache
def _with_markers(path: Path, dirs: tuple[Path, ...], builtin: Path) -> dict[str, Any]:
    schema = copy.deepcopy(_load(path, dirs))
    reference = _load(builtin, (builtin.parent,))
    if path.stem == DEFINITIONS:  # named groups of fields (`schema: person`), each a mapping of fields
        for name, fields in reference.items():
            if isinstance(fields, dict) and isinstance(schema.get(name), dict):
                keep_markers(schema[name], fields, top=False)
    else:
        keep_markers(schema, reference, top=path.stem == BASE)
    return schema


def keep_markers(fields: dict[str, Any], builtin: dict[str, Any], top: bool = True) -> None:
    """Copy every `intern: true` / `sekretess: true` of `builtin` onto the same field of `fields`,
    at any depth (dict fields and list items alike), and keep the bundled top-level fields' `required`
    and `type` (the pipeline reads `arende.id`, `vardgivare`, `avtal` without asking)."""
    for key, rule in builtin.items():
        if not isinstance(rule, dict):
            continue
        mine = fields.get(key)
        if not isinstance(mine, dict):
            if any(rule.get(marker) for marker in KEPT_RULES):
                fields[key] = {**({} if mine is None else {"schema": mine} if isinstance(mine, str) else {}), **rule}
            continue
        for marker in KEPT_RULES:
            if rule.get(marker):
                mine[marker] = True
        if top:
            for name in ("required", "type"):
                if name in rule and (name != "required" or rule[name]):
                    mine[name] = rule[name]
        _keep_inner(mine, rule)


def _keep_inner(mine: dict[str, Any], rule: dict[str, Any]) -> None:
    inner, own = rule.get("schema"), mine.get("schema")
    if not isinstance(inner, dict) or not isinstance(own, dict):
        return
    if rule.get("type") == "list":  # the rule of the items
        for marker in KEPT_RULES:
            if inner.get(marker):
                own[marker] = True
        _keep_inner(own, inner)
    else:
        keep_markers(own, inner, top=False)


@cache
def _load(path: Path, dirs: tuple[Path, ...]) -> dict[str, Any]:
    """A schema file with every `inkludera` replaced by the definitions' fields (never modified after)."""
    schema = copy.deepcopy(_read(path))
    if path.stem == DEFINITIONS:
        return schema
    definitions = next((_read(d / f"{DEFINITIONS}.yaml") for d in dirs if (d / f"{DEFINITIONS}.yaml").is_file()), {})
    return _expand_fields(schema, definitions, path)


def _expand_fields(fields: dict[str, Any], definitions: dict[str, Any], path: Path) -> dict[str, Any]:
    """A mapping of field -> rule; a rule file's top level (`type: dict`, `schema:`) is itself a rule."""
    if "type" in fields and isinstance(fields.get("schema"), dict) or "inkludera" in fields:
        expanded: dict[str, Any] = _expand_rule(fields, definitions, path)
        return expanded
    return {key: _expand_rule(rule, definitions, path) for key, rule in fields.items()}


def _expand_rule(rule: Any, definitions: dict[str, Any], path: Path) -> Any:
    if not isinstance(rule, dict):
        return rule
    names = rule.pop("inkludera", None)
    if names is not None:
        names = [names] if isinstance(names, str) else list(names)
        merged: dict[str, Any] = {}
        for name in names:
            if not isinstance(definitions.get(name), dict):
                known = ", ".join(k for k, v in definitions.items() if isinstance(v, dict))
                raise InputError(f"{path}: inkludera: '{name}' finns inte i {DEFINITIONS}.yaml (finns: {known})")
            merged.update(copy.deepcopy(definitions[name]))
        own = rule.get("schema")
        for key, sub in (own if isinstance(own, dict) else {}).items():
            merged[key] = {**merged.get(key, {}), **sub} if isinstance(sub, dict) else sub
        rule["schema"] = merged
        rule.setdefault("type", "dict")
        rule["meta"] = {**rule.get("meta", {}), "inkludera": names}
    inner = rule.get("schema")
    if isinstance(inner, dict):
        if rule.get("type") == "list":
            rule["schema"] = _expand_rule(inner, definitions, path)
        else:
            rule["schema"] = {key: _expand_rule(sub, definitions, path) for key, sub in inner.items()}
    return rule


def roles(dirs: list[Path]) -> list[str]:
    """Who can decide: every role under `personer` in the base schema, the team and the board."""
    people = ((find_schema(BASE, dirs) or {}).get("personer") or {}).get("schema") or {}
    return [*people, "teamet", "namnd"]


def case_schema(document_ids: list[str], required: set[str], dirs: list[Path]) -> dict[str, Any]:
    """The base schema plus one optional (or, for `required`, mandatory) section per document.

    The same arguments give the same (shared, never modified) dict, so its validator is built once.
    """
    return _case_schema(tuple(document_ids), frozenset(required), tuple(dirs))


@lru_cache(maxsize=64)
def _case_schema(document_ids: tuple[str, ...], required: frozenset[str], dirs: tuple[Path, ...]) -> dict[str, Any]:
    schema = dict(find_schema(BASE, list(dirs)) or {})
    for doc_id in document_ids:
        section = find_schema(doc_id, list(dirs))
        if section is not None:
            schema[section_key(doc_id)] = {**section, "required": doc_id in required}
    return schema


TEAM = "teamunderlag"
ANNUAL_SUMMARY = "arssummering"  # the team file's `arssummering:` section, internal (handbook 2.3)


def team_schema(document_ids: list[str], dirs: list[Path]) -> dict[str, Any]:
    """A team file: the team input, its internal annual summary, and one optional section per
    document made from a team file."""
    schema = dict(find_schema(TEAM, dirs) or {})
    schema[ANNUAL_SUMMARY] = {"type": "dict", "intern": True, "schema": find_schema(ANNUAL_SUMMARY, dirs) or {}}
    for doc_id in document_ids:
        section = find_schema(doc_id, dirs)
        if section is not None:
            schema[section_key(doc_id)] = {**section, "required": False}
    return schema


def reset_caches() -> None:
    """Forget every schema read so far (the live preview re-reads them after an edit)."""
    _read.cache_clear()
    _load.cache_clear()
    _with_markers.cache_clear()
    _check_rules.cache_clear()
    _case_schema.cache_clear()
    _VALIDATORS.clear()


_VALIDATORS: dict[int, tuple[dict[str, Any], Validator]] = {}


def _validator(schema: dict[str, Any], ids: set[str], diarie_pattern: str | None, bundled: bool) -> Validator:
    """One validator per schema: Cerberus checks the schema itself when a validator is made,
    which costs more than validating a case."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        try:
            cached = (schema, Validator(schema, bundled=bundled))
        except cerberus.SchemaError as exc:  # the files are checked one by one; this is how they combine
            raise InputError(f"schemana kan inte användas tillsammans: {schema_error_text(exc)}") from None
        _VALIDATORS[id(schema)] = cached
    validator = cached[1]
    validator.deviation_ids, validator.diarie_pattern = ids, diarie_pattern
    return validator


_REGISTERED: dict[str, Any] = {}


def _register(definitions: dict[str, Any]) -> None:
    """Named definitions (`schema: person`) into Cerberus' registry; each once, as adding one expands it."""
    for name, definition in definitions.items():
        if _REGISTERED.get(name) is not definition:
            cerberus.schema_registry.add(name, definition)
            _REGISTERED[name] = definition


_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")


def as_written(value: Any, rule: Any, path: tuple[Any, ...], source: Source) -> Any:
    """The data as the person meant it, before the schema checks it: a date in quotes
    (`"2026-06-10"`) is a date, and a number written without quotes in a field that takes text is
    that text as written (`start: 10.30`, `postnummer: 45100`), not the float or integer YAML made
    of it. Anything else is left for the schema to judge."""
    if not isinstance(rule, dict):
        return value
    kind = rule.get("type")
    if kind == "date" and isinstance(value, str) and not isinstance(value, InvalidDate):
        match = _ISO_DATE.fullmatch(value)
        if match is None:
            return value
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            return InvalidDate(value.strip())
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return source.written.get(path, str(value))
    fields = rule.get("schema")
    if isinstance(fields, str):
        fields = cerberus.schema_registry.get(fields)
    if kind == "list" and isinstance(value, list) and isinstance(fields, dict):
        return [as_written(item, fields, (*path, index), source) for index, item in enumerate(value)]
    if kind in ("dict", None) and isinstance(value, dict) and isinstance(fields, dict):
        return {key: as_written(item, fields.get(key), (*path, key), source) for key, item in value.items()}
    return value


def validate(source: Source, schema: dict[str, Any], dirs: list[Path], diarie_pattern: str | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Validate case data; returns the normalised data and every problem found."""
    _register(find_schema(DEFINITIONS, dirs) or {})
    data = as_written(source.data, {"type": "dict", "schema": schema}, (), source)
    deviations = data.get("avvikelser") if isinstance(data, dict) else None
    ids = {d["id"] for d in (deviations if isinstance(deviations, list) else []) if isinstance(d, dict) and isinstance(d.get("id"), str)}
    known_roles = roles(dirs)
    only_bundled = list(dirs) == [bundled_schemas()]
    validator = _validator(schema, ids, diarie_pattern, only_bundled)
    validator.roles = known_roles
    try:
        validator.validate(data)
    except (TypeError, KeyError, AttributeError, IndexError):
        # Cerberus' normalisation trips over a list where a named schema (`schema: person`)
        # expects a mapping; validation without normalising reports that as a type error.
        validator = Validator(schema, deviation_ids=ids, diarie_pattern=diarie_pattern, roles=known_roles, bundled=only_bundled)
        validator.validate(data, normalize=False)
    errors = _leaves(validator._errors)
    misspelt = {(*e.document_path[:-1], m) for e in errors if e.code == ce.UNKNOWN_FIELD.code for m in _close_keys(tuple(e.document_path), schema)}
    # A typo gives "unknown field" and "missing field" for one mistake; the first (with its
    # suggestion) says it all.
    errors = [e for e in errors if not (e.code == ce.REQUIRED_FIELD.code and tuple(e.document_path) in misspelt)]
    problems = [_translate(error, source, schema) for error in errors]
    normalized = validator.document if validator.document is not None else data
    return normalized, sorted(set(problems))


def _leaves(errors: list[ce.ValidationError]) -> list[ce.ValidationError]:
    out = []
    for error in errors:
        if error.is_group_error:
            out.extend(_leaves(error.child_errors))
        else:
            out.append(error)
    return out


_TYPE_NAMES = {
    "string": "text",
    "integer": "ett heltal",
    "boolean": "true eller false",
    "date": "ett datum (ÅÅÅÅ-MM-DD)",
    "dict": "en grupp av fält (nyckel: värde)",
    "list": "en lista (rader som börjar med '-')",
}


def _translate(error: ce.ValidationError, source: Source, schema: dict[str, Any]) -> Problem:
    path = tuple(error.document_path)
    code, value, constraint = error.code, error.value, error.constraint
    if code == ce.REQUIRED_FIELD.code:
        message = "fältet saknas men krävs"
    elif code == ce.UNKNOWN_FIELD.code:
        message = f"okänt fält '{path[-1]}'" + _suggest(path, schema)
    elif code == ce.BAD_TYPE.code:
        if constraint == "date" and isinstance(value, InvalidDate):
            message = f"datumet {value} finns inte"
        elif constraint == "date" and isinstance(value, str):
            message = "ska vara ett datum skrivet ÅÅÅÅ-MM-DD, till exempel 2026-06-10"
        else:
            message = f"ska vara {_TYPE_NAMES.get(constraint, constraint)}"
    elif code == ce.EMPTY_NOT_ALLOWED.code:
        message = "får inte vara tomt"
    elif code == ce.NOT_NULLABLE.code:
        message = "saknar värde; fyll i det eller ta bort raden"
    elif code == ce.UNALLOWED_VALUE.code:
        allowed = ", ".join(str(a) for a in constraint)
        close = difflib.get_close_matches(str(value), [str(a) for a in constraint], n=1)
        hint = f" (menade du '{close[0]}'?)" if close else ""
        message = f"'{value}' är inte tillåtet{hint}; välj bland: {allowed}"
    elif code == ce.REGEX_MISMATCH.code:
        message = f"'{value}' har fel form" + _regex_hint(path, constraint)
    elif code == ce.MIN_LENGTH.code:
        message = f"behöver minst {constraint} {'rad' if constraint == 1 else 'rader'}"
    elif code == ce.MIN_VALUE.code:
        message = f"får inte vara mindre än {constraint}"
    elif code == ce.CUSTOM.code:
        message = str(error.info[0]) if error.info else "ogiltigt värde"
    else:  # a rule we have no Swedish text for yet: still say where, and what Cerberus said
        message = f"ogiltigt värde ({ce.BasicErrorHandler.messages.get(code, code)})".format(constraint=constraint, value=value)
    return source.problem(path, message)


_REGEX_HINTS = {
    "id": " (bokstäver, siffror, bindestreck, punkt och understreck, högst 64 tecken)",
    "postnummer": " (skriv som NNN NN, till exempel 451 00)",
    "epost": " (skriv som namn@exempel.se)",
    "telefon": " (bara siffror, mellanslag, bindestreck och +)",
    "start": " (skriv klockslaget som TT.MM eller TT:MM, till exempel 09.30)",
    "slut": " (skriv klockslaget som TT.MM eller TT:MM, till exempel 09.30)",
    "paragraf": " (skriv som § 123)",
    "svar_till": " (skriv som namn@exempel.se)",
    "klockslag": " (skriv klockslag som TT:MM)",
    "bankgiro": " (skriv som NNNN-NNNN)",
}


# Hints by the pattern itself, so a new document's time or postnummer field gets one too.
_PATTERN_HINTS = {
    r"^([01]\d|2[0-3])[:.][0-5]\d$": " (skriv klockslaget som TT.MM eller TT:MM, till exempel 09.30)",
    r"^\d{3} ?\d{2}$": " (skriv som NNN NN, till exempel 451 00)",
}


def _regex_hint(path: tuple[Any, ...], pattern: Any = None) -> str:
    return _PATTERN_HINTS.get(str(pattern)) or (_REGEX_HINTS.get(str(path[-1]), "") if path else "")


def _level_keys(path: tuple[Any, ...], schema: dict[str, Any]) -> list[str]:
    """The keys the schema allows beside the last element of `path`."""

    def fields(rule: Any) -> dict[str, Any]:
        found = rule.get("schema") if isinstance(rule, dict) else None
        if isinstance(found, str):  # a registry reference
            found = cerberus.schema_registry.get(found)
        return found if isinstance(found, dict) else {}

    rule: Any = {"type": "dict", "schema": schema}
    for part in path[:-1]:
        if isinstance(part, int):  # into a list: the rule of its items
            rule = rule.get("schema", {}) if isinstance(rule, dict) and rule.get("type") == "list" else {}
        else:
            rule = fields(rule).get(part, {})
    return list(fields(rule))


def _close_keys(path: tuple[Any, ...], schema: dict[str, Any]) -> list[str]:
    return difflib.get_close_matches(str(path[-1]), _level_keys(path, schema), n=1, cutoff=0.6)


def _suggest(path: tuple[Any, ...], schema: dict[str, Any]) -> str:
    """Nearest valid key at the same level, so a typo tells the user what was meant."""
    keys = _level_keys(path, schema)
    close = _close_keys(path, schema)
    if close:
        return f"; menade du '{close[0]}'?"
    return f"; tillåtna fält här: {', '.join(keys)}" if keys and len(keys) <= 12 else ""
