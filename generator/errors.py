"""The error hierarchy. Nothing here knows about click; the CLI maps these to exit codes."""

from __future__ import annotations

import contextlib
import contextvars
import errno
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or doubtful) in an input file, with where it is."""

    file: str
    line: int
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        """One line: `file:line: field: message` (a line break in a quoted value shows as \\n)."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        kind = " varning:" if self.warning else ""
        return f"{where}:{kind}{field} {self.message}".replace("\r", "\\r").replace("\n", "\\n")


class MallgenError(Exception):
    """Base of every error a user can cause; the message is Swedish and says what to do."""

    exit_code = 1


class UsageError(MallgenError):
    """The command was called the wrong way (exit 2)."""

    exit_code = 2


class InputError(MallgenError):
    """A file could not be read or parsed (one message)."""


class DataError(MallgenError):
    """The data is wrong in one or more places; carries every problem (and unreadable file) at once."""

    def __init__(self, problems: list[Problem], failures: list[str] | None = None) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field))
        self.failures = failures or []
        super().__init__("\n".join([*self.failures, *(str(p) for p in self.problems)]))

    def __reduce__(self) -> tuple[type[DataError], tuple[list[Problem], list[str]]]:
        return type(self), (self.problems, self.failures)  # crosses from a worker process whole


class TemplateError(MallgenError):
    """A template is broken: names the template file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: mallfel: {message}")

    def __reduce__(self) -> tuple[type[TemplateError], tuple[str, int | None, str]]:
        return type(self), (self.path, self.line, self.message)  # crosses from a worker process whole


class OutputError(MallgenError):
    """Output could not be written, or writing it would destroy someone's work."""


_OS_REASONS = {
    errno.EACCES: "behörighet saknas",
    errno.EPERM: "behörighet saknas",
    errno.EROFS: "filsystemet är skrivskyddat",
    errno.ENOSPC: "disken är full",
    errno.EDQUOT: "diskkvoten är slut",
    errno.EEXIST: "det finns redan en fil med det namnet",
    errno.ENOTDIR: "en del av sökvägen är en fil, inte en mapp",
    errno.EISDIR: "är en mapp",
    errno.ENOENT: "finns inte",
    errno.ENAMETOOLONG: "namnet är för långt",
    errno.ELOOP: "för många symboliska länkar",
    errno.EIO: "läsfel på disken",
}


def os_reason(exc: OSError) -> str:
    """The operating system's reason in Swedish (its own text is English)."""
    return _OS_REASONS.get(exc.errno or 0, exc.strerror or "okänt fel i filsystemet")


# The input being read or rendered right now, so that even an error nobody foresaw names it.
_CURRENT_INPUT: contextvars.ContextVar[str | None] = contextvars.ContextVar("mallgen_input", default=None)


@contextlib.contextmanager
def working_on(what: str | Path) -> Iterator[None]:
    """Name the input (a file, a template) the code in the `with` block is working on."""
    token = _CURRENT_INPUT.set(str(what))
    try:
        yield
    finally:
        _CURRENT_INPUT.reset(token)


def current_input() -> str | None:
    """The innermost input named with `working_on`, or None."""
    return _CURRENT_INPUT.get()
