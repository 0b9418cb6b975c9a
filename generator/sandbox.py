"""What a template may reach and how much work it may do.

A template folder may come from another team or region, so a template is untrusted input:

- it sees plain data only (`plain`): dicts, lists, text, numbers, dates and Markup/Markdown text,
  never an object whose methods reach files, the network or the process;
- it runs in Jinja's immutable sandbox (no underscore attributes, no mutation of data), and
- its work is bounded (`BoundedEnvironment`): no value it builds may exceed MAX_STRING characters
  or items, no width or count it passes to a filter or method MAX_WIDTH, its output MAX_OUTPUT
  characters, and its running time TEMPLATE_SECONDS; each limit stops it with a Swedish message.

The environment factory in `templates` makes every environment from `BoundedEnvironment`, and
`BoundedTemplate.render` is the one door into a template, for our own renders and docxtpl's alike.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import re
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import update_wrapper
from typing import Any, TypeVar

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Concat
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from markupsafe import Markup

# Limits. A real document is a few to a few hundred pages: its Markdown is at most some hundred
# thousand characters, and it renders in well under a second. Every limit is far above that.
MAX_STRING = 5_000_000  # characters (or items) of one value a template computes: twice the largest case file
MAX_WIDTH = 10_000  # a width, count or padding given to a filter or method (center, indent, ljust, batch ...)
MAX_OUTPUT = 20_000_000  # characters one template may write (the DOCX body XML of a 300-page report is ~5 MB)
TEMPLATE_SECONDS = 30.0  # one template's running time; the annual report's largest renders in ~0.2 s


class Markdown(str):
    """Text that is already Markdown: inserted as is, not escaped."""


_T = TypeVar("_T")


# --- plain data -------------------------------------------------------------------------------

_KEPT_TEXT = (Markup, Markdown)  # text types a template may receive as they are
_SCALARS = (bool, int, float, type(None))


def plain(value: Any, path: str = "") -> Any:
    """`value` as plain data: dicts with text keys, lists, str, int, float, bool, None, dates,
    Markup and Markdown. Mappings and sequences of other types become dicts and lists; anything
    else (a dataclass, a path, a file, a function) is refused with a TypeError naming where it is:
    such an object is a programming error, and a template must never see it."""
    kind = type(value)
    if kind in (str, *_KEPT_TEXT) or kind in _SCALARS or kind in (dt.date, dt.datetime):
        return value
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if type(key) not in (str, int):  # YAML keys are text; a handbook list may number its items
                raise TypeError(f"{path or 'kontexten'}: nyckeln {key!r} är varken text eller heltal")
            out[key] = plain(item, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(value, (list, tuple)):
        return [plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, str):
        return str(value)  # e.g. InvalidDate: keep the text, lose the type
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    raise TypeError(f"{path or 'kontexten'}: {type(value).__name__} är inga rena data och får inte lämnas till en mall")


# --- limits -----------------------------------------------------------------------------------


class TemplateLimitError(Exception):
    """A template went over one of the limits; the message is Swedish and says which."""


class TemplateTimeout(BaseException):
    """Raised asynchronously in a template that ran past TEMPLATE_SECONDS (BaseException, so no
    `except Exception` inside a filter swallows it)."""


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 0


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def _too_long(what: str = "ett värde") -> str:
    return f"{what} blev längre än {_number(MAX_STRING)} tecken eller poster"


def check_size(value: _T, what: str = "ett värde") -> _T:
    """`value`, unless it is text or a list longer than MAX_STRING."""
    if _size(value) > MAX_STRING:
        raise TemplateLimitError(_too_long(what))
    return value


def _width(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise TemplateLimitError(f"{what} är {value}; högst {_number(MAX_WIDTH)}")
    if isinstance(value, str) and len(value) > MAX_WIDTH:
        raise TemplateLimitError(f"{what} är för lång; högst {_number(MAX_WIDTH)} tecken")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(text: str) -> None:
    """`'%*d' % (10**9, 1)` would pad to a gigabyte: widths from arguments and large widths are refused."""
    for width, precision in _PERCENT_SPEC.findall(text):
        for part in (width, precision):
            if part == "*" or (part and int(part) > MAX_WIDTH):
                raise TemplateLimitError(f"en bredd eller precision i formatsträngen är större än {_number(MAX_WIDTH)} eller tas från ett värde")


def _check_format_string(text: str) -> None:
    """`'{:>1000000000}'.format(1)`: the same for str.format."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # str.format reports the malformed string itself
    for _, _, spec, _ in fields:
        if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec))):
            raise TemplateLimitError(f"en bredd i formatsträngen är större än {_number(MAX_WIDTH)} eller tas från ett värde")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be huge before Python builds it."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and _size(seq) and _size(seq) * max(times, 0) > MAX_STRING:
                raise TemplateLimitError(_too_long())
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > 100_000:
            raise TemplateLimitError("ett tal blev orimligt stort")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0 and left.bit_length() * right > 100_000:
            raise TemplateLimitError("ett tal blev orimligt stort")
        if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(right) > 100_000:
            raise TemplateLimitError("ett tal blev orimligt stort")
    elif operator == "+":
        if _size(left) and _size(right) and _size(left) + _size(right) > MAX_STRING:
            raise TemplateLimitError(_too_long())
    elif operator == "%" and isinstance(left, str):
        _check_percent_format(left)


