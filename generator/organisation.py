"""The organisation profile: region, boards, letterhead, diarienummer pattern, archival profile."""

from __future__ import annotations

import re
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any

from .case import Source, read_yaml
from .errors import Problem
from .resources import bundled
from .schema import find_schema, schema_dirs, validate

PROFILE_NAME = "organisation.yaml"


def profile_path(case_path: Path, data: dict[str, Any], explicit: Path | None) -> Path:
    """Which profile a case uses: `--organisation`, the case's `organisation:` key, one beside the case, or the example."""
    if explicit is not None:
        return explicit
    named = data.get("organisation")
    if isinstance(named, str):
        return (case_path.parent / named).resolve()
    beside = case_path.parent / PROFILE_NAME
    if beside.is_file():
        return beside
    return bundled("examples") / PROFILE_NAME


def load_profile(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Read and validate a profile; returns it normalised plus any problems (with lines).

    A region's cases share one profile: it is read once per process for as long as the file is
    unchanged. The profile is shared, never modified; the list of problems is the caller's own.
    """
    try:
        info = path.stat()
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        return _load_profile(path)  # read_yaml says what is wrong with it
    profile, problems = _cached_profile(path, info.st_mtime_ns, info.st_size)
    return profile, list(problems)


@lru_cache(maxsize=16)
def _cached_profile(path: Path, mtime_ns: int, size: int) -> tuple[dict[str, Any], tuple[Problem, ...]]:
    profile, problems = _load_profile(path)
    return profile, tuple(problems)


def _load_profile(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    source: Source = read_yaml(path, what="organisationsprofilen")
    dirs = schema_dirs()
    profile, problems = validate(source, find_schema("organisation", dirs) or {}, dirs)
    pattern = profile.get("diarienummer_monster")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(source.problem(("diarienummer_monster",), f"ogiltigt reguljärt uttryck ({exc})"))
        else:
            example = profile.get("diarienummer_exempel")
            if isinstance(example, str) and not re.fullmatch(pattern, example):
                problems.append(source.problem(("diarienummer_exempel",), "exemplet följer inte diarienummer_monster"))
    colour = profile.get("farg")
    if isinstance(colour, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", colour) and contrast_on_white(colour) < 4.5:
        ratio = contrast_on_white(colour)
        problems.append(source.problem(("farg",), f"färgen {colour} har för låg kontrast mot vitt ({ratio:.1f}:1, "
                                       "minst 4.5:1 krävs för tillgänglighet); välj en mörkare färg"))
    return profile, problems


def contrast_on_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of `#rrggbb` text on a white page."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def board(profile: dict[str, Any], board_id: str) -> dict[str, Any] | None:
    return next((b for b in profile.get("namnder", []) if b.get("id") == board_id), None)
