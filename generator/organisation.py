"""The organisation profile: region, boards, letterhead, diarienummer pattern, archival profile."""

from __future__ import annotations

import re
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
    if isinstance(data.get("organisation"), str):
        return (case_path.parent / data["organisation"]).resolve()
    beside = case_path.parent / PROFILE_NAME
    if beside.is_file():
        return beside
    return bundled("examples") / PROFILE_NAME


def load_profile(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Read and validate a profile; returns it normalised plus any problems (with lines)."""
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
    return profile, problems


def board(profile: dict[str, Any], board_id: str) -> dict[str, Any] | None:
    return next((b for b in profile.get("namnder", []) if b.get("id") == board_id), None)
