"""Word breaks at line ends in the PDF's text, so the tag tree reads "anledning av", not "anledningav".

CSS removes the collapsible space at the end of every line (CSS Text 3, 4.1.3), and a `<br>` draws
nothing: WeasyPrint draws each line as its own tagged text, so where a paragraph wraps, the text
the tag tree owns holds no character between the last word of one line and the first of the next.
A screen reader, or anything else that reads the structure rather than the page, runs them together.
ISO 32000-1 14.8.2.5 asks writers to mark word breaks with a real space character instead.

Two steps around WeasyPrint's layout:

- while lines are made, each line that ends at white space (a collapsed space, or a forced break)
  is marked: `get_next_linebox` knows where the next line resumes in the box's full text, and the
  characters around that point say whether the break fell on white space or inside a word (after a
  hyphen or a slash, say);
- before the pages are drawn, the last visible text of each marked line gets its space back. A space
  after the last glyph draws nothing and moves nothing on the page (the box keeps its width), but
  its glyph is in the content, so the tag text and copied text hold it.

Right-to-left lines are left as they are: there the trailing space is drawn first and would move
the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

FLAG = "_mallgen_ends_at_white_space"
WHITE_SPACE = " \n\t\f\u2028\u2029"


def record_word_breaks() -> None:
    """Mark every line WeasyPrint lays out that ends at white space (idempotent, process-wide: it only
    sets an attribute on the lines, nothing else changes)."""
    from weasyprint.layout import inline

    original = inline.get_next_linebox
    if getattr(original, FLAG, False):
        return

    def get_next_linebox(context: Any, linebox: Any, *args: Any, **kwargs: Any) -> Any:
        line, resume_at = original(context, linebox, *args, **kwargs)
        if line is not None and resume_at is not None and _white_space_at(linebox, resume_at):
            setattr(line, FLAG, True)
        return line, resume_at

    setattr(get_next_linebox, FLAG, True)
    inline.get_next_linebox = get_next_linebox


def keep_word_breaks(document: Any) -> int:
    """Give each marked line of a rendered (not yet drawn) document its trailing space back;
    returns how many lines got one."""
    count = 0
    for page in document.pages:
        for line in _lines(page._page_box):
            if getattr(line, FLAG, False) and _append_space(line):
                count += 1
    return count


def _white_space_at(linebox: Any, skip_stack: dict[int, Any]) -> bool:
    """The character just before or just after the point where the next line resumes is white space."""
    before, after = _around(linebox, skip_stack)
    return bool(before and before[-1] in WHITE_SPACE) or bool(after and after[0] in WHITE_SPACE)


def _around(box: Any, skip_stack: dict[int, Any] | None) -> tuple[str, str]:
    """The nearest non-empty text before and after a resume point (`skip_stack`, as WeasyPrint's
    layout gives it: child index -> deeper skip stack, down to a byte offset in a text box)."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        data = box.text.encode()
        index = next(iter(skip_stack)) if skip_stack else 0
        return data[:index].decode(errors="ignore"), data[index:].decode(errors="ignore")
    if not isinstance(box, boxes.InlineBox | boxes.LineBox):
        return ("\ufffc" if skip_stack else ""), "\ufffc"  # an atomic box: no white space in it
    if not box.children:
        return "", ""
    (index, deeper), = skip_stack.items() if skip_stack else ((0, None),)
    if index >= len(box.children):
        return _text(box, last=True), ""
    before, after = _around(box.children[index], deeper)
    if not before:
        before = next((t for child in reversed(box.children[:index]) if (t := _text(child, last=True))), "")
    if not after:
        after = next((t for child in box.children[index + 1:] if (t := _text(child, last=False))), "")
    return before, after


def _text(box: Any, last: bool) -> str:
    """A box's text, or from its last (first) descendant with text; an atomic box (an image, an inline
    block) stands for a non-space character."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return str(box.text)
    if isinstance(box, boxes.InlineBox | boxes.LineBox):
        children = reversed(box.children) if last else box.children
        return next((t for child in children if (t := _text(child, last))), "")
    return "\ufffc"


def _lines(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.LineBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _lines(child)


def _append_space(line: Any) -> bool:
    """Append a space to the last text box of the line that draws something, unless it already ends in
    white space or a picture or an inline block comes after it."""
    from weasyprint.formatting_structure import boxes

    for box in _leaves_backwards(line):
        if not isinstance(box, boxes.TextBox):
            return False
        if not box.text.strip():
            continue  # the collapsed space itself, or the line break of a <br>: they draw nothing
        if box.text[-1] in WHITE_SPACE or box.style["direction"] == "rtl" or box.pango_layout is None:
            return False
        box.text += " "
        box.pango_layout.text = box.text  # WeasyPrint sets the layout's text again when it draws it
        return True
    return False


def _leaves_backwards(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    for child in reversed(box.children):
        if isinstance(child, boxes.InlineBox):
            yield from _leaves_backwards(child)
        else:
            yield child
