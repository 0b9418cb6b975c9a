"""How a long run says how far it has come (its status), without knowing who shows it (the CLI draws a bar)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """A long run's progress: counted steps (`start`, `advance`, `finish`) and stage lines (`stage`)."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, steps: int = 1) -> None: ...

    def finish(self) -> None: ...

    def stage(self, text: str) -> None: ...


class NoProgress:
    """Progress nobody sees: not a terminal, or asked to be quiet."""

    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass

    def stage(self, text: str) -> None:
        pass
