"""A value the skeleton wrote and nobody replaced never reaches a recipient: `validate` and
`render` name each one (file, line, field) and nothing is written. The placeholders come from the
schemas, so a new document's fields are covered too; realistic examples (a time, a code) are not
placeholders."""

from __future__ import annotations

from pathlib import Path

from test_input_forms import case_text, write_text
from test_letters import invoke, line_of, messages


def test_placeholders_left_in_a_case_are_errors_naming_the_field(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(
        ("  diarienummer: HSN 2026-00123", "  diarienummer: HSN 0000-00000"),
        ("    postnummer: 999 30", "    postnummer: 000 00"),
        ("  kontaktperson:\n    namn: Lena Åberg", "  kontaktperson:\n    namn: Ange kontaktpersonens namn"),
        ("    namn: Karin Holm\n    datum: 2026-04-28", "    namn: Karin Holm\n    datum: 2026-01-01"),
        ("    - Nämnden godkänner slutrapporten.", "    - Ange förslag till beslut"),
    ))
    out = tmp_path / "ut"
    result = invoke("render", path, "-o", out)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{line_of(path, 'diarienummer: HSN 0000')}: arende.diarienummer: 'HSN 0000-00000' är platshållaren från "
        "'mallgen new'; fyll i den riktiga uppgiften",
        f"{path}:{line_of(path, 'postnummer:')}: vardgivare.adress.postnummer: '000 00' är platshållaren från 'mallgen new'; "
        "fyll i den riktiga uppgiften",
        f"{path}:{line_of(path, 'namn: Ange kontaktpersonens namn')}: vardgivare.kontaktperson.namn: 'Ange kontaktpersonens namn' "
        "är platshållaren från 'mallgen new'; fyll i den riktiga uppgiften",
        f"{path}:{line_of(path, 'datum: 2026-01-01')}: anmodan_om_rattelse.samrad_jurist.datum: 2026-01-01 är platshållaren "
        "från 'mallgen new'; fyll i rätt datum",
        f"{path}:{line_of(path, '- Ange förslag')}: slutrapport.forslag_till_beslut[1]: 'Ange förslag till beslut' är "
        "platshållaren från 'mallgen new'; fyll i den riktiga uppgiften",
    ]
    assert not out.exists()


def test_realistic_examples_from_the_schema_are_not_placeholders(tmp_path: Path) -> None:
    """The skeleton's meeting time (09:00-10:00), the contract's start 2020-01-01 and a date of
    1 January where the skeleton puts another example are real values a case may hold."""
    path = write_text(tmp_path / "a.yaml", case_text(
        ('    start: "13:00"', '    start: "09:00"'), ('    slut: "15:00"', '    slut: "10:00"'),
        ("  giltigt_fran: 2021-04-01", "  giltigt_fran: 2020-01-01"),
        ("  period:\n    fran: 2026-07-01", "  period:\n    fran: 2026-01-01"),
    ))
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert not [m for m in messages(result) if "platshållaren" in m]


def test_a_new_documents_placeholder_is_found_without_code(tmp_path: Path) -> None:
    """A handbook owner's template with its own schema: the skeleton's text left in is named."""
    mallar = tmp_path / "mallar"
    assert invoke("new", "mall", "egen-logg", "-o", mallar).exit_code == 0
    schema = mallar / "egen-logg.yaml"
    schema.write_text(schema.read_text(encoding="utf-8") + "  ansvarig: {type: string, required: true, meta: {beskrivning: Vem som ansvarar}}\n",
                      encoding="utf-8")
    text = case_text() + "\negen_logg:\n  datum: 2026-03-02\n  sammanfattning: Skriv dokumentets text här.\n  ansvarig: Ange vem som ansvarar\n"
    path = write_text(tmp_path / "a.yaml", text)
    result = invoke("validate", path, "--mallar", mallar, "-d", "egen-logg")
    assert result.exit_code == 1
    assert [m for m in messages(result) if ": varning:" not in m] == [
        f"{path}:{line_of(path, 'sammanfattning: Skriv')}: egen_logg.sammanfattning: 'Skriv dokumentets text här.' är "
        "platshållaren från 'mallgen new'; fyll i den riktiga uppgiften",
        f"{path}:{line_of(path, 'ansvarig: Ange')}: egen_logg.ansvarig: 'Ange vem som ansvarar' är platshållaren från "
        "'mallgen new'; fyll i den riktiga uppgiften",
    ]
