"""A list item with more than one paragraph in Word: the item keeps its number, the paragraph
after it continues the item (List Continue, no number), and the next item gets the next number."""

from __future__ import annotations

import io

import docx

from generator.markdown_docx import add_markdown
from generator.resources import bundled

TEXT = """1. **Syfte** – första stycket.

   Andra stycket i samma punkt, med **fetstil**.
2. Nästa punkt.
3. Sista punkten.

- Punkt
- Punkt två
"""


def test_second_paragraph_of_a_list_item_continues_it_without_a_number() -> None:
    document = docx.Document(str(bundled("mallar") / "_layout" / "base.docx"))
    add_markdown(document, document, TEXT)
    buffer = io.BytesIO()
    document.save(buffer)
    reread = docx.Document(io.BytesIO(buffer.getvalue()))
    rows = [(p.style.name, p.text, p._p.pPr is not None and p._p.pPr.numPr is not None) for p in reread.paragraphs if p.text]
    assert rows[-6:] == [
        ("List Number", "Syfte – första stycket.", True),
        ("List Continue", "Andra stycket i samma punkt, med fetstil.", False),
        ("List Number", "Nästa punkt.", True),
        ("List Number", "Sista punkten.", True),
        ("List Bullet", "Punkt", False),
        ("List Bullet", "Punkt två", False),
    ]
