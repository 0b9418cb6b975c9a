"""A letter never says what is not so: a call-in says the review found deviations and lists them,
so it needs some known by its date; a document lists only deviations known when it is sent; a
final report is dated after the case started and after every step it reports; a routine case never
reads as an in-depth follow-up, whichever shared part a template uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_input_forms import case_text, write_text
from test_letters import example, invoke, line_of, messages, write

CASE_ID = "FU-2026-014"
IN_DEPTH_PHRASES = ("inom ramen för en fördjupad uppföljning", "den fördjupade uppföljningen", "teamet för fördjupad uppföljning")


def only_sections(data: dict[str, Any], *keep: str) -> dict[str, Any]:
    """The case without the sections of documents other than `keep` (they may name deviations)."""
    from generator.schema import section_key
    from generator.templates import catalogue, template_dirs

    for document in catalogue(tuple(template_dirs())):
        if section_key(document) not in keep:
            data.pop(section_key(document), None)
    return data


def test_a_call_in_without_deviations_is_an_error(tmp_path: Path) -> None:
    data = only_sections(example(), "kallelse_dialogmote")
    data["avvikelser"] = []
    path = write(tmp_path / "a.yaml", data)
    out = tmp_path / "ut"
    result = invoke("render", path, "-d", "kallelse-dialogmote", "-o", out)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{line_of(path, 'kallelse_dialogmote:')}: kallelse_dialogmote: kallelsen går igenom ärendets avvikelser, men ingen "
        "avvikelse under 'avvikelser' var upptäckt senast kallelsens datum (2026-03-30); lägg till avvikelserna (med upptackt) "
        "innan kallelsen skickas",
    ]
    assert not out.exists()


def test_a_call_in_lists_only_the_deviations_known_when_it_is_sent(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(("    upptackt: 2026-03-10", "    upptackt: 2026-04-01")))
    result = invoke("render", path, "-d", "kallelse-dialogmote", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "ut" / CASE_ID / "kallelse-dialogmote.md").read_text(encoding="utf-8")
    assert "A1. Bristande läkarbemanning" in text
    assert "A2" not in text and "Felaktig registrering av besök" not in text


def test_a_document_cannot_name_a_deviation_found_after_its_date(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(("    upptackt: 2026-03-10", "    upptackt: 2026-05-20")))
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{line_of(path, '  avvikelser: [A1, A2]')}: anmodan_om_rattelse.avvikelser[2]: avvikelsen 'A2' upptäcktes 2026-05-20, "
        "efter dokumentets datum 2026-05-04; dokumentet kan bara ta upp avvikelser som var kända då",
    ]


def test_a_final_report_dated_before_the_case_started_is_an_error(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.yaml", case_text(("slutrapport:\n  datum: 2026-11-20", "slutrapport:\n  datum: 2026-01-20")))
    result = invoke("validate", path, "-d", "slutrapport")
    assert result.exit_code == 1
    report = line_of(path, "datum: 2026-01-20", line_of(path, "slutrapport:"))
    assert f"{path}:{report}: slutrapport.datum: slutrapporten är daterad före ärendets start (arende.startdatum 2026-02-03)" \
        in messages(result)


def test_a_final_report_tells_only_what_had_happened_by_its_date(tmp_path: Path) -> None:
    """The case file goes on after the report (a later step, a later deviation): the report does not
    present them as taken or found."""
    data = example()
    data["eskalering"].append({"steg": "4b", "datum": "2026-12-10", "beskrivning": "Uppföljning av kontrollplanen i nämnden.",
                               "beslutsfattare": "namnd"})
    data["avvikelser"].append({**data["avvikelser"][0], "id": "A3", "rubrik": "Bristande hygienrutiner", "upptackt": "2026-12-01"})
    result = invoke("render", write(tmp_path / "a.yaml", data), "-d", "slutrapport", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "ut" / CASE_ID / "slutrapport.md").read_text(encoding="utf-8")
    assert "Uppföljningen har konstaterat två avvikelser från avtalets krav." in text
    assert "Bristande hygienrutiner" not in text and "Uppföljning av kontrollplanen i nämnden" not in text
    assert "| 4a Upprättande av kontrollplan | 2026-06-16 |" in text


def _case_templates_for_routine_cases() -> list[str]:
    from generator.templates import catalogue, template_dirs

    return [t.id for t in catalogue(tuple(template_dirs())).values() if t.source == "arende" and "lopande" in t.case_types]


@pytest.mark.parametrize("document", _case_templates_for_routine_cases())
def test_no_document_for_a_routine_case_reads_as_in_depth(document: str) -> None:
    """Every case document a routine case can have, rendered from its sample as a routine case."""
    from generator.pipeline import Options, load_case, render_document
    from generator.samples import load_sample, sample_path
    from generator.templates import find_template, template_dirs

    dirs = tuple(template_dirs())
    template = find_template(document, dirs)
    source = load_sample(template, dirs)
    source.data["arende"]["typ"] = "lopande"
    case, problems = load_case(sample_path(template), Options(documents=[document], formats=("md",)), source=source)
    assert case is not None, [str(p) for p in problems]
    text = " ".join(render_document(case, case.documents[0], ("md",), dirs)[0].content.decode("utf-8").lower().split())
    assert not [phrase for phrase in IN_DEPTH_PHRASES if phrase in text]


def test_the_shared_parts_speak_of_routine_follow_up_in_a_routine_case(tmp_path: Path) -> None:
    """A template for both case types that uses the team's decision block and the case-type
    wording: rendered for a routine case it never says 'fördjupad'."""
    mallar = tmp_path / "mallar"
    (mallar / "beslut-lopande").mkdir(parents=True)
    (mallar / "beslut-lopande" / "dokument.md").write_text(
        "---\nid: beslut-lopande\ntitel: Beslut om åtgärd\navsnitt: \"4\"\nmalgrupp: extern\nversion: \"1.0\"\ngiltig_fran: 2026-01-01\n---\n"
        "{% include \"_gemensamt/mottagare.md\" %}\n\n# Beslut om åtgärd\n\n"
        "{{ org.region }} följer upp ert avtal {{ uppfoljning.ramen }}. {{ uppfoljning.bestamd | capitalize }} fortsätter.\n\n"
        "{% set beslut = dokument.beslut %}\n{% set atgard = \"3b\" %}\n{% include \"_gemensamt/beslut-underskrift.md\" %}\n\n"
        "{% include \"_gemensamt/handlaggare.md\" %}\n", encoding="utf-8")
    (mallar / "beslut-lopande.yaml").write_text(
        "type: dict\ninkludera: [brev]\nschema:\n  datum: {type: date, required: true}\n"
        "  beslut: {type: dict, required: true, inkludera: [beslut]}\n", encoding="utf-8")
    data = example()
    data["arende"]["typ"] = "lopande"
    data["personer"]["teamledare"]["titel"] = "Teamledare"  # the example's leader leads the in-depth team
    data = only_sections(data)
    data["beslut_lopande"] = {"datum": "2026-06-08", "beslut": {"beslutsfattare": "teamet", "datum": "2026-06-08"}}
    out = tmp_path / "ut"
    result = invoke("render", write(tmp_path / "a.yaml", data), "--mallar", mallar, "-f", "md", "-o", out)
    assert result.exit_code == 0, result.output
    text = " ".join((out / CASE_ID / "beslut-lopande.md").read_text(encoding="utf-8").split())
    assert "Region Norrsund följer upp ert avtal inom ramen för den löpande uppföljningen. Den löpande uppföljningen fortsätter." in text
    assert "Beslutat av Teamet för löpande uppföljning den 8 juni 2026" in text
    assert "för teamet för löpande uppföljning" in text
    assert "fördjupad" not in text.lower()
