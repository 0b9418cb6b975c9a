"""The organisation profile: region, boards, letterhead, diarienummer pattern, archival profile,
and the delegation order (who may decide each measure)."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .case import Source, read_yaml
from .errors import Problem
from .placeholders import left_in, placeholder_context
from .resources import bundled
from .schema import find_schema, regex_problem, schema_dirs, validate

PROFILE_NAME = "organisation.yaml"


class Profile(dict[str, Any]):
    """A loaded profile: its data, plus where it was read from (for messages that cite its lines).

    The location is kept beside the data, never in it, so neither a template nor the data hash
    (which must not depend on where the file lies) sees it.
    """

    path: str = ""
    lines: dict[tuple[Any, ...], int]

    def __init__(self, data: dict[str, Any], path: str = "", lines: dict[tuple[Any, ...], int] | None = None) -> None:
        super().__init__(data)
        self.path = path
        self.lines = lines or {}

    def where(self, *field: Any) -> str | None:
        """`file:line` of a field the profile sets itself, or None (not set, or not read from a file)."""
        line = self.lines.get(tuple(field))
        return f"{self.path}:{line}" if self.path and line else None


def profile_path(case_path: Path, data: dict[str, Any], explicit: Path | None) -> Path:
    """Which profile a case uses: `--organisation`, the case's `organisation:` key, one beside the case, or the example."""
    if explicit is not None:
        return explicit
    named = data.get("organisation")
    if isinstance(named, str):
        return Path(os.path.abspath(case_path.parent / named))  # absolute, without following links (a loop fails when read)
    beside = case_path.parent / PROFILE_NAME
    if beside.is_file():
        return beside
    return bundled("examples") / PROFILE_NAME


def uses_example_profile(case_path: Path, data: dict[str, Any], explicit: Path | None) -> bool:
    """Whether the case falls back to the bundled example profile because none is given."""
    return explicit is None and not isinstance(data.get("organisation"), str) and not (case_path.parent / PROFILE_NAME).is_file()


def example_profile_warning(profile: dict[str, Any], path: Path) -> str:
    """What `validate` and `render` say when a case has no profile of its own."""
    region = profile.get("region") or "exempelregionen"
    return (f"ingen organisationsprofil är angiven (varken --organisation, fältet 'organisation:' eller {PROFILE_NAME} i "
            f"ärendets mapp), så exempelprofilen för den påhittade {region} används ({path}) och dokumenten märks EXEMPEL; "
            f"ange er egen profil")


def is_profile(data: Any) -> bool:
    """An organisation profile (rather than a case, team or report file)."""
    return isinstance(data, dict) and "arende" not in data and "region" in data and "namnder" in data


def load_profile(path: Path) -> tuple[Profile, list[Problem]]:
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
def _cached_profile(path: Path, mtime_ns: int, size: int) -> tuple[Profile, tuple[Problem, ...]]:
    profile, problems = _load_profile(path)
    return profile, tuple(problems)


def _load_profile(path: Path) -> tuple[Profile, list[Problem]]:
    source: Source = read_yaml(path, what="organisationsprofilen")
    dirs = schema_dirs()
    schema = find_schema("organisation", dirs) or {}
    data, problems = validate(source, schema, dirs)
    problems += left_in(data, schema, source, placeholder_context(dirs))
    profile = Profile(data, source.name, source.lines)
    pattern = profile.get("diarienummer_monster")
    if isinstance(pattern, str):
        if (wrong := regex_problem(pattern)) is not None:
            problems.append(source.problem(("diarienummer_monster",), wrong))
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


# --- the delegation order (handbook kap. 4) ------------------------------------------------------

ROLE_NAMES = {  # definite form, for running text: "beslutas av teamledaren"
    "handlaggare": "handläggaren",
    "teamledare": "teamledaren",
    "avdelningschef": "avdelningschefen",
    "regionjurist": "regionjuristen",
    "medicinsk_radgivare": "den medicinska rådgivaren",
    "ekonom": "ekonomen",
    "dataanalytiker": "dataanalytikern",
    "kommunikator": "kommunikatören",
    "ansvarig_tjansteperson": "ansvarig tjänsteperson",
    "teamet": "teamet",
    "namnd": "ansvarig nämnd eller styrelse",
}


