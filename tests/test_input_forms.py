"""Case files as people write them: a date in quotes, a postnummer without its space, a time
with a dot and one digit for the hour, numbers YAML reads as numbers. Accepted and shown the Swedish
way, or refused with a message that says what to write. Messages count list items from 1 and name
the field path of a duplicate key."""

from __future__ import annotations

from pathlib import Path

import docx
from conftest import EXAMPLE, EXAMPLES
from test_letters import invoke, line_of, messages

CASE_ID = "FU-2026-014"


def case_text(*replacements: tuple[str, str]) -> str:
    """The example case as text (so quoting is kept as written), with lines replaced."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("organisation: ../organisation.yaml",
                                                       f"organisation: {EXAMPLES / 'organisation.yaml'}")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_date_in_quotes_is_a_date(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(("  svar_senast: 2026-04-08", '  svar_senast: "2026-04-08"'),
                                                     ("  startdatum: 2026-02-03", "  startdatum: '2026-2-3'")))
    result = invoke("render", path, "-d", "kallelse-dialogmote", "-d", "slutrapport", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    call_in = (tmp_path / "ut" / CASE_ID / "kallelse-dialogmote.md").read_text(encoding="utf-8")
    assert "## Svar senast 8 april 2026" in call_in
    report = (tmp_path / "ut" / CASE_ID / "slutrapport.md").read_text(encoding="utf-8")
    assert "Den fördjupade uppföljningen inleddes 3 februari 2026." in report


def test_a_date_in_quotes_that_does_not_exist_or_is_no_date(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(("  svar_senast: 2026-04-08", '  svar_senast: "2026-02-30"'),
                                                     ("  startdatum: 2026-02-03", '  startdatum: "3/2 2026"')))
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{line_of(path, 'startdatum:')}: arende.startdatum: ska vara ett datum skrivet ÅÅÅÅ-MM-DD, till exempel 2026-06-10",
        f"{path}:{line_of(path, 'svar_senast:')}: kallelse_dialogmote.svar_senast: datumet 2026-02-30 finns inte",
    ]


def test_postnummer_and_times_as_people_write_them(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(("    postnummer: 999 30", "    postnummer: 99930"),
                                                     ('    start: "13:00"', "    start: 9.30"),
                                                     ('    slut: "15:00"', "    slut: 10.30")))
    result = invoke("render", path, "-d", "kallelse-dialogmote", "-f", "md,docx", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    document = docx.Document(str(tmp_path / "ut" / CASE_ID / "kallelse-dialogmote.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "999 30 Norrsund" in text
    assert "Tid: 09.30–10.30" in text


def test_a_time_that_cannot_be_read_says_what_to_write(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(('    start: "13:00"', "    start: halv tio"),
                                                     ("    postnummer: 999 30", "    postnummer: 9993")))
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{line_of(path, 'postnummer:')}: vardgivare.adress.postnummer: '9993' har fel form (skriv som NNN NN, till exempel 451 00)",
        f"{path}:{line_of(path, 'start: halv tio')}: kallelse_dialogmote.mote.start: 'halv tio' har fel form "
        "(skriv klockslaget som TT.MM eller TT:MM, till exempel 09.30)",
    ]


def test_a_message_counts_list_items_from_one(tmp_path: Path) -> None:
    """The fourth control point's first date is "kontrollpunkter[4].datum[1]", as the officer counts."""
    extra = """    - vad: Väntetider
      hur: Stickprov
      hur_ofta: Varje kvartal
      vem: Anna Lindqvist, handläggare
      underlag: Väntetidsrapport
      datum: [2026-09-01]
    - vad: Bemanning på helger
      hur: Schemagranskning
      hur_ofta: Två gånger
      vem: Anna Lindqvist, handläggare
      underlag: Helgscheman
      datum: [2027-03-01]
  aterrapportering: |"""
    path = write_text(tmp_path / "a.yaml", case_text(("  aterrapportering: |", extra)))
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert messages(result) == [
        f"{path}:{line_of(path, 'datum: [2027-03-01]')}: varning: kontrollplan.kontrollpunkter[4].datum[1]: "
        "kontrolldatumet ligger utanför kontrollperioden",
    ]


def test_a_duplicate_key_names_its_field_path(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(("    ort: Norrsund\n", "    ort: Norrsund\n    ort: Södra Norrsund\n")))
    result = invoke("validate", path)
    assert result.exit_code == 1
    first = line_of(path, "    ort: Norrsund")
    assert messages(result) == [
        f"{path}:{first + 1}: vardgivare.adress.ort: fältet finns redan på rad {first}; ta bort den ena raden",
    ]
