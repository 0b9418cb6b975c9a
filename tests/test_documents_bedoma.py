"""The assessment documents of chapter 3.1 and the correction request of chapter 4 (step 3a):
rendered from the example case to Markdown and DOCX, checked for what an officer looks for."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE, ROOT, RenderedDocument

OURS = ["overlamning", "uppdragshandling", "anmodan_om_rattelse"]
PROVIDER = "Vård & Omsorg <Nord> AB"


def _run(*args: str | Path) -> Any:
    from generator.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def example_data() -> dict[str, Any]:
    """The example case; while other documents' templates are missing, only the base fields and ours."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["organisation"] = str((EXAMPLE.parent / data["organisation"]).resolve())
    if _run("validate", EXAMPLE).exit_code != 0:
        base = yaml.safe_load((ROOT / "schema" / "bas.yaml").read_text(encoding="utf-8"))
        data = {key: value for key, value in data.items() if key in base or key in OURS}
    return data


def render(data: dict[str, Any], document: str, folder: Path) -> RenderedDocument:
    case = folder / "arende.yaml"
    case.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = _run("render", case, "-d", document, "-f", "md,docx", "-o", folder / "ut")
    assert result.exit_code == 0, result.output
    out = folder / "ut" / data["arende"]["id"]
    return RenderedDocument((out / f"{document}.md").read_text(encoding="utf-8"), docx.Document(str(out / f"{document}.docx")))


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return example_data()


