"""A document's Markdown body as plain text for e-mail: the .md output.

What a reader of an e-mail sees is the text itself, so the markup that only a Markdown renderer
understands goes: no `:::` blocks (their content stays, as plain paragraphs), no backslash line
breaks (a line break is two spaces and a new line, as in the header), no backslash escapes, no `**`
around bold text, and a link is its text with the address in parentheses. What reads as structure
in plain text stays, and stays valid Markdown for a reviewer: `#` headings, `-` and `1.` lists,
pipe tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

HARD_BREAK = "  \n"


@dataclass
class _List:
    ordered: bool
    number: int
    indent: str = ""
    first_line: bool = True  # the next paragraph of the current item carries its marker


@dataclass
class _Writer:
    blocks: list[str] = field(default_factory=list)
    lists: list[_List] = field(default_factory=list)
    quote: int = 0
    last_tight: bool = False  # the last block written was a paragraph of a tight list

    def add(self, text: str, tight: bool = False) -> None:
        """One block (paragraph, heading, table), prefixed as its lists and quotes say. A block of a
        tight list follows the list's previous block on the next line, without an empty line."""
        lines = text.split("\n")
        prefix = "".join(item.indent for item in self.lists[:-1])
        if self.lists:
            current = self.lists[-1]
            marker = (f"{current.number}." if current.ordered else "-") + " "
            head = prefix + (marker if current.first_line else " " * len(marker))
            rest = prefix + " " * len(marker)
            current.first_line = False
            lines = [head + lines[0], *[rest + line if line else line for line in lines[1:]]]
        if self.quote:
            lines = [("> " * self.quote + line).rstrip(" ") if line else ">" * self.quote for line in lines]
        separator = "\n" if tight and self.lists and self.last_tight else "\n\n"
        self.blocks.append((separator if self.blocks else "") + "\n".join(lines))
        self.last_tight = tight and bool(self.lists)


def to_plain_text(tokens: Sequence[Token]) -> str:
    """The body as plain text (see the module's description)."""
    writer = _Writer()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            writer.add("#" * int(token.tag[1]) + " " + _inline(tokens[i + 1].children or []))
            i += 3
            continue
        if kind == "paragraph_open":
            writer.add(_inline(tokens[i + 1].children or []), tight=token.hidden)
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            start = int(token.attrGet("start") or 1) if ordered else 1
            marker = len(f"{start}. ") if ordered else 2
            writer.lists.append(_List(ordered, start - 1, " " * marker))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            writer.lists.pop()
        elif kind == "list_item_open":
            current = writer.lists[-1]
            current.number += 1
            current.first_line = True
        elif kind == "table_open":
            end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
            writer.add(_table(tokens[i:end + 1]))
            i = end + 1
            continue
        elif kind in ("fence", "code_block"):
            writer.add("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")))
        elif kind == "hr":
            writer.add("---")
        elif kind == "blockquote_open":
            writer.quote += 1
        elif kind == "blockquote_close":
            writer.quote -= 1
        # `::: name` containers: their content is written as it is, without the fences.
        i += 1
    return "".join(writer.blocks).strip("\n") + "\n"


# Text that a Markdown viewer would turn into live HTML, a link or an image: a tag or autolink
# (`<script>`, `<javascript:…>`), and `[…](…)`, `[…]:` or `![…]`. Data can hold them as text (the
# HTML, PDF and Word documents show them as text). Here a word joiner (U+2060, invisible and never
# a line break) goes after the '<' or the ']', which keeps them text for a viewer, and leaves no
# backslash for a reader of the e-mail.
WORD_JOINER = "\u2060"
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_SYNTAX = re.compile(r"(\[[^\]\n]*\])(?=\s*[(:\[])")


def inert(text: str) -> str:
    """`text` as it reads, but with no HTML, link or image a Markdown viewer would make of it."""
    if "<" not in text and "[" not in text:
        return text
    text = _TAG_START.sub("<" + WORD_JOINER, text)
    return _LINK_SYNTAX.sub(lambda m: m.group(1) + WORD_JOINER, text)


def _inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[str] = []
    for token in children:
        kind = token.type
        if kind in ("text", "code_inline"):
            out.append(inert(token.content))
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append(HARD_BREAK)
        elif kind == "image":
            out.append(token.content or "")
        elif kind == "link_open":
            links.append(str(token.attrGet("href") or ""))
            out.append("\x00")  # where the link's text starts
        elif kind == "link_close" and links:
            url = links.pop()
            start = len(out) - 1 - out[::-1].index("\x00")
            text = "".join(out[start + 1:])
            shown = url.removeprefix("mailto:")
            out[start:] = [text if text in (url, shown) else f"{text} ({shown})"]
    return "".join(out).strip(" ")


def _table(tokens: Sequence[Token]) -> str:
    """A pipe table as Markdown writes it (`| a | b |`): each row one line, readable as it is."""
    rows: list[list[str]] = []
    aligns: list[str] = []
    for j, token in enumerate(tokens):
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            rows[-1].append(_inline(tokens[j + 1].children or []).replace("|", "\\|").replace(HARD_BREAK, " ").replace("\n", " "))
            if token.type == "th_open":
                aligns.append("---:" if "right" in str(token.attrGet("style") or "") else "---")
    if not rows:
        return ""
    return "\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "|".join(aligns) + "|", *("| " + " | ".join(row) + " |" for row in rows[1:])])
