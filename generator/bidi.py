"""Text direction: keeping left-to-right values in order inside right-to-left text (Unicode bidi)."""

from __future__ import annotations

import unicodedata

# Embedding marks that keep a value's own direction inside a paragraph of the other direction
# (LRE/RLE … PDF). The isolates of Unicode 6.3 (FSI … PDI) would be the modern choice, but Pango
# (WeasyPrint) does not honour them, while every engine (Pango, browsers, Word, LibreOffice) honours these.
LRE, RLE, PDF = "\u202a", "\u202b", "\u202c"
EMBEDDINGS = LRE + RLE + PDF


def first_strong(text: str) -> str | None:
    """`ltr` or `rtl` by the first strong character (Unicode bidi P2), None when there is none."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


def keep_direction(value: str, paragraph: str) -> str:
    """A value set into a paragraph of direction `paragraph`, embedded in its own direction.

    In a right-to-left letter a telephone number, a postcode or a Swedish name is embedded
    left-to-right, so "0999-10 00 00" and "999 30 Norrsund" keep their order; a value without any
    strong character (digits only) counts as left-to-right, as numbers are written in every language here.
    """
    if paragraph != "rtl" or not value:
        return value
    direction = first_strong(value) or "ltr"
    return f"{LRE if direction == 'ltr' else RLE}{value}{PDF}"


def strip_embeddings(text: str) -> str:
    """Text without the embedding marks (for comparing what a reader sees)."""
    return text.translate({ord(LRE): None, ord(RLE): None, ord(PDF): None})
