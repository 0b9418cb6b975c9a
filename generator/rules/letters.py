"""Rules of the parts of a letter: copy list, attachments, signatures and decision blocks."""

from __future__ import annotations

from .common import Rule

RULES: list[Rule] = []