# Methods of text and lists whose arguments make their result large.
_WIDE_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, str):
        if name in _WIDE_METHODS:
            for value in (*args, *kwargs.values()):
                _width(value, f"argumentet till {name}()")
        elif name == "join" and args:
            _check_join(owner, args[0])
        elif name == "replace" and len(args) >= 2:
            _check_replace(owner, args[0], args[1])


def _check_join(separator: Any, items: Any) -> None:
    if isinstance(items, (list, tuple, str)) and isinstance(separator, str) and len(separator) * len(items) > MAX_STRING:
        raise TemplateLimitError(_too_long())


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        count = len(text) + 1 if old == "" else text.count(old)
        if len(text) + count * (len(new) - len(old)) > MAX_STRING:
            raise TemplateLimitError(_too_long())


def _bounded_filters() -> dict[str, Any]:
    """Jinja's filters that take a width or build text from repetition, with their arguments checked."""

    def center(value: Any, width: int = 80) -> str:
        _width(width, "bredden i center")
        return check_size(jinja_filters.do_center(value, width))

    def indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        _width(width, "indraget i indent")
        return check_size(jinja_filters.do_indent(value, width, first, blank))

    @jinja2.pass_environment
    def wordwrap(environment: jinja2.Environment, value: Any, width: int = 79, break_long_words: bool = True,
                 wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
        _width(width, "bredden i wordwrap")
        if wrapstring is not None:
            _width(wrapstring, "radbrytningen i wordwrap")
        return check_size(jinja_filters.do_wordwrap(environment, value, width, break_long_words, wrapstring, break_on_hyphens))

    @jinja2.pass_eval_context
    def replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: int | None = None) -> Any:
        _check_replace(str(value), str(old), str(new))
        return check_size(jinja_filters.do_replace(eval_ctx, value, old, new, count))

    @jinja2.pass_eval_context
    def join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value) if not isinstance(value, (list, tuple, str)) else value
        _check_join(str(d), items)
        return check_size(jinja_filters.sync_do_join(eval_ctx, items, d, attribute))

    def format_(value: Any, *args: Any, **kwargs: Any) -> str:
        _check_percent_format(str(value))
        return check_size(jinja_filters.do_format(value, *args, **kwargs))

    def batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
        _width(linecount, "antalet i batch")
        return jinja_filters.do_batch(value, linecount, fill_with)

    def slice_(value: Any, slices: int, fill_with: Any = None) -> Any:
        _width(slices, "antalet i slice")
        return jinja_filters.sync_do_slice(value, slices, fill_with)

    return {"center": center, "indent": indent, "wordwrap": wordwrap, "replace": replace, "join": join, "format": format_,
            "batch": batch, "slice": slice_}


class BoundedNamespace(Namespace):
    """`namespace()`, refusing to hold a value over MAX_STRING (`{% set ns.s = ns.s ~ ns.s %}` in a loop)."""

    def __setitem__(self, name: str, value: Any) -> None:
        check_size(value)
        super().__setitem__(name, value)


def bounded_join(parts: Iterable[Any], markup: bool) -> str:
    """The `~` operator: text joined, no longer than MAX_STRING."""
    pieces = list(parts)
    if sum(_size(p) if isinstance(p, str) else 0 for p in pieces) > MAX_STRING:
        raise TemplateLimitError(_too_long())
    result: str = markup_join(pieces) if markup else str_join(pieces)
    return check_size(result)


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        """`a ~ b` through `bounded_join`, so doubling a text in a loop stops at the limit."""
        markup = "context.eval_ctx.volatile" if frame.eval_ctx.volatile else str(bool(frame.eval_ctx.autoescape))
        self.write("environment.bounded_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(f"), {markup})")


