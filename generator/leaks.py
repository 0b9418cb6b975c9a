"""The leak scan: what reached a document that leaves the team, checked on the rendered files.

The context already removes internal fields and masks personnummer (generator/context.py). This
scan is the second, independent line: it extracts the text of every output of a non-internal
document and searches it for

- the case's internal values (fields marked `intern: true` in the case's schema or in the bundled
  one, so a user schema that drops the marker does not hide a field from the scan), and
- personnummer that are not masked (and, where the organisation profile says `vagra`, masked ones);
  a sole trader's organisationsnummer is shown as written (formatting.public_numbers).

Every document except a confidential attachment, internal ones included, is also searched for the
case's confidential values (fields marked `sekretess: true`): they belong in the attachment only.
A confidential attachment is searched for internal values, and for personnummer only where the
profile masks them there (`sekretess.bilaga_personnummer: maskera`).

What counts as an internal value: the text of an internal field, whole (when it holds at least
MIN_VALUE letters and digits) and sentence by sentence (sentences of at least MIN_SENTENCE).
Text is compared by its letters and digits only, case-folded, so Markdown, HTML tags, line breaks
and Word runs cannot hide a match. Not searched, with the reason:

- short coded values (`farg: rod`, `allvarlighet: mellan`): they are ordinary Swedish words
  ("lag", "mellan") and cannot be told apart from prose; the context alone keeps them out;
- text the case also holds in a field that is not internal (a name, or a sentence copied from an
  internal note into an external field): it is no secret in the rendered document, and
  `duplicated_internal_text` warns about it at validation so the officer can decide.

PDFs are checked through the HTML page they are made from (WeasyPrint lays out exactly that page;
the tests compare it with `pdftotext`), which keeps the scan fast and free of PDF parsing.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .case import Source, dotted
from .context import marked_values, strip_marked
from .errors import DataError, Problem
from .formatting import digits10, find_personnummer, public_numbers
from .schema import case_schema, schema_dirs, team_schema
from .templates import AUDIENCES, DocumentTemplate, catalogue, template_dirs

if TYPE_CHECKING:
    from .pipeline import Case

MIN_VALUE = 10  # letters and digits of a whole internal value
MIN_SENTENCE = 20  # letters and digits of one sentence of a longer internal text
MASKED = re.compile(r"(?<![\dX])(\d{2})?XXXXXX[-+]XXXX(?![\dX])")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_TAG = re.compile(r"<[^>]*>")
_NO_BREAK_HYPHEN = re.compile(r"</w:t>\s*<w:noBreakHyphen\s*/>\s*<w:t(?:\s[^>]*)?>|<w:noBreakHyphen\s*/>")
_ATTRIBUTE = re.compile(r"""=\s*"([^"]*)"|=\s*'([^']*)'""")


_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")  # \w is exactly str.isalnum() plus '_'