@dataclass(frozen=True)
class Measure:
    """A step of the escalation ladder or a named measure, and who decides it by the handbook."""

    name: str  # Swedish, for messages and decision texts
    default: tuple[str, ...]  # the handbook's decision-makers
    consult: tuple[str, ...] = ()  # roles consulted before deciding
    step: str | None = None  # the ladder step a named measure belongs to
    source: str = "kapitel 4"  # where the handbook gives the mandate


MEASURES: dict[str, Measure] = {
    "0": Measure("steg 0 (normalläge)", ("handlaggare",)),
    "1": Measure("steg 1 (dialogbaserad avvikelsehantering)", ("handlaggare",)),
    "2a": Measure("steg 2a (begäran om handlingsplan)", ("handlaggare",)),
    "2b": Measure("steg 2b (uppföljning av handlingsplan)", ("handlaggare",)),
    "3": Measure("steg 3 (åtgärdsstrategi)", ("teamledare",)),
    "3a": Measure("steg 3a (anmodan om rättelse)", ("teamet",), ("regionjurist",)),
    # The team follows the correction request up; återkrav and sanktion are the board's.
    "3b": Measure("steg 3b (uppföljning av anmodan)", ("teamet", "namnd")),
    "4a": Measure("steg 4a (kontrollplan)", ("namnd",)),
    "4b": Measure("steg 4b (uppföljning av kontrollplan)", ("namnd",)),
    "5": Measure("steg 5 (åtgärder beslutade av nämnd eller styrelse)", ("namnd",)),
    "fordjupad_uppfoljning": Measure("beslut om fördjupad uppföljning", ("avdelningschef",), source="avsnitt 3.1"),
    "handlingsplan": Measure("begäran om handlingsplan", ("handlaggare",), step="2a"),
    "anmodan": Measure("anmodan om rättelse", ("teamet",), ("regionjurist",), step="3a"),
    "kontrollplan": Measure("kontrollplan", ("namnd",), step="4a"),
    "aterkrav": Measure("återkrav", ("namnd",)),
    "sanktion_vite": Measure("sanktion och vite", ("namnd",)),
    "havning": Measure("hävning av avtal", ("namnd",)),
    "anmalan_ivo": Measure("anmälan till IVO", ("medicinsk_radgivare",)),
    "polisanmalan": Measure("polisanmälan", ("ansvarig_tjansteperson",), ("regionjurist",)),
}


def mandate(profile: dict[str, Any], measure: str) -> dict[str, Any]:
    """Who may decide `measure`: the profile's delegation order, else the handbook's table.

    A named measure the profile leaves out follows its step when the profile sets that
    (`anmodan` follows `3a`). Returns plain data: `atgard`, `namn`, `beslutar`, `samrad`, `punkt`,
    `text` (how a decision block states the mandate), and `kalla` (`file:line` when the profile
    sets it, else None; for messages, never shown in a document).
    """
    spec = MEASURES[measure]
    order = profile.get("delegationsordning") or {}
    key = measure if isinstance(order.get(measure), dict) else spec.step if spec.step and isinstance(order.get(spec.step), dict) else None
    entry: dict[str, Any] = order[key] if key else {}
    point = entry.get("punkt")
    if point:
        text = f"med stöd av {order.get('benamning') or 'delegationsordningen'}, punkt {point}"
    else:
        text = f"enligt beslutsmandaten i handboken för avtalsuppföljning, {spec.source}"
    where = profile.where("delegationsordning", key) if key and isinstance(profile, Profile) else None
    return {
        "atgard": measure,
        "namn": spec.name,
        "beslutar": list(entry.get("beslutar") or spec.default),
        "samrad": list(entry.get("samrad") or ([] if key else spec.consult)),
        "punkt": point,
        "text": text,
        "kalla": where,
    }


def mandates(profile: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every measure's mandate, for templates (`mandat.anmodan.text`); without the profile's lines."""
    return {m: {k: v for k, v in mandate(profile, m).items() if k != "kalla"} for m in MEASURES}


def role_text(role: str) -> str:
    return ROLE_NAMES.get(role, role)


def roles_text(roles: list[str]) -> str:
    """`teamet`, `handläggaren eller teamledaren`, `a, b eller c`."""
    names = [role_text(r) for r in roles]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} eller {names[-1]}"