class BoundedTemplate(jinja2.Template):
    """A template whose `render` is the one door in: the context is made plain, the output and
    the running time are bounded."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        ctx = self.new_context(plain(dict(*args, **kwargs)))
        try:
            try:
                with time_limit():
                    return _collect(self.root_render_func(ctx))
            except TemplateTimeout as exc:  # keep the template's frames: the message names the line it was on
                seconds = f"{TEMPLATE_SECONDS:g}".replace(".", ",")
                raise TemplateLimitError(f"den arbetade längre än {seconds} sekunder (en loop som aldrig tar slut, "
                                         "eller för mycket arbete)").with_traceback(exc.__traceback__) from None
        except Exception:
            self.environment.handle_exception()
        raise AssertionError("unreachable")  # handle_exception always raises


def _collect(pieces: Iterable[str]) -> str:
    out: list[str] = []
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_OUTPUT:
            raise TemplateLimitError(f"den skriver mer än {_number(MAX_OUTPUT)} tecken")
        out.append(piece)
    return "".join(out)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the limits of this module."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCodeGenerator
    template_class = BoundedTemplate

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # generates text of any length; no template needs it
        self.globals["namespace"] = BoundedNamespace
        self.filters.update(_bounded_filters())
        self.bounded_join = bounded_join

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_call(__obj, args, kwargs)
        return check_size(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_string(text)
            return check_size(wrapped(*args, **kwargs))

        return update_wrapper(checked, value)


# --- the running-time limit -------------------------------------------------------------------


class _Watchdog:
    """One thread per process that stops a template running past its deadline.

    A template is Python code Jinja compiled, so CPython can raise an exception in the thread
    that runs it (PyThreadState_SetAsyncExc; the same on Windows and POSIX). It lands at the
    next bytecode boundary: a loop stops, a single huge operation would not, which is why
    those are refused beforehand (`BoundedEnvironment`).
    """

    def __init__(self) -> None:
        self.after_fork()

    def after_fork(self) -> None:
        """A fresh start, also in a forked process (a render worker): the parent's thread is not
        there, and the condition's lock may have been held by that thread at the fork, for ever."""
        self.condition = threading.Condition()
        self.deadlines: dict[int, float] = {}
        self.depth: dict[int, int] = {}
        self.fired: set[int] = set()
        self.thread: threading.Thread | None = None

    def arm(self, seconds: float) -> None:
        ident = threading.get_ident()
        with self.condition:
            depth = self.depth.get(ident, 0)
            self.depth[ident] = depth + 1
            if depth == 0:  # a template rendered inside another keeps the outer deadline
                self.fired.discard(ident)
                self.deadlines[ident] = time.monotonic() + seconds
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(target=self._run, name="mallgen-mallvakt", daemon=True)
                    self.thread.start()
                self.condition.notify()

    def disarm(self) -> None:
        ident = threading.get_ident()
        with self.condition:
            self.depth[ident] -= 1
            if self.depth[ident]:
                return
            del self.depth[ident]
            self.deadlines.pop(ident, None)
            if ident in self.fired:  # fired as the template finished: take the exception back
                self.fired.discard(ident)
                _set_async_exc(ident, None)

    def _run(self) -> None:
        while True:
            with self.condition:
                now = time.monotonic()
                for ident, deadline in list(self.deadlines.items()):
                    if deadline <= now:
                        del self.deadlines[ident]
                        self.fired.add(ident)
                        _set_async_exc(ident, TemplateTimeout)
                wait = min(self.deadlines.values(), default=now + 3600) - now
                self.condition.wait(max(wait, 0.01))


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> None:
    if sys.implementation.name != "cpython":
        return  # elsewhere a template is bounded in size, not in time
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else ctypes.c_void_p(0))


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WATCHDOG.after_fork)


class time_limit:  # noqa: N801  (used as a context manager, like contextlib's)
    """Stop the code in the `with` block (a template) after TEMPLATE_SECONDS with TemplateTimeout."""

    def __enter__(self) -> None:
        _WATCHDOG.arm(TEMPLATE_SECONDS)

    def __exit__(self, *exc: object) -> None:
        _WATCHDOG.disarm()
