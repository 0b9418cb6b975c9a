"""Personnummer however they are written never reach a document that leaves the team unmasked:
in the text of every format and in the metadata (PDF XMP, DOCX properties, the HTML title).
Phone numbers, organisationsnummer, dates and diarienummer are left as written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pikepdf
import pytest
from test_letters import example, flat, invoke, reader_texts, write

from generator.formatting import find_personnummer, mask_personnummer

CASE_ID = "FU-2026-014"
DOCUMENT = "kallelse-dialogmote"

# Every way a personnummer is written in a case file, and what the recipient must see instead.
FORMS = {
    "bindestreck": ("19640823-3234", "19XXXXXX-XXXX"),
    "plus (100 år eller äldre)": ("230823+3239", "XXXXXX+XXXX"),
    "utan skiljetecken": ("6408233234", "XXXXXX-XXXX"),
    "tolv siffror utan skiljetecken": ("196408233234", "19XXXXXX-XXXX"),
    "mellanslag": ("640823 3234", "XXXXXX-XXXX"),
    "hårt mellanslag": ("640823\u00a03234", "XXXXXX-XXXX"),
    "hårt bindestreck (Word)": ("640823\u20113234", "XXXXXX-XXXX"),
    "tankstreck": ("640823\u20133234", "XXXXXX-XXXX"),
    "minustecken": ("640823\u22123234", "XXXXXX-XXXX"),
    "mellanslag kring bindestrecket": ("19640823 - 3234", "19XXXXXX-XXXX"),
    "samordningsnummer (dag + 60)": ("640883-3231", "XXXXXX-XXXX"),
    "fel kontrollsiffra": ("19640823-3235", "19XXXXXX-XXXX"),
    "fel kontrollsiffra, tio siffror med mellanslag": ("640823 3235", "XXXXXX-XXXX"),
}
# What must stay as written beside them.
KEPT = [
    "0999-10 01 23",  # the officer's phone number
    "070-123 45 67",
    "+46 70 123 45 67",
    "08-123 456 78",
    "0701234567",  # ten digits together, a real date, but the check digit is wrong: a mobile number
    "559123-4561",  # organisationsnummer
    "HSN 2026-00123",
    "2026-03-30",
]


@pytest.mark.parametrize("form", list(FORMS))
def test_every_written_form_is_found_and_masked(form: str) -> None:
    written, masked = FORMS[form]
    text = f"Patienten ({written}) ringde."
    assert find_personnummer(text) == [written]
    assert mask_personnummer(text) == f"Patienten ({masked}) ringde."


@pytest.mark.parametrize("kept", KEPT)
def test_phone_numbers_and_other_numbers_are_not_masked(kept: str) -> None:
    text = f"Ring {kept} i dag."
    assert find_personnummer(text) == []
    assert mask_personnummer(text) == text


def test_a_sole_traders_organisationsnummer_is_kept_in_any_form() -> None:
    keep = frozenset({"6408233234"})
    assert mask_personnummer("640823 3234 och 19640823-3234", keep) == "640823 3234 och 19640823-3234"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The call-in (an external letter) with every form in a free-text field and one in the case's
    title, which every format's metadata carries."""
    data = example()
    data["arende"]["rubrik"] = "Fördjupad uppföljning efter klagomål från patient 640823 3234"
    lines = [f"- {form}: {written}" for form, (written, _) in FORMS.items()]
    lines += [f"- telefon: {kept}" for kept in KEPT]
    data["kallelse_dialogmote"]["ovrigt"] = "Uppgifter från patientnämnden:\n\n" + "\n".join(lines) + "\n"
    folder = tmp_path_factory.mktemp("personnummer")
    result = invoke("render", write(folder / "arende.yaml", data), "-d", DOCUMENT, "-o", folder / "ut")
    assert result.exit_code == 0, result.output
    return folder / "ut" / CASE_ID


def _digits_of(written: str) -> list[str]:
    """The personal part a reader could recognise: the date digits and the serial."""
    digits = "".join(c for c in written if c.isdigit())[-10:]
    return [digits[:6], digits[6:]]


@pytest.mark.parametrize("extension", ["md", "html", "docx", "pdf"])
def test_no_form_reaches_the_recipient_in_any_format(rendered: Path, extension: str) -> None:
    text = flat(reader_texts(rendered, DOCUMENT)[extension])
    for form, (written, masked) in FORMS.items():
        for digits in _digits_of(written):
            assert digits not in text, (form, digits)
        assert f"{form}: {masked}" in text, form
    for kept in KEPT:
        assert f"telefon: {flat(kept)}" in text
    assert "Fördjupad uppföljning efter klagomål från patient XXXXXX-XXXX" in text


def test_the_metadata_is_masked(rendered: Path) -> None:
    with pikepdf.open(rendered / f"{DOCUMENT}.pdf") as pdf:
        info = str(pdf.docinfo.get("/Title"))
        xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
    with zipfile.ZipFile(rendered / f"{DOCUMENT}.docx") as package:
        properties = package.read("docProps/core.xml").decode("utf-8")
    html = (rendered / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    title = "Kallelse till dialogmöte – Fördjupad uppföljning efter klagomål från patient XXXXXX-XXXX"
    for where, text in (("pdf info", info), ("pdf xmp", xmp), ("docx core.xml", properties), ("html", html)):
        assert title in text, where
        assert "640823" not in text and "3234" not in text, where


def test_the_leak_scan_finds_a_form_a_template_writes(tmp_path: Path) -> None:
    """A user template with a personnummer written in the template itself (not from the data) is
    stopped by the scan of the rendered files, whatever its separator."""
    from conftest import ROOT

    templates = tmp_path / "egna-mallar"
    (templates / DOCUMENT).mkdir(parents=True)
    source = (ROOT / "mallar" / DOCUMENT / "dokument.md").read_text(encoding="utf-8")
    (templates / DOCUMENT / "dokument.md").write_text(source + "\nTill patient 700101\u20131234.\n", encoding="utf-8")
    out = tmp_path / "ut"
    result = invoke("render", write(tmp_path / "a.yaml", example()), "--mallar", templates, "-d", DOCUMENT, "-o", out)
    assert result.exit_code == 1
    line = len(source.splitlines()) + 2
    assert f"{templates / DOCUMENT / 'dokument.md'}:{line}: dokumentet '{DOCUMENT}' (extern; pdf, docx, html, md) innehåller ett " \
           "personnummer som inte är maskerat; personnummer ska maskeras i dokument som lämnar teamet; kontrollera mallen " \
           "och fälten den skriver ut" in result.stderr
    assert not out.exists()
