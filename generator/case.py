"""Loading YAML case files while remembering which line every field came from."""

from __future__ import annotations

import datetime as dt
import re
import stat
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import yaml

from .errors import InputError, Problem, os_reason

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


# Numbers written without quotes: their text is kept (`Source.written`), so a field that takes
# text gets `10.30` or `45100` as written, not the float 10.3 or the integer 45100.
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")

# Characters a double-quoted YAML string can smuggle in with escapes ("\a", "\x1b", "\ud800")
# that no document format can hold: control characters (tab and line breaks excepted),
# non-characters and lone surrogates.
_CONTROL = CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


class _Checks:
    """What both loaders do on top of PyYAML: record the line of every mapping key and sequence
    item, and refuse what a case file never needs and what would make loading slow or ambiguous:
    more than MAX_NODES values after alias expansion, nesting deeper than MAX_DEPTH, duplicate keys
    (YAML forbids them; PyYAML would silently keep the last), keys that are not text, and control
    characters no document format can hold.
    """

    depth_limit = MAX_DEPTH  # deepest level `_record` accepts (0 is the document itself)
    lines: dict[FieldPath, int]
    written: dict[FieldPath, str]  # numbers as written in the file
    key_tags: tuple[str, ...]
    _nodes: int

    def _start_checks(self) -> None:
        self.lines = {}
        self.written = {}
        self.key_tags = ("tag:yaml.org,2002:str",)
        self._nodes = 0

    record = True  # False: a file shipped with mallgen, read without lines or checks (`read_bundled`)

    def construct_document(self, node: yaml.Node) -> Any:
        if self.record:
            self._record(node, (), 0)
        return super().construct_document(node)  # type: ignore[misc]

    def _record(self, node: yaml.Node, path: FieldPath, depth: int) -> None:
        self._nodes += 1
        line = node.start_mark.line + 1
        if self._nodes > MAX_NODES:
            raise _Refused(line, f"för många värden (mer än {MAX_NODES}); kontrollera ankare och alias (&, *)")
        if depth > self.depth_limit:
            raise _Refused(line, f"för djup nästling (mer än {MAX_DEPTH} nivåer)")
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.ScalarNode) and node.tag in _NUMBERS:
            self.written.setdefault(path, node.value)
        if isinstance(node, yaml.ScalarNode) and (bad := _CONTROL.search(node.value)):
            raise _Refused(line, f"otillåtet tecken (U+{ord(bad.group(0)):04X}) i värdet; det kan inte stå i ett dokument. Ta bort det")
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                key_line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:merge":
                    self._record(value, path, depth + 1)
                    continue
                if not isinstance(key, yaml.ScalarNode) or key.tag not in self.key_tags:
                    shown = key.value if isinstance(key, yaml.ScalarNode) else "[…]" if isinstance(key, yaml.SequenceNode) else "{…}"
                    raise _Refused(key_line, f"fältnamnet '{shown}' är inte text; fältnamn skrivs som ord, t.ex. 'rubrik:'")
                if bad := _CONTROL.search(key.value):
                    raise _Refused(key_line, f"otillåtet tecken (U+{ord(bad.group(0)):04X}) i fältnamnet; ta bort det")
                sub = (*path, key.value)
                if key.value in seen:
                    raise _Refused(key_line, f"{dotted(sub)}: fältet finns redan på rad {seen[key.value]}; ta bort den ena raden")
                seen[key.value] = key_line
                self.lines.setdefault(sub, key_line)
                self._record(value, sub, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._record(item, (*path, index), depth + 1)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except ValueError:
            return InvalidDate(node.value)

    def refuse_tag(self, node: yaml.Node) -> Any:
        raise yaml.constructor.ConstructorError(None, None, f"tag {node.tag} is not supported", node.start_mark)


class _Loader(_Checks, yaml.SafeLoader, _Resolver):
    """PyYAML's own (pure Python) safe loader with the checks; its messages are the ones users see.

    Nesting is also checked while composing, before Python's recursion limit is reached.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._start_checks()
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise _Refused(event.start_mark.line + 1, f"för djup nästling (mer än {MAX_DEPTH} nivåer)")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


if TYPE_CHECKING or getattr(yaml, "__with_libyaml__", False):
    CParser: Any = getattr(yaml.cyaml, "CParser")  # noqa: B009 - not in the type stubs

    class _FastLoader(_Checks, CParser, yaml.constructor.SafeConstructor, _Resolver):  # type: ignore[misc]
        """The same loader on libyaml's scanner, parser and composer (about six times faster).

        Nodes, marks and the Python constructor and resolver are the same, so data and lines are
        too. Any failure is parsed again by `_Loader`, which gives the message, so this one only
        has to refuse at least what `_Loader` refuses: nesting is refused one level earlier here,
        because `_Loader` counts it while composing.
        """

        depth_limit = MAX_DEPTH - 1

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)
            self._start_checks()


    class _BundledLoader(_FastLoader):
        """For mallgen's own files (the bundled schemas): the same data, without line tracking."""

        record = False


def read_bundled(path: Path) -> Source:
    """A YAML file shipped with mallgen, read as a case file reads (the same data, the same
    resolver) but without recording lines or re-checking what the test suite checks once: every
    start of `validate` reads some forty of them."""
    text = path.read_text(encoding="utf-8")
    if _libyaml_usable() and not _PYYAML_ONLY.search(text):
        loader = _BundledLoader(text)
        try:
            return Source(path, loader.get_single_data())
        finally:
            loader.dispose()
    return parse_yaml(text, path)


# Where libyaml and PyYAML's own scanner part ways (a case file needs none of it): a tab inside
# a plain value or key, an anchor named with other characters than letters, digits, '-' and '_',
# and a comment right after '|' or '>' (libyaml accepts them), and tags (`!`, which the two
# resolve differently). Such a text is left to PyYAML, so it gets PyYAML's result and message.
_PYYAML_ONLY = re.compile(r"\t|[|>][-+0-9]*#|(?:^|[\s\[{,])(?:&[0-9A-Za-z_-]*[^0-9A-Za-z_\-\s\[\]{},]|!)", re.M)


@cache
def _libyaml_usable() -> bool:
    """libyaml is there and limits nesting itself (0.2.5 and later): its composer recurses in C,
    where a file of 2 MB of '[' would otherwise overflow the stack instead of giving an error."""
    if not getattr(yaml, "__with_libyaml__", False):
        return False
    try:
        yaml.load("[" * 5000 + "]" * 5000, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        return "nesting depth" in str(exc)
    return False


_LOADERS: list[Any] = [_Loader, *([_FastLoader, _BundledLoader] if getattr(yaml, "__with_libyaml__", False) else [])]
for _class in _LOADERS:
    _class.add_constructor("tag:yaml.org,2002:timestamp", _class.construct_yaml_timestamp)
    # Binary data, ordered maps, pairs and sets have no place in a case file and would reach the
    # templates as Python objects no schema rule expects.
    for _tag in ("binary", "omap", "pairs", "set"):
        _class.add_constructor(f"tag:yaml.org,2002:{_tag}", _class.refuse_tag)


class _Refused(Exception):
    """A structural limit or rule of the loader, with the line where it was broken."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


@dataclass
class Source:
    """Parsed YAML plus the line of every field path."""

    path: Path
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)
    written: dict[FieldPath, str] = field(default_factory=dict)  # numbers as written in the file

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
    """`('avvikelser', 0, 'rubrik')` -> `avvikelser[1].rubrik`: list items are counted from 1, as
    the person reading the message counts them ("the first deviation")."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_yaml(text: str, name: str | Path, numbered_keys: bool = False) -> Source:
    """Parse YAML text; every failure is an InputError naming file and line.

    `numbered_keys`: keys may also be whole numbers (a handbook's numbered steps), not only text.

    libyaml parses when it can; whatever it refuses (or fails on) is parsed again by PyYAML's own
    loader, so a message is always the same, with or without libyaml.
    """
    key_tags = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int") if numbered_keys else ("tag:yaml.org,2002:str",)
    if _libyaml_usable() and not _PYYAML_ONLY.search(text):
        fast = _FastLoader(text)
        fast.key_tags = key_tags
        try:
            return Source(Path(name), fast.get_single_data(), fast.lines, fast.written)
        except Exception:  # noqa: S110 - parsed again below for the message
            pass
        finally:
            fast.dispose()
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        loader.key_tags = key_tags
        data = loader.get_single_data()
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        message = f"otillåtet tecken (U+{exc.character:04X}) i filen; ta bort det eller skriv om raden i en textredigerare."
        raise InputError(f"{name}:{line}: {message}") from None
    except yaml.MarkedYAMLError as exc:
        quote = _open_quote(text, exc)
        if quote:
            raise InputError(f"{name}:{quote}: YAML-fel: ett citattecken (\") stängs inte på samma rad.") from None
        mark = exc.context_mark if exc.context and "quoted scalar" in exc.context else exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{name}{where}: YAML-fel: {_yaml_problem(exc)}.") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: YAML-fel: filen kan inte läsas som YAML ({exc}).") from None
    except _Refused as exc:
        raise InputError(f"{name}:{exc.line}: {exc.message}") from None
    except RecursionError:
        raise InputError(f"{name}: för djup nästling") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Source(Path(name), data, loader.lines, loader.written)


def _open_quote(text: str, exc: yaml.MarkedYAMLError) -> int | None:
    """The line of a double quote left open, when that is what derailed the parser.

    An unclosed quote swallows the following lines, so PyYAML reports a confusing error a few
    lines further down; a line with an odd number of quotes between the two marks is the cause.
    """
    if exc.problem_mark is None:
        return None
    first = exc.context_mark.line if exc.context_mark else max(exc.problem_mark.line - 5, 0)
    lines = text.splitlines()
    for number in range(exc.problem_mark.line, first - 1, -1):
        if number < len(lines):
            line = lines[number].replace('\\"', "")
            if "#" in line and line.count('"', 0, line.index("#")) % 2 == 0:
                line = line[: line.index("#")]
            if line.count('"') % 2 == 1 and number < exc.problem_mark.line:
                return number + 1
    return None


# PyYAML's messages (problem, then context) and what they mean for someone editing a case file.
_YAML_PROBLEMS = [
    ("found character '\\t' that cannot start any token", "tabbtecken är inte tillåtna för indrag; använd mellanslag"),
    ("found a tab character", "tabbtecken är inte tillåtna för indrag; använd mellanslag"),
    ("mapping values are not allowed here", "kolon på fel ställe: fel indrag, eller ett värde som innehåller ': ' och behöver citattecken"),
    ("could not find expected ':'", "ett kolon saknas efter fältnamnet"),
    ("found undefined alias", "aliaset (*namn) saknar motsvarande ankare (&namn)"),
    ("found duplicate anchor", "samma ankare (&namn) används två gånger"),
    ("while scanning an anchor", "ogiltigt namn efter & (ankare)"),
    ("while scanning an alias", "ogiltigt namn efter * (alias)"),
    ("found unknown escape character", "okänd teckenkombination med \\ inom dubbla citattecken; använd enkla citattecken"),
    ("while scanning a quoted scalar", "ett citattecken stängs aldrig"),
    ("while scanning a block scalar", "fel tecken efter | eller >"),
    ("while parsing a flow sequence", "en lista inom [ ] stängs inte (']' eller ',' saknas)"),
    ("while parsing a flow mapping", "en grupp inom { } stängs inte ('}' eller ',' saknas)"),
    ("expected a single document", "filen innehåller flera YAML-dokument (---); ett ärende per fil"),
    ("expected '<document start>'", "oväntat tecken; kontrollera klamrar och citattecken"),
    ("did not find expected '-' indicator", "listpunkten har fel indrag"),
    ("expected <block end>, but found '-'", "listpunkten har fel indrag"),
    ("while parsing a block", "fel indrag: raden ligger inte i linje med fälten ovanför"),
    ("did not find expected key", "fel indrag, eller ett fältnamn saknas"),
    ("could not determine a constructor for the tag", "okänd tagg (!…); ta bort den"),
    ("is not supported", "taggar som !!binary, !!set, !!omap och !!pairs stöds inte; skriv värdet som vanlig text eller lista"),
    ("failed to decode base64", "taggen !!binary stöds inte; skriv värdet som vanlig text"),
    ("while scanning a directive", "rader som börjar med % stöds inte"),
    ("expected the node content", "ett värde saknas: raden eller filen tar slut för tidigt"),
]


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    start = re.match(r"found character '(.+?)' that cannot start any token", exc.problem or "")
    if start and start.group(1) != "\\t":
        return f"ett värde kan inte börja med '{start.group(1)}'; sätt värdet inom citattecken"
    for text in (exc.problem or "", exc.context or ""):
        for english, swedish in _YAML_PROBLEMS:
            if english in text:
                return swedish
    return f"ogiltig YAML ({(exc.problem or exc.context or '').strip()}); kontrollera indrag, kolon och citattecken"


def read_yaml(path: str | Path, what: str = "ärendefilen", numbered_keys: bool = False) -> Source:
    """Read and parse a YAML file, refusing what is not a sensible YAML mapping."""
    path = Path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path}: är en mapp, inte en fil. Ange sökvägen till {what}.")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: är inte en vanlig fil. Ange sökvägen till {what}.")
        if info.st_size > MAX_BYTES:
            raise InputError(f"{path}: filen är för stor ({info.st_size // 1024} kB, högst {MAX_BYTES // 1024} kB). Är det rätt fil?")
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BYTES + 1)  # the file may grow between stat and read
    except FileNotFoundError:
        hint = ", eller skapa en ny med 'mallgen new'" if what == "ärendefilen" else ""
        raise InputError(f"{path}: filen finns inte. Kontrollera sökvägen{hint}.") from None
    except OSError as exc:
        raise InputError(f"{path}: filen kan inte läsas ({os_reason(exc)}).") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{path}: filen är för stor (över {MAX_BYTES // 1024} kB). Är det rätt fil?")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: filen är sparad som UTF-16. Spara den som UTF-8 i din textredigerare.")
    if b"\x00" in raw:
        raise InputError(f"{path}: filen är binär, inte YAML-text. Är det rätt fil?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: filen är inte UTF-8. Spara den som UTF-8 i din textredigerare.") from None
    source = parse_yaml(text, path, numbered_keys)
    if source.data is None:
        raise InputError(f"{path}: filen är tom. Börja från en mall: 'mallgen new fordjupad -o {path.name}'.")
    if not isinstance(source.data, dict):
        kind = "en lista" if isinstance(source.data, list) else "ett enstaka värde"
        raise InputError(f"{path}:{source.line_of(())}: filen innehåller {kind}, men {what} ska bestå av fält (nyckel: värde).")
    return source


def is_date(value: Any) -> TypeGuard[dt.date]:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
