"""The handbook's rules that data can break, beyond what a schema can say, by handbook chapter.

Each rule takes (case data, the case's Source, the organisation profile) and yields problems: an
error where the document would be wrong, a warning where the handbook allows exceptions.

Where a rule goes:

- `common.py`: what every case shares (contract, deviations, the escalation ladder, the refusal of
  personnummer) and the delegation-order check every decision goes through (`check_mandate`,
  `check_decision`);
- `letters.py`: the parts of a letter (copy list, attachments, signatures);
- `kap2.py`, `kap3.py`, `kap4.py`, `kap5.py`: one document's rules, in the module of the handbook
  chapter the document belongs to (a module that does not exist yet is created by whoever needs it,
  with its own `RULES` list, and added to `MODULES` below). A chapter with many documents splits
  into one module per group of documents: `kap4.py` (3a, 4a and the checks its documents share),
  `kap4_plans.py`, `kap4_decisions.py`, `kap4_board.py`, `kap4_reports.py`.
"""

from __future__ import annotations

from typing import Any

from ..case import Source
from ..errors import Problem
from . import common, kap2, kap3, kap4, kap4_board, kap4_decisions, kap4_plans, kap4_reports, kap5, kap6, letters
from .common import LADDER, Rule, check_decision, check_mandate, refused_personnummer

MODULES = (common, letters, kap2, kap3, kap4, kap4_plans, kap4_decisions, kap4_board, kap4_reports, kap5, kap6)
RULES: list[Rule] = [rule for module in MODULES for rule in module.RULES]


def check(data: dict[str, Any], src: Source, profile: dict[str, Any], malformed: bool = False) -> list[Problem]:
    """Every rule's problems. With `malformed` (the schema already found errors) a rule that trips
    over a wrongly typed value is skipped: that value has its own schema error already."""
    problems: list[Problem] = []
    for rule in RULES:
        try:
            problems.extend(rule(data, src, profile))
        except (AttributeError, TypeError, KeyError, ValueError):
            if not malformed:
                raise
    return problems


__all__ = ["LADDER", "RULES", "Rule", "check", "check_decision", "check_mandate", "refused_personnummer"]