@pytest.fixture(scope="module")
def overlamning(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> RenderedDocument:
    return render(data, "overlamning", tmp_path_factory.mktemp("overlamning"))


@pytest.fixture(scope="module")
def uppdrag(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> RenderedDocument:
    return render(data, "uppdragshandling", tmp_path_factory.mktemp("uppdragshandling"))


@pytest.fixture(scope="module")
def anmodan(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> RenderedDocument:
    return render(data, "anmodan-om-rattelse", tmp_path_factory.mktemp("anmodan"))


def assert_heading_outline(out: RenderedDocument, title: str) -> None:
    """One H1 (the title), and no heading level skipped: in Markdown and in Word."""
    h1 = [line for line in out.markdown.splitlines() if line.startswith("# ")]
    assert len(h1) == 1 and h1[0].startswith(f"# {title}"), h1
    assert len(out.headings(1)) == 1 and out.headings(1)[0].startswith(title)
    levels = [int(style.split()[-1]) for style, _ in out.paragraphs if style.startswith("Heading ")]
    assert levels[0] == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels


# --- Förfrågan om överlämning till fördjupad uppföljning (3.1) -----------------------------------


def test_overlamning_outline(overlamning: RenderedDocument) -> None:
    assert_heading_outline(overlamning, "Förfrågan om överlämning till fördjupad uppföljning")
    assert overlamning.headings(2) == [
        "Begärd av", "Vårdgivare och avtal", "Kriterier för fördjupad uppföljning", "Bakgrund",
        "Vidtagna åtgärder", "Kända avvikelser", "Frågeställningar", "Brådskande", "Underlag",
        "Eskalering hittills", "Verksamhetsbedömning", "Interna anteckningar", "Inlämning",
    ]


def test_overlamning_lists_all_five_criteria_with_yes_no_and_motivation(overlamning: RenderedDocument) -> None:
    rows = overlamning.table("Kriterium", "Gäller", "Motivering")
    assert [row[0] for row in rows] == [
        "Ärendet kräver journalgranskning",
        "Ärendet rör hävning av avtal eller återkallande av tillstånd",
        "Ärendet är juridiskt komplext",
        "Ärendet kräver extra resurser (tid eller kompetens)",
        "Ärendet riskerar att äventyra avtalsrelationen med vårdgivaren",
    ]
    assert [row[1] for row in rows] == ["Ja", "Nej", "Nej", "Nej", "Ja"]
    assert rows[0][2] == "Misstanke om felaktig registrering av besökstyp behöver kontrolleras i journalerna."
    assert rows[4][2].startswith("Handlingsplanen för bemanningen har inte följts")
    assert rows[1][2] == "–"


def test_overlamning_content(overlamning: RenderedDocument) -> None:
    text = overlamning.text
    assert PROVIDER in text and "559123-4561" in text
    assert "Team inom den löpande uppföljningen" in text and "Team Vårdval Vårdcentral" in text and "Per Nilsson" in text
    assert "Avtal om vårdval vårdcentral (dnr HSN 2021-00456)" in text
    assert "avtal inom vårdval enligt lagen om valfrihetssystem (LOV)" in text
    assert "Hälso- och sjukvårdsnämnden" in text
    assert "28 januari 2026" in text  # the request's date in running text
    assert "Uppfyller vårdcentralen avtalets krav på läkarbemanning?" in overlamning.styled_text("List Number")
    assert "Ärendet bedöms inte vara brådskande." in text
    assert "Besöksstatistik 2025 från uppföljningsdatabasen" in overlamning.styled_text("List Bullet")
    # The internal traffic light in words, and the internal notes: this document stays in the team.
    assert "Röd – allvarliga avvikelser" in text
    assert "ägarbyte" in text
    # It goes to the team leader of in-depth follow-up, from the officer in the contact block.
    assert "Teamansvarig, fördjupad uppföljning" in text
    assert "Anna Lindqvist" in overlamning.styled_text("Avsändare")


def test_overlamning_shows_what_was_known_when_it_was_made(overlamning: RenderedDocument) -> None:
    """A1 was found before the request (2026-01-28), A2 in the later journal review; likewise steps."""
    assert overlamning.table("Id", "Avvikelse", "Upptäckt", "Källa") == [
        ["A1", "Bristande läkarbemanning", "2026-01-15", "Löpande uppföljning"],
    ]
    steps = overlamning.table("Datum", "Steg och åtgärd", "Beslutsfattare", "Resultat")
    assert [row[0] for row in steps] == ["2026-01-20"]
    assert steps[0][1].startswith("2a Begäran om handlingsplan:")
    assert steps[0][2] == "Handläggare"


def test_overlamning_urgent_case_carries_its_reason(data: dict[str, Any], tmp_path: Path) -> None:
    urgent = copy.deepcopy(data)
    urgent["overlamning"].update(bradskande=True, bradskande_motivering="Patientsäkerheten kan vara hotad.")
    out = render(urgent, "overlamning", tmp_path)
    assert "Ärendet är brådskande. Patientsäkerheten kan vara hotad." in out.text


# --- Uppdragshandling (3.1) ---------------------------------------------------------------------


def test_uppdragshandling_outline_follows_the_handbook(uppdrag: RenderedDocument) -> None:
    assert_heading_outline(uppdrag, "Uppdragshandling")
    assert uppdrag.headings(2) == [
        "Syfte", "Uppdragsgivare", "Styrgrupp", "Ansvarig handläggare", "Kärngrupp och kompetenser",
        "Förväntade effekter", "Metod", "Projektplan och tidsplan", "Avgränsningar", "Fastställande",
    ]


def test_uppdragshandling_content(uppdrag: RenderedDocument) -> None:
    text = uppdrag.text
    assert PROVIDER in text
    assert "Maria Ek, avdelningschef" in text  # uppdragsgivare
    assert uppdrag.styled_text("List Bullet").splitlines()[:2] == ["Maria Ek, Avdelningschef", "Johan Berg, Teamledare"]  # styrgrupp
    assert "Anna Lindqvist, Regionutvecklare" in uppdrag.styled_text("Avsändare")
    assert ["Karin Holm", "Regionjurist", "juridik"] in uppdrag.table("Namn", "Roll", "Kompetens")
    plan = uppdrag.table("Aktivitet", "Från", "Klart")
    assert plan[0] == ["Grundutredning", "2026-02-17", "2026-03-01"]
    assert ["Dialogmöte med vårdgivaren", "–", "2026-04-14"] in plan
    assert "vaccinationsverksamheten" in text


def test_uppdragshandling_is_the_decision_when_established(uppdrag: RenderedDocument) -> None:
    decision = " ".join(uppdrag.styled_text("Beslut").split())
    assert "Avdelningschefen Maria Ek fastställer denna uppdragshandling den 19 februari 2026" in decision
    assert "beslut fattat om att genomföra fördjupad uppföljning" in decision
    assert "Presidiet för Hälso- och sjukvårdsnämnden informerades den 24 februari 2026" in " ".join(uppdrag.text.split())
    assert "Maria Ek" in uppdrag.styled_text("Signatur")
    assert "Utkast" not in uppdrag.text


def test_uppdragshandling_without_establishment_is_a_draft(data: dict[str, Any], tmp_path: Path) -> None:
    draft = copy.deepcopy(data)
    del draft["uppdragshandling"]["faststalld"]
    out = render(draft, "uppdragshandling", tmp_path)
    assert "Utkast – ej fastställd" in out.text
    assert out.styled_text("Beslut") == ""
    assert "fastställer denna uppdragshandling" not in out.text
    assert out.headings(2)[-1] == "Fastställande"


# --- Anmodan om rättelse (kap. 4, steg 3a) ------------------------------------------------------


def test_anmodan_outline(anmodan: RenderedDocument) -> None:
    assert_heading_outline(anmodan, "Anmodan om rättelse")
    assert anmodan.headings(2) == [
        "Avtalets villkor", "Avvikelser som ska rättas", "Tid för rättelse och redovisning",
        "Följder om rättelse inte sker", "Beslut",
    ]
    assert anmodan.headings(3) == ["A1. Bristande läkarbemanning", "A2. Felaktig registrering av besök"]


def test_anmodan_is_a_letter_to_the_provider(anmodan: RenderedDocument) -> None:
    styles = [style for style, _ in anmodan.paragraphs]
    assert styles.index("Mottagare") < styles.index("Heading 1")  # recipient block above the title
    assert anmodan.styled_text("Mottagare").splitlines() == [PROVIDER, "Att: Lena Åberg, Verksamhetschef", "Storgatan 12", "999 30 Norrsund"]
    assert "Anna Lindqvist" in anmodan.styled_text("Signatur")
    assert "anna.lindqvist@regionnorrsund.example" in anmodan.styled_text("Avsändare")


def test_anmodan_content(anmodan: RenderedDocument) -> None:
    text = anmodan.text
    assert "Avtal om vårdval vårdcentral (dnr HSN 2021-00456)" in text
    assert "punkt 12.3" in text  # the contract terms the demand rests on
    assert "läkare ska finnas på plats minst 40 timmar per vecka" in text  # krav of A1
    assert "31 telefonkontakter registrerats som fysiska besök" in text  # beskrivning of A2
    assert "Säkerställ läkarbemanning om minst 40 timmar per vecka." in text  # atgardskrav of A1
    assert "Rätta registreringsrutinen och utbilda personalen i besökstyper." in text
    assert "skriftligen redovisa till handläggaren, Anna Lindqvist" in " ".join(text.split())
    assert "Bifoga underlag som visar att" in text
    assert "i sista hand häva avtalet" in text  # the consequences


def test_anmodan_deadline_is_bold(anmodan: RenderedDocument) -> None:
    assert "vidta rättelse senast 5 juni 2026." in " ".join(anmodan.markdown.split())  # plain text in the .md
    bold = [run.text for p in anmodan.document.paragraphs for run in p.runs if run.bold]
    assert "senast 5 juni 2026" in bold


def test_anmodan_decision_names_team_date_and_lawyer(anmodan: RenderedDocument) -> None:
    decision = " ".join(anmodan.styled_text("Beslut").split())
    assert "fattats av Teamet för fördjupad uppföljning" in decision
    assert "den 4 maj 2026" in decision
    assert "efter samråd med regionjurist Karin Holm den 28 april 2026" in decision


def test_anmodan_never_shows_internal_fields(anmodan: RenderedDocument) -> None:
    for leaked in ("Upprepade allvarliga brister", "ägarbyte", "Röd", "Verksamhetsbedömning"):
        assert leaked not in anmodan.markdown
        assert leaked not in anmodan.text
