"""Loading YAML case files while remembering which line every field came from."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem

MAX_BYTES = 2 * 1024 * 1024  # a case file is a few kB; this stops accidents, not cases
MAX_DEPTH = 40
MAX_NODES = 200_000  # counted after alias expansion: stops "billion laughs"

FieldPath = tuple[Any, ...]


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1 without its surprises: `13:00` stays a string (not 780), `no`/`on` stay strings."""


_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?$"), list("-+0123456789.")
)


class InvalidDate(str):
    """A value written as a date that does not exist (2026-02-30); validation reports it."""


class _Loader(yaml.SafeLoader, _Resolver):  # type: ignore[misc]
    """Safe loader that records the line of every mapping key and sequence item."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[FieldPath, int] = {}
        self._nodes = 0

    def construct_document(self, node: yaml.Node) -> Any:
        self._record(node, (), 0)
        return super().construct_document(node)

    def _record(self, node: yaml.Node, path: FieldPath, depth: int) -> None:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _TooLarge(f"för många värden (mer än {MAX_NODES}); kontrollera ankare och alias (&, *)")
        if depth > MAX_DEPTH:
            raise _TooLarge(f"för djup nästling (mer än {MAX_DEPTH} nivåer)")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub = (*path, key.value)
                    self.lines.setdefault(sub, key.start_mark.line + 1)
                    self._record(value, sub, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._record(item, (*path, index), depth + 1)

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return InvalidDate(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


class _TooLarge(Exception):
    pass


@dataclass
class Source:
    """Parsed YAML plus the line of every field path."""

    path: Path
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.path)

    def line_of(self, path: FieldPath) -> int:
        """Line of the field, or of its nearest parent that exists in the file."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def problem(self, path: FieldPath, message: str, warning: bool = False) -> Problem:
        return Problem(self.name, self.line_of(path), dotted(path), message, warning)


def dotted(path: FieldPath) -> str:
    """`('avvikelser', 0, 'rubrik')` -> `avvikelser[0].rubrik`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_yaml(text: str, name: str | Path) -> Source:
    """Parse YAML text; every failure is an InputError naming file and line."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{name}{line}: YAML-fel: {_yaml_problem(exc)}. Kontrollera indrag, kolon och citattecken.") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: YAML-fel: {exc}") from None
    except _TooLarge as exc:
        raise InputError(f"{name}: {exc}") from None
    except RecursionError:
        raise InputError(f"{name}: för djup nästling") from None
    finally:
        loader.dispose()
    return Source(Path(name), data, loader.lines)


_YAML_PROBLEMS = {
    "mapping values are not allowed here": "kolon på fel ställe (sätt värdet inom citattecken om det innehåller ': ')",
    "found character '\\t' that cannot start any token": "tabbtecken är inte tillåtna för indrag, använd mellanslag",
    "could not find expected ':'": "ett kolon saknas efter fältnamnet",
    "found undefined alias": "aliaset (*namn) saknar motsvarande ankare (&namn)",
    "found duplicate anchor": "samma ankare (&namn) används två gånger",
    "expected <block end>, but found '-'": "listpunkten har fel indrag",
    "while scanning a quoted scalar": "ett citattecken stängs aldrig",
}


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    for text in (exc.problem or "", exc.context or ""):
        for english, swedish in _YAML_PROBLEMS.items():
            if text.startswith(english) or english.startswith(text) and text:
                return swedish
    return (exc.problem or exc.context or "ogiltig YAML").strip()


def read_yaml(path: str | Path, what: str = "ärendefilen") -> Source:
    """Read and parse a YAML file, refusing what is not a sensible YAML mapping."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError(f"{path}: är en mapp, inte en fil. Ange sökvägen till {what}.")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path}: filen är för stor ({size // 1024} kB, högst {MAX_BYTES // 1024} kB). Är det rätt fil?")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: filen finns inte. Kontrollera sökvägen, eller skapa en ny med 'mallgen new'.") from None
    except PermissionError:
        raise InputError(f"{path}: filen kan inte läsas (behörighet saknas).") from None
    except OSError as exc:
        raise InputError(f"{path}: filen kan inte läsas ({exc.strerror}).") from None
    if b"\x00" in raw:
        raise InputError(f"{path}: filen är binär, inte YAML-text. Är det rätt fil?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: filen är inte UTF-8. Spara den som UTF-8 i din textredigerare.") from None
    source = parse_yaml(text, path)
    if source.data is None:
        raise InputError(f"{path}: filen är tom. Börja från en mall: 'mallgen new fordjupad -o {path.name}'.")
    if not isinstance(source.data, dict):
        kind = "en lista" if isinstance(source.data, list) else "ett enstaka värde"
        raise InputError(f"{path}:1: filen innehåller {kind}, men {what} ska bestå av fält (nyckel: värde).")
    bad_keys = [k for k in _all_keys(source.data) if not isinstance(k, str)]
    if bad_keys:
        raise InputError(f"{path}: fältnamnet {bad_keys[0]!r} är inte text; fältnamn skrivs som ord, t.ex. 'rubrik:'.")
    return source


def _all_keys(value: Any) -> list[Any]:
    keys: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return keys


def is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