# Letters of other scripts that look like Latin ones (Unicode's confusables for the Latin letters a
# Swedish text uses): a pasted "Оbservation" with a Cyrillic О is the same text to a reader.
HOMOGLYPHS = str.maketrans({
    **dict(zip("АВЕЅІЈКМНОРСТУХԚԜҺаеѕіјорсухԁԛԝһӏ", "ABESIJKMHOPCTYXQWHaesijopcyxdqwhl", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαιονρτυχ", "ABEZHIKMNOPTYXaiovptux", strict=True)),
    "ı": "i", "ȷ": "j", "ℓ": "l", "օ": "o", "ɡ": "g",
})


def canonical(text: str) -> str:
    """Letters and digits only, compatibility-normalised (NFKC: fullwidth and composed forms, NFD text
    as pasted on macOS), homoglyphs read as the Latin letter they imitate, case-folded: how text is
    compared. Invisible characters (soft hyphen, zero-width space) are no letters and drop out."""
    text = unicodedata.normalize("NFKC", text).translate(HOMOGLYPHS).casefold()
    return _NOT_ALPHANUMERIC.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Needle:
    """One piece of internal text to look for, and the field it comes from."""

    path: tuple[Any, ...]
    text: str


def _strings(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _pieces(text: str) -> list[str]:
    """The whole text and each of its sentences, canonical, long enough to be distinctive."""
    pieces = [canonical(text)] if len(canonical(text)) >= MIN_VALUE else []
    for sentence in _SENTENCE_END.split(text):
        piece = canonical(sentence)
        if len(piece) >= MIN_SENTENCE and piece not in pieces:
            pieces.append(piece)
    return pieces


def _schemas(case: Case) -> list[dict[str, Any]]:
    """The case's own schema and the bundled one: a field internal in either is internal."""
    kind = "team" if case.is_team else "arende"
    bundled_ids = [d for d, t in catalogue(tuple(template_dirs(None))).items() if t.source == kind]
    bundled = team_schema(bundled_ids, schema_dirs(None)) if case.is_team else case_schema(bundled_ids, set(), schema_dirs(None))
    return [case.schema, bundled]


MARKERS = ("intern", "sekretess")


def _internal(data: dict[str, Any], schemas: list[dict[str, Any]], marker: str = "intern") -> dict[tuple[Any, ...], Any]:
    found: dict[tuple[Any, ...], Any] = {}
    for schema in schemas:
        for path, value in marked_values(data, {"type": "dict", "schema": schema}, marker):
            found.setdefault(path, value)
    return found


def _visible(data: dict[str, Any], schemas: list[dict[str, Any]]) -> list[tuple[tuple[Any, ...], str]]:
    """Every text of the case that is neither internal nor confidential (by any of the schemas)."""
    for schema in schemas:
        for marker in MARKERS:
            data = strip_marked(data, {"type": "dict", "schema": schema}, marker)
    return [(path, canonical(text)) for path, text in _strings(data, ()) if path[:1] != ("organisation",)]


_NEEDLES: dict[tuple[int, tuple[str, ...]], tuple[Case, dict[str, list[Needle]]]] = {}


def needles(case: Case, markers: tuple[str, ...] = ("intern",)) -> dict[str, list[Needle]]:
    """Per marker, the texts of fields carrying it that a document without access to them must not
    contain: internal texts (`intern`) for a non-internal document, confidential ones (`sekretess`)
    for every document but a confidential attachment. One pass over the case for all markers, and
    one per case: its documents are scanned one after the other."""
    known = _NEEDLES.get((id(case), markers))
    if known is not None and known[0] is case:
        return known[1]
    found = _needles(case, markers)
    if len(_NEEDLES) >= 8:
        _NEEDLES.clear()
    _NEEDLES[(id(case), markers)] = (case, found)
    return found


def _needles(case: Case, markers: tuple[str, ...]) -> dict[str, list[Needle]]:
    schemas = _schemas(case)
    visible = [text for _, text in _visible(case.data, schemas)]
    found: dict[str, list[Needle]] = {}
    for marker in markers:
        found[marker] = []
        for base, value in _internal(case.data, schemas, marker).items():
            for path, text in _strings(value, base):
                for piece in _pieces(text):
                    if not any(piece in other for other in visible):
                        found[marker].append(Needle(path, piece))
    return found


def duplicated_internal_text(data: dict[str, Any], schema: dict[str, Any], source: Source) -> list[Problem]:
    """Warnings for internal text the case also holds in a field that can reach other documents."""
    schemas = [schema]
    visible = _visible(data, schemas)
    problems: list[Problem] = []
    for base, value in _internal(data, schemas).items():
        for path, text in _strings(value, base):
            for piece in _pieces(text):
                if len(piece) < MIN_SENTENCE:
                    continue  # names and short phrases are shared between fields on purpose
                other = next((where for where, seen in visible if piece in seen), None)
                if other is not None:
                    problems.append(source.problem(
                        other,
                        f"texten finns också i det interna fältet {dotted(path)} (rad {source.line_of(path)}); "
                        "interna uppgifter får inte lämna teamet – kontrollera att den får stå här",
                        warning=True,
                    ))
                    break
    return sorted(set(problems))


# --- text extraction ------------------------------------------------------------------------


# Tags inside a line of text: they split no word, so "1912<strong>1212</strong>-1212" reads as one
# number. Every other tag (paragraphs, cells, line breaks) separates.
_INLINE_TAGS = re.compile(r"</?(?:a|abbr|b|bdi|bdo|cite|code|data|del|dfn|em|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var"
                          r"|w:r|w:t|w:rPr|w:hyperlink|w:proofErr|w:bookmarkStart|w:bookmarkEnd|w:ins|w:del|w:smartTag|w:fldSimple)(?:\s[^>]*)?/?>")


def _markup_text(markup: str) -> str:
    """The text of HTML or XML, attribute values (titles, links, relationship targets) included."""
    attributes = " ".join(a or b for a, b in _ATTRIBUTE.findall(markup))
    return html.unescape(_TAG.sub(" ", _INLINE_TAGS.sub("", markup)) + " " + attributes)


def html_text(page: str) -> str:
    """The text of an HTML page, with attribute values (title, meta, links) included."""
    return _markup_text(page)


def docx_text(data: bytes) -> str:
    """The text of every XML part of a DOCX: body, headers, footers, notes, properties and the
    relationships (a hyperlink's address is there, not in the body)."""
    parts: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith((".xml", ".rels")):
                xml = _NO_BREAK_HYPHEN.sub("-", archive.read(name).decode("utf-8", "replace"))  # shown as a hyphen
                parts.append(_markup_text(xml))
    return "\n".join(parts)


def extract_text(extension: str, content: bytes) -> str:
    """The text a reader of this output sees. PDFs: pass the HTML page they were made from.

    A Markdown file is read both as written and as a Markdown viewer shows it (`1912*1212*-1212`
    shows a number, `&#49;` a digit)."""
    if extension == "docx":
        return docx_text(content)
    text = content.decode("utf-8", "replace")
    if extension == "md":
        from .render import markdown_to_html

        return text + "\n" + html_text(markdown_to_html(text))
    return html_text(text) if extension in ("html", "pdf") else text


# --- the scan -------------------------------------------------------------------------------


def scan(case: Case, document: DocumentTemplate, texts: dict[str, str], canon: dict[str, str] | None = None,
         personnummer: bool = True) -> list[Problem]:
    """Problems for everything in `texts` (extension -> extracted text) that must not be there.

    A caller scanning one document against many cases passes `canon` (the canonical texts, made
    once) and checks personnummer with only one of them.
    """
    audience = AUDIENCES[document.audience].lower()
    source = case.source
    problems: list[Problem] = []
    canon = canon if canon is not None else {extension: canonical(text) for extension, text in texts.items()}
    reported: set[tuple[Any, ...]] = set()
    searched = tuple(m for m in MARKERS if (m == "intern" and not document.internal) or (m == "sekretess" and not document.confidential))
    for marker, found_needles in (needles(case, searched) if searched else {}).items():
        for needle in found_needles:
            where = [extension for extension, text in canon.items() if needle.text in text]
            if where and needle.path not in reported:
                reported.add(needle.path)
                problems.append(source.problem(needle.path, _leak_message(marker, document, audience, where)))
    secrets = (case.profile.get("sekretess") or {})
    if not personnummer or document.internal or (document.confidential and secrets.get("bilaga_personnummer", "visa") == "visa"):
        return problems
    refuse = secrets.get("personnummer") == "vagra" and not document.confidential
    keep = public_numbers(case.data)
    found: dict[str, list[str]] = {}
    written: dict[str, str] = {}  # one number, however each format writes it, is one problem
    for extension, text in texts.items():
        flat = " ".join(text.split())
        for number in find_personnummer(text.replace("\r", ""), keep):  # line breaks kept: a number may be broken over two
            number = written.setdefault(digits10(number), number)
            found.setdefault(number, []).append(extension)
        if refuse:
            for match in MASKED.finditer(flat):
                found.setdefault(match.group(0), []).append(extension)
    for number, where in found.items():
        formats = ", ".join(dict.fromkeys(where))
        masked = "X" in number
        what = "ett maskerat personnummer" if masked else "ett personnummer som inte är maskerat"
        rule = ("organisationsprofilen vägrar personnummer i dokument som lämnar teamet (sekretess.personnummer: vagra)"
                if masked else "personnummer ska maskeras i dokument som lämnar teamet")
        path = None if masked else _field_with(case.data, number)
        message = f"dokumentet '{document.id}' ({audience}; {formats}) innehåller {what}; {rule}"
        if path is not None:
            problems.append(source.problem(path, message))
        else:
            line = _template_line(document, number)
            problems.append(Problem(str(document.path), line, "", message + "; kontrollera mallen och fälten den skriver ut"))
    return problems


def _leak_message(marker: str, document: DocumentTemplate, audience: str, where: list[str]) -> str:
    formats = ", ".join(where)
    if marker == "intern":
        return (f"internt fält står i dokumentet '{document.id}' ({audience}; {formats}). "
                f"Interna uppgifter får aldrig lämna teamet; ta bort fältet ur mallen {document.path}")
    return (f"sekretessbelagt fält står i dokumentet '{document.id}' ({audience}; {formats}). Sekretessbelagda "
            f"uppgifter står bara i en sekretessbelagd bilaga (bilaga_till); ta bort fältet ur mallen {document.path}")


def _template_line(document: DocumentTemplate, number: str) -> int:
    """The line of the document's own source that holds the number, or 0 (it came from elsewhere)."""
    try:
        lines = document.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    first = number.splitlines()[0] if number.strip() else number  # a number broken over two lines starts on the first
    return next((n for n, line in enumerate(lines, 1) if first in line), 0)


def _field_with(data: dict[str, Any], number: str) -> tuple[Any, ...] | None:
    digits = digits10(number)
    for path, text in _strings(data, ()):
        if any(digits10(found) == digits for found in find_personnummer(text)):
            return path
    return None


def check(case: Case, document: DocumentTemplate, texts: dict[str, str]) -> None:
    """Raise DataError (nothing is written) if the scan finds anything."""
    problems = scan(case, document, texts)
    if problems:
        raise DataError(problems)


__all__ = ["check", "duplicated_internal_text", "extract_text", "needles", "scan"]
