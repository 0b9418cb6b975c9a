"""The parts of a letter, as a recipient and a registrar see them: copy list and numbered
attachments, the confidential attachment (never in the letter, marked on every page of its own),
markings on every page, the decision-maker's signature and mandate, the delegation order in the
organisation profile, and documents that belong to one case type only."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import EXAMPLE, EXAMPLES, ROOT

from generator.leaks import docx_text as docx_parts_text
from generator.leaks import html_text

PROFILE = EXAMPLES / "organisation.yaml"
CASE_ID = "FU-2026-014"
LETTER = "anmodan-om-rattelse"
ATTACHMENT = "anmodan-om-rattelse-bilaga"
SUMMARY = re.compile(r"^\d+ fel hittades")
FORMATS = ("pdf", "docx", "html", "md")


# --- helpers ---------------------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    from generator.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def messages(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if not SUMMARY.match(line)]


def example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["organisation"] = str(PROFILE)
    return data


def write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return path


def line_of(path: Path, text: str, after: int = 0) -> int:
    return next(n for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if n > after and text in row)


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF, as pdftotext reads it."""
    need("pdftotext")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def reader_texts(folder: Path, document: str) -> dict[str, str]:
    """What a reader sees in each format: Markdown as is, the HTML page's text and attribute values,
    every XML part of the DOCX (body, headers, properties), the PDF's extracted text."""
    return {
        "md": (folder / f"{document}.md").read_text(encoding="utf-8"),
        "html": html_text((folder / f"{document}.html").read_text(encoding="utf-8")),
        "docx": docx_parts_text((folder / f"{document}.docx").read_bytes()),
        "pdf": "\n".join(pdf_pages(folder / f"{document}.pdf")),
    }


def docx_header_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return " ".join(re.sub(r"<[^>]+>", " ", archive.read(n).decode("utf-8")) for n in archive.namelist() if n.startswith("word/header"))


# Patient records of the example, and enough more that the attachment runs over several pages.
RECORD_TEXTS = [
    "Registrerad som fysiskt besök men var en telefonkontakt; ändra besökstypen.",
    "Två fysiska besök registrerade samma dag; ett av dem var en telefonkontakt.",
]


def _luhn(digits: str) -> int:
    total = 0
    for i, c in enumerate(digits):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def personnummer(year: int, month: int, day: int, serial: int) -> str:
    short = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    return f"{year}{month:02d}{day:02d}-{serial:03d}{_luhn(short)}"


def many_records(count: int) -> list[dict[str, Any]]:
    return [
        {"personnummer": personnummer(1950 + i, 1 + i % 12, 1 + i % 28, 100 + i), "besoksdatum": dt.date(2026, 2, 1 + i % 27),
         "avvikelse": "A2", "rattelse": f"Journalpost {i + 1}: besöket registrerat som fysiskt men var ett telefonsamtal enligt anteckningen."}
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example case, every document in every format; the anmodan holds 40 more records."""
    data = example()
    data["anmodan_om_rattelse"]["journalposter"] += many_records(40)
    folder = tmp_path_factory.mktemp("brev")
    result = invoke("render", write(folder / "arende.yaml", data), "-o", folder / "ut")
    assert result.exit_code == 0, result.output
    return folder / "ut" / CASE_ID


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [*example()["anmodan_om_rattelse"]["journalposter"], *many_records(40)]


# --- copy list and attachments -----------------------------------------------------------------


def test_copy_list_and_numbered_attachments_in_pdf_and_docx(rendered: Path) -> None:
    pdf = flat("\n".join(pdf_pages(rendered / f"{LETTER}.pdf")))
    attachments = "Bilagor Bilaga 1: Utdrag ur avtalets allmänna villkor, punkt 12 Bilaga 2 (sekretessbelagd): Journalanteckningar som ska rättas"
    copies = "Kopia till Presidiet i Hälso- och sjukvårdsnämnden Karin Holm, Regionjurist Registrator, Hälso- och sjukvårdsförvaltningen"
    assert attachments in pdf
    assert copies in pdf
    document = docx.Document(str(rendered / f"{LETTER}.docx"))
    styled = {p.style.name: p.text for p in document.paragraphs if p.style.name in ("Bilagor", "Kopia")}
    assert styled["Bilagor"].splitlines() == [
        "Bilagor", "Bilaga 1: Utdrag ur avtalets allmänna villkor, punkt 12", "Bilaga 2 (sekretessbelagd): Journalanteckningar som ska rättas",
    ]
    assert styled["Kopia"].splitlines() == [
        "Kopia till", "Presidiet i Hälso- och sjukvårdsnämnden", "Karin Holm, Regionjurist", "Registrator, Hälso- och sjukvårdsförvaltningen",
    ]
    # the letter refers to the confidential attachment by its number
    for text in (pdf, flat(docx_parts_text((rendered / f"{LETTER}.docx").read_bytes()))):
        assert "De journalanteckningar och registreringar som ska rättas förtecknas i bilaga 2 (sekretessbelagd)." in text


def test_the_final_report_lists_its_attachments_and_copies(rendered: Path) -> None:
    pdf = flat("\n".join(pdf_pages(rendered / "slutrapport.pdf")))
    assert ("Bilagor Bilaga 1: Anmodan om rättelse, 2026-05-04 "
            "Bilaga 2: Kontrollplan, fastställd av Hälso- och sjukvårdsnämnden 2026-06-16, § 87") in pdf
    assert "Kopia till Vård & Omsorg <Nord> AB Registrator, Hälso- och sjukvårdsförvaltningen" in pdf
    assert "(sekretessbelagd)" not in pdf  # it has no confidential attachment


def test_a_letter_without_copies_or_attachments_has_neither_heading(tmp_path: Path) -> None:
    data = example()
    for key in ("bilagor", "kopia_till", "journalposter"):
        del data["anmodan_om_rattelse"][key]
    out = tmp_path / "ut"
    assert invoke("render", write(tmp_path / "a.yaml", data), "-d", LETTER, "-f", "md,docx", "-o", out).exit_code == 0
    text = (out / CASE_ID / f"{LETTER}.md").read_text(encoding="utf-8")
    assert "Bilagor" not in text and "Kopia till" not in text and "sekretessbelagd" not in text
    assert not (out / CASE_ID / f"{ATTACHMENT}.md").exists()  # no records, no confidential attachment


def test_the_reply_request_asks_for_the_diarienummer(rendered: Path) -> None:
    request = "Ange vårt diarienummer HSN 2026-00123 i ert svar och i allt ni skickar till oss i ärendet."
    for document in ("kallelse-dialogmote", LETTER, "kontrollplan", ATTACHMENT):
        assert request in flat("\n".join(pdf_pages(rendered / f"{document}.pdf"))), document
        assert request in flat(docx_parts_text((rendered / f"{document}.docx").read_bytes())), document


def test_a_copy_recipient_named_by_a_missing_role_is_an_error(tmp_path: Path) -> None:
    data = example()
    data["kallelse_dialogmote"]["kopia_till"] = ["registrator", "ekonom"]
    path = write(tmp_path / "a.yaml", data)
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{line_of(path, '- ekonom')}: kallelse_dialogmote.kopia_till[2]: 'ekonom' finns inte under personer; "
        "lägg till personen där (namn och titel står i kopielistan) eller skriv mottagaren med namn"
    ]


# --- the confidential attachment -----------------------------------------------------------------


def _secret_forms(records: list[dict[str, Any]]) -> list[str]:
    """Every record's personnummer as written, without century and without separator; its text."""
    forms = []
    for record in records:
        number = record["personnummer"]
        forms += [number, number[2:], number.replace("-", ""), number[2:].replace("-", "")]
    return forms + RECORD_TEXTS + [r["rattelse"] for r in records]


def test_the_records_never_reach_the_letter_in_any_format(rendered: Path, records: list[dict[str, Any]]) -> None:
    texts = reader_texts(rendered, LETTER)
    for extension in FORMATS:
        text = flat(texts[extension])
        for secret in _secret_forms(records):
            assert secret not in text, (extension, secret)
        assert "SEKRETESS" not in text, extension  # nothing confidential left in the letter to mark


def test_the_records_reach_no_other_document(rendered: Path, records: list[dict[str, Any]]) -> None:
    """Not the board's final report, not the other letters, not even an internal document."""
    for document in ("kallelse-dialogmote", "kontrollplan", "slutrapport", "overlamning", "uppdragshandling"):
        text = flat(reader_texts(rendered, document)["md"] + reader_texts(rendered, document)["docx"])
        for secret in _secret_forms(records):
            assert secret not in text, (document, secret)


def test_the_attachment_holds_the_records_with_the_marking_on_every_page(rendered: Path, records: list[dict[str, Any]]) -> None:
    pages = pdf_pages(rendered / f"{ATTACHMENT}.pdf")
    assert len(pages) >= 2, "the test needs an attachment of several pages"
    marking = "SEKRETESS enligt 25 kap. 1 § offentlighets- och sekretesslagen (2009:400) · 2026-05-04 · Hälso- och sjukvårdsnämnden, Region Norrsund"
    for number, page in enumerate(pages, 1):
        assert marking in flat(page), f"page {number} has no secrecy marking"
    text = flat("\n".join(pages))
    assert "Bilaga 2 till anmodan om rättelse daterad 4 maj 2026" in text
    for record in records:  # in full: the provider must find the records (profile: bilaga_personnummer visa)
        assert record["personnummer"] in text
        assert flat(record["rattelse"]) in text
    # the box on page 1 names provision, date and authority (OSL 5 kap. 5 §)
    assert "Datum: 2026-05-04 Myndighet: Hälso- och sjukvårdsnämnden, Region Norrsund" in flat(pages[0])
    assert marking in flat(docx_header_text(rendered / f"{ATTACHMENT}.docx"))
    docx_body = flat(docx_parts_text((rendered / f"{ATTACHMENT}.docx").read_bytes()))
    assert all(record["personnummer"] in docx_body for record in records)


def test_the_manifest_lists_the_attachment_as_confidential(rendered: Path) -> None:
    manifest = json.loads((rendered / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["dokument"][ATTACHMENT]
    assert entry["bilaga_till"] == LETTER and entry["sekretess"] == "25 kap. 1 § OSL" and entry["malgrupp"] == "extern"
    assert {f"{ATTACHMENT}.{ext}" for ext in FORMATS} <= set(manifest["filer"])
    assert "bilaga_till" not in manifest["dokument"][LETTER]


def test_the_attachment_is_made_with_its_letter(tmp_path: Path) -> None:
    out = tmp_path / "ut"
    result = invoke("render", write(tmp_path / "a.yaml", example()), "-d", LETTER, "-f", "md", "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / CASE_ID).iterdir()) == ["anmodan-om-rattelse-bilaga.md", "anmodan-om-rattelse.md", "manifest.json"]


def test_the_attachment_alone_needs_records(tmp_path: Path) -> None:
    data = example()
    del data["anmodan_om_rattelse"]["journalposter"]
    path = write(tmp_path / "a.yaml", data)
    result = invoke("render", path, "-d", ATTACHMENT, "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{line_of(path, 'anmodan_om_rattelse:')}: anmodan_om_rattelse: dokumentet '{ATTACHMENT}' är en sekretessbelagd "
        f"bilaga till '{LETTER}', men sektionen anmodan_om_rattelse har inga sekretessbelagda uppgifter att visa"
    ]
    assert not (tmp_path / "ut").exists()


def test_the_profile_can_mask_personnummer_in_the_attachment(tmp_path: Path) -> None:
    profile = tmp_path / "organisation.yaml"
    profile.write_text(PROFILE.read_text(encoding="utf-8").replace(
        "personnummer: maskera           #", "personnummer: maskera\n  bilaga_personnummer: maskera #"), encoding="utf-8")
    data = example()
    data["organisation"] = str(profile)
    out = tmp_path / "ut"
    assert invoke("render", write(tmp_path / "a.yaml", data), "-d", ATTACHMENT, "-f", "md", "-o", out).exit_code == 0
    text = (out / CASE_ID / f"{ATTACHMENT}.md").read_text(encoding="utf-8")
    assert "19XXXXXX-XXXX" in text and "19850312-2387" not in text
    assert "Registrerad som fysiskt besök men var en telefonkontakt" in text


def _schema_without_secrecy_marker(folder: Path) -> None:
    text = (ROOT / "schema" / "anmodan-om-rattelse.yaml").read_text(encoding="utf-8")
    (folder / "anmodan-om-rattelse.yaml").write_text(text.replace("    sekretess: true\n", ""), encoding="utf-8")


def test_leak_scan_stops_records_in_the_letter(tmp_path: Path) -> None:
    """A user schema drops the `sekretess` marker and a user template prints the records in the
    letter: the scan of the rendered files still finds them (the bundled schema marks them),
    names the fields and writes nothing."""
    templates = tmp_path / "egna-mallar"
    (templates / LETTER).mkdir(parents=True)
    source = (ROOT / "mallar" / LETTER / "dokument.md").read_text(encoding="utf-8")
    (templates / LETTER / "dokument.md").write_text(
        source + "\n{% for p in dokument.journalposter %}\n- {{ p.rattelse }}\n{% endfor %}\n", encoding="utf-8")
    _schema_without_secrecy_marker(templates)
    path = write(tmp_path / "a.yaml", example())
    out = tmp_path / "ut"
    result = invoke("render", path, "--mallar", templates, "-d", LETTER, "-o", out)
    assert result.exit_code == 1
    first = line_of(path, "rattelse: Registrerad som fysiskt")
    assert messages(result)[0] == (
        f"{path}:{first}: anmodan_om_rattelse.journalposter[1].rattelse: sekretessbelagt fält står i dokumentet "
        f"'{LETTER}' (extern; pdf, docx, html, md). Sekretessbelagda uppgifter står bara i en sekretessbelagd bilaga "
        f"(bilaga_till); ta bort fältet ur mallen {templates / LETTER / 'dokument.md'}"
    )
    assert all("sekretessbelagt fält" in m for m in messages(result))
    assert not out.exists()


def test_a_record_names_its_patient_once(tmp_path: Path) -> None:
    data = example()
    data["anmodan_om_rattelse"]["journalposter"][0]["reservnummer"] = "R-2026-0042"
    del data["anmodan_om_rattelse"]["journalposter"][1]["personnummer"]
    data["anmodan_om_rattelse"]["journalposter"][2]["avvikelse"] = "A3"
    data["avvikelser"].append({**data["avvikelser"][1], "id": "A3"})
    path = write(tmp_path / "a.yaml", data)
    result = invoke("validate", path)
    records = line_of(path, "journalposter:")
    assert messages(result) == [
        f"{path}:{line_of(path, '- personnummer: 19640823-3234', records)}: anmodan_om_rattelse.journalposter[1]: ange patientens "
        "personnummer (eller samordningsnummer) eller reservnummer, ett av dem, så att vårdgivaren hittar journalen",
        f"{path}:{line_of(path, '- besoksdatum: 2026-02-03', records)}: anmodan_om_rattelse.journalposter[2]: ange patientens "
        "personnummer (eller samordningsnummer) eller reservnummer, ett av dem, så att vårdgivaren hittar journalen",
        f"{path}:{line_of(path, 'avvikelse: A3', records)}: anmodan_om_rattelse.journalposter[3].avvikelse: avvikelsen 'A3' är inte "
        "en av anmodans avvikelser (A1, A2); journalposten hör inte till den här anmodan",
    ]


# --- markings on every page --------------------------------------------------------------------


@pytest.mark.parametrize("document", ["overlamning", "uppdragshandling"])
def test_internal_documents_say_so_on_every_page(rendered: Path, document: str) -> None:
    pages = pdf_pages(rendered / f"{document}.pdf")
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert "Intern – lämnas inte ut" in page, f"{document}: page {number}"
    assert "Intern – lämnas inte ut" in docx_header_text(rendered / f"{document}.docx")
    assert (rendered / f"{document}.md").read_text(encoding="utf-8").startswith("Intern – lämnas inte ut\n")
    page = (rendered / f"{document}.html").read_text(encoding="utf-8")
    assert '<p class="markering">Intern – lämnas inte ut</p>' in page


@pytest.mark.parametrize("document", ["kallelse-dialogmote", LETTER, "kontrollplan", "slutrapport"])
def test_documents_that_leave_the_team_are_not_marked_internal(rendered: Path, document: str) -> None:
    for extension, text in reader_texts(rendered, document).items():
        assert "Intern – lämnas inte ut" not in text, extension


def test_a_case_wide_secrecy_marking_is_on_every_page(tmp_path: Path) -> None:
    data = example()
    data["arende"]["sekretess"] = {"bestammelse": "21 kap. 1 § OSL"}
    out = tmp_path / "ut"
    assert invoke("render", write(tmp_path / "a.yaml", data), "-d", "slutrapport", "-f", "pdf,docx", "-o", out).exit_code == 0
    marking = "SEKRETESS enligt 21 kap. 1 § offentlighets- och sekretesslagen (2009:400) · 2026-11-20 · Hälso- och sjukvårdsnämnden, Region Norrsund"
    pages = pdf_pages(out / CASE_ID / "slutrapport.pdf")
    assert len(pages) >= 3
    assert all(marking in flat(page) for page in pages)
    assert marking in flat(docx_header_text(out / CASE_ID / "slutrapport.docx"))


def test_a_sole_traders_organisationsnummer_is_shown_and_marks_nothing(tmp_path: Path) -> None:
    """The organisationsnummer of an enskild näringsidkare is the owner's personnummer: it is the
    contracting party's registered identity, shown as written, and no reason for a secrecy marking."""
    data = example()
    data["vardgivare"].update(namn="Doktor Lena Åbergs mottagning", orgnr="640823-3234")
    data["vardgivare"].pop("hsa_id")
    out = tmp_path / "ut"
    result = invoke("render", write(tmp_path / "a.yaml", data), "-d", "slutrapport", "-d", "overlamning", "-f", "md,docx,html", "-o", out)
    assert result.exit_code == 0, result.output
    for document in ("slutrapport", "overlamning"):
        text = flat((out / CASE_ID / f"{document}.md").read_text(encoding="utf-8"))
        assert "organisationsnummer 640823-3234" in text, document
        assert "SEKRETESS" not in text and "XXXX" not in text, document


# --- who decides signs ---------------------------------------------------------------------------


def test_a_team_decision_is_signed_for_the_team_with_its_mandate(rendered: Path) -> None:
    document = docx.Document(str(rendered / f"{LETTER}.docx"))
    signature = [p.text for p in document.paragraphs if p.style.name == "Signatur"]
    assert signature == [
        "Beslutat av Teamet för fördjupad uppföljning den 4 maj 2026 med stöd av Hälso- och sjukvårdsnämndens "
        "delegationsordning, punkt 4.3.",
        "Johan Berg\nTeamledare, fördjupad uppföljning\nför teamet för fördjupad uppföljning",
        "Anna Lindqvist\nRegionutvecklare\nföredragande",
    ]
    assert signature[0] in flat("\n".join(pdf_pages(rendered / f"{LETTER}.pdf")))


def test_a_board_decision_names_the_board_date_and_paragraph(rendered: Path) -> None:
    document = docx.Document(str(rendered / "kontrollplan.docx"))
    signature = [p.text for p in document.paragraphs if p.style.name == "Signatur"]
    assert signature == [
        "Beslutat av Hälso- och sjukvårdsnämnden den 16 juni 2026, § 87.",
        "Anna Lindqvist\nRegionutvecklare\nAvdelningen för avtalsuppföljning",
    ]


def test_the_assignment_is_signed_by_the_head_of_department(rendered: Path) -> None:
    document = docx.Document(str(rendered / "uppdragshandling.docx"))
    signature = [p.text for p in document.paragraphs if p.style.name == "Signatur"]
    assert signature == [
        "Beslutat av Maria Ek den 19 februari 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 2.4.",
        "Maria Ek\nAvdelningschef\nAvdelningen för avtalsuppföljning",
        "Anna Lindqvist\nRegionutvecklare\nföredragande",
    ]


def test_the_final_report_is_a_tjansteskrivelse_signed_by_the_profiles_manager(rendered: Path) -> None:
    document = docx.Document(str(rendered / "slutrapport.docx"))
    head = [p.text for p in document.paragraphs if p.style.name == "Tjänsteskrivelse"]
    assert head == [
        "Tjänsteskrivelse till Hälso- och sjukvårdsnämnden\n"
        "Ärende: Fördjupad uppföljning av Vårdcentralen Norrsund Centrum (diarienummer HSN 2026-00123)\n"
        "Förslag till beslut: 3 punkter under rubriken Förslag till beslut\n"
        "Bilagor: 2, förtecknade sist i handlingen"
    ]
    styles = [p.style.name for p in document.paragraphs]
    assert styles.index("Tjänsteskrivelse") < styles.index("Heading 1")
    assert [p.text for p in document.paragraphs if p.style.name == "Signatur"] == ["Helena Strand\nHälso- och sjukvårdsdirektör"]
    assert "Handläggare: Anna Lindqvist, Regionutvecklare" in "\n".join(p.text for p in document.paragraphs if p.style.name == "Avsändare")


def test_without_a_manager_in_the_profile_the_head_of_department_signs(tmp_path: Path) -> None:
    profile = tmp_path / "organisation.yaml"
    text = PROFILE.read_text(encoding="utf-8")
    profile.write_text(text[: text.index("# Tjänsteskrivelser")], encoding="utf-8")
    data = example()
    data["organisation"] = str(profile)
    out = tmp_path / "ut"
    path = write(tmp_path / "a.yaml", data)
    assert invoke("render", path, "-d", "slutrapport", "-f", "docx", "-o", out).exit_code == 0
    document = docx.Document(str(out / CASE_ID / "slutrapport.docx"))
    assert [p.text for p in document.paragraphs if p.style.name == "Signatur"] == ["Maria Ek\nAvdelningschef"]
    del data["personer"]["avdelningschef"]
    data = _only(data, "slutrapport")  # the other board document and the assignment need a manager too
    path = write(tmp_path / "b.yaml", data)
    result = invoke("validate", path, "-d", "slutrapport")
    assert messages(result) == [
        f"{path}:{line_of(path, 'slutrapport:')}: slutrapport: tjänsteskrivelsen undertecknas av den chef som organisationsprofilen "
        "anger (tjansteskrivelse.undertecknare) eller av avdelningschefen; ange någon av dem"
    ]


# --- the delegation order ------------------------------------------------------------------------


def test_a_decision_without_the_mandate_names_the_handbook_rule(tmp_path: Path) -> None:
    profile = tmp_path / "organisation.yaml"
    text = PROFILE.read_text(encoding="utf-8")
    profile.write_text(text[: text.index("# Delegationsordningen")], encoding="utf-8")  # no delegation order of its own
    data = example()
    data["organisation"] = str(profile)
    data["kontrollplan"]["namndbeslut"]["beslutsfattare"] = "avdelningschef"
    data["eskalering"][2]["beslutsfattare"] = "handlaggare"
    path = write(tmp_path / "a.yaml", data)
    result = invoke("validate", path)
    assert result.exit_code == 1
    step = line_of(path, "beslutsfattare: handlaggare", line_of(path, "steg: 3a"))
    plan = line_of(path, "beslutsfattare: avdelningschef", line_of(path, "namndbeslut:"))
    assert messages(result) == [
        f"{path}:{step}: eskalering[3].beslutsfattare: steg 3a (anmodan om rättelse) beslutas enligt handboken för "
        "avtalsuppföljning (kapitel 4) av teamet, inte av handläggaren",
        f"{path}:{plan}: kontrollplan.namndbeslut.beslutsfattare: kontrollplan beslutas enligt handboken för "
        "avtalsuppföljning (kapitel 4) av ansvarig nämnd eller styrelse, inte av avdelningschefen",
    ]


def test_a_decision_without_the_mandate_cites_the_profiles_line(tmp_path: Path) -> None:
    profile = tmp_path / "organisation.yaml"
    profile.write_text(PROFILE.read_text(encoding="utf-8") + "  kontrollplan:\n    beslutar: [avdelningschef]\n", encoding="utf-8")
    data = example()
    data["organisation"] = str(profile)
    data["anmodan_om_rattelse"]["beslut"]["beslutsfattare"] = "teamledare"
    path = write(tmp_path / "a.yaml", data)
    result = invoke("validate", path)
    assert result.exit_code == 1
    decision = line_of(path, "beslutsfattare: teamledare")
    plan = line_of(path, "namndbeslut:")
    assert messages(result) == [
        f"{path}:{decision}: anmodan_om_rattelse.beslut.beslutsfattare: anmodan om rättelse beslutas enligt delegationsordningen "
        f"i organisationsprofilen ({profile}:{line_of(profile, '  anmodan:')}) av teamet, inte av teamledaren",
        f"{path}:{plan}: kontrollplan.namndbeslut.beslutsfattare: kontrollplan beslutas enligt delegationsordningen "
        f"i organisationsprofilen ({profile}:{line_of(profile, '  kontrollplan:')}) av avdelningschefen, inte av ansvarig nämnd "
        "eller styrelse",
    ]


def test_a_profile_can_give_a_step_to_another_role(tmp_path: Path) -> None:
    """Another region lets the team leader decide the correction request: a YAML change, no code."""
    profile = tmp_path / "organisation.yaml"
    text = PROFILE.read_text(encoding="utf-8").replace("    beslutar: [teamet]\n    samrad: [regionjurist]\n    punkt: \"4.3\"",
                                                       "    beslutar: [teamledare]\n    punkt: \"7.1\"")
    profile.write_text(text + "  '3a':\n    beslutar: [teamledare]\n", encoding="utf-8")
    data = example()
    data["organisation"] = str(profile)
    data["anmodan_om_rattelse"]["beslut"]["beslutsfattare"] = "teamledare"
    data["eskalering"][2]["beslutsfattare"] = "teamledare"
    out = tmp_path / "ut"
    result = invoke("render", write(tmp_path / "a.yaml", data), "-d", LETTER, "-f", "docx", "-o", out)
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out / CASE_ID / f"{LETTER}.docx"))
    assert [p.text for p in document.paragraphs if p.style.name == "Signatur"] == [
        "Beslutat av Johan Berg den 4 maj 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 7.1.",
        "Johan Berg\nTeamledare, fördjupad uppföljning\nAvdelningen för avtalsuppföljning",
        "Anna Lindqvist\nRegionutvecklare\nföredragande",
    ]


def test_a_role_in_the_delegation_order_is_checked(tmp_path: Path) -> None:
    profile = tmp_path / "organisation.yaml"
    profile.write_text(PROFILE.read_text(encoding="utf-8") + "  havning:\n    beslutar: [nämnd]\n", encoding="utf-8")
    data = example()
    data["organisation"] = str(profile)
    result = invoke("validate", write(tmp_path / "a.yaml", data))
    assert result.exit_code == 1
    assert messages(result) == [
        f"{profile}:{line_of(profile, '[nämnd]')}: delegationsordning.havning.beslutar[1]: 'nämnd' är ingen roll som kan besluta "
        "(menade du 'namnd'?); välj bland: handlaggare, teamledare, avdelningschef, regionjurist, medicinsk_radgivare, ekonom, "
        "dataanalytiker, kommunikator, ansvarig_tjansteperson, teamet, namnd"
    ]


def test_a_person_who_decides_must_be_named(tmp_path: Path) -> None:
    data = example()
    del data["personer"]["avdelningschef"]
    path = write(tmp_path / "a.yaml", data)
    result = invoke("validate", path, "-d", "uppdragshandling")
    assert messages(result) == [
        f"{path}:{line_of(path, 'beslutsfattare: avdelningschef')}: uppdragshandling.faststalld.beslutsfattare: beslutet fattas av "
        "avdelningschefen, men 'avdelningschef' finns inte under personer; lägg till namn och titel där (de står i beslutets underskrift)"
    ]


def test_templates_see_the_mandate_text() -> None:
    from generator.organisation import Profile, mandate, mandates

    handbook = mandates({})
    assert handbook["havning"] == {
        "atgard": "havning", "namn": "hävning av avtal", "beslutar": ["namnd"], "samrad": [], "punkt": None,
        "text": "enligt beslutsmandaten i handboken för avtalsuppföljning, kapitel 4",
    }
    assert handbook["polisanmalan"]["beslutar"] == ["ansvarig_tjansteperson"] and handbook["polisanmalan"]["samrad"] == ["regionjurist"]
    assert handbook["anmalan_ivo"]["beslutar"] == ["medicinsk_radgivare"]
    # a named measure the profile leaves out follows its step when the profile sets that
    profile = Profile({"delegationsordning": {"4a": {"beslutar": ["avdelningschef"], "punkt": "5.2"}}}, "p.yaml", {("delegationsordning", "4a"): 9})
    assert mandate(profile, "kontrollplan")["beslutar"] == ["avdelningschef"]
    assert mandate(profile, "kontrollplan")["kalla"] == "p.yaml:9"
    assert mandate(profile, "kontrollplan")["text"] == "med stöd av delegationsordningen, punkt 5.2"
    assert "kalla" not in mandates(profile)["kontrollplan"]  # where the profile lies never reaches a template


# --- case types ----------------------------------------------------------------------------------


def _only(data: dict[str, Any], *sections: str) -> dict[str, Any]:
    """The case with no document section but `sections` (the base fields all kept)."""
    from generator.schema import section_key
    from generator.templates import catalogue, template_dirs

    every = {section_key(d) for d in catalogue(tuple(template_dirs(None)))}
    return {k: v for k, v in data.items() if k not in every or k in sections}


def _routine(data: dict[str, Any]) -> dict[str, Any]:
    data["arende"]["typ"] = "lopande"
    data["arende"]["rubrik"] = "Löpande uppföljning av Vårdcentralen Norrsund Centrum 2026"
    return data


def test_a_routine_case_is_refused_an_in_depth_document(tmp_path: Path) -> None:
    data = _routine(example())
    data = _only(data, "anmodan_om_rattelse")
    path = write(tmp_path / "a.yaml", data)
    out = tmp_path / "ut"
    section = line_of(path, "anmodan_om_rattelse:")
    expected = [f"{path}:{section}: anmodan_om_rattelse: dokumentet 'anmodan-om-rattelse' (Anmodan om rättelse) hör bara till "
                "fördjupad uppföljning, men ärendet är en löpande uppföljning (arende.typ: lopande); ta bort sektionen eller ändra arende.typ"]
    for command in (("validate", path), ("validate", path, "-d", LETTER), ("render", path, "-o", out), ("render", path, "-d", LETTER, "-o", out)):
        result = invoke(*command)
        assert result.exit_code == 1, command
        assert messages(result) == expected, command
    assert not out.exists()


def test_a_routine_case_asking_for_an_in_depth_document_by_name(tmp_path: Path) -> None:
    data = _routine(example())
    data = _only(data, "kontrollplan")
    path = write(tmp_path / "a.yaml", data)
    result = invoke("render", path, "-d", "kontrollplan", "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert f"{path}:{line_of(path, 'kontrollplan:')}: kontrollplan: dokumentet 'kontrollplan' (Kontrollplan) hör bara till fördjupad " \
           "uppföljning, men ärendet är en löpande uppföljning (arende.typ: lopande); ta bort sektionen eller ändra arende.typ" in messages(result)


def _letter_for_both_types(tmp_path: Path) -> Path:
    """A template of a document for both case types (no `arendetyp`), with the case-type wording."""
    folder = tmp_path / "egna-mallar" / "kallelse-dialogmote"
    folder.mkdir(parents=True)
    (folder / "dokument.md").write_text(
        "---\nid: kallelse-dialogmote\ntitel: Kallelse till dialogmöte\navsnitt: \"3.2\"\nmalgrupp: extern\nversion: \"9\"\n"
        "giltig_fran: 2026-01-01\n---\n# Kallelse\n\n{{ org.region }} följer upp ert avtal {{ uppfoljning.ramen }}.\n\n"
        "{{ uppfoljning.bestamd | capitalize }} leds av {{ uppfoljning.team | lower }}.\n\n"
        "Se {{ \"villkor\" | bilaga }}.\n", encoding="utf-8")
    return folder.parent


def test_wording_follows_the_case_type(tmp_path: Path) -> None:
    templates = _letter_for_both_types(tmp_path)
    data = _routine(example())
    data = _only(data, "kallelse_dialogmote")
    data["kallelse_dialogmote"]["bilagor"] = [{"id": "villkor", "titel": "Avtalsvillkor"}]
    out = tmp_path / "ut"
    result = invoke("render", write(tmp_path / "a.yaml", data), "--mallar", templates, "-f", "md", "-o", out)
    assert result.exit_code == 0, result.output
    text = flat((out / CASE_ID / "kallelse-dialogmote.md").read_text(encoding="utf-8"))
    assert "Region Norrsund följer upp ert avtal inom ramen för den löpande uppföljningen." in text
    assert "Den löpande uppföljningen leds av teamet för löpande uppföljning." in text
    assert "Se bilaga 1." in text
    assert "fördjupad" not in text


def test_a_reference_to_a_missing_attachment_names_it(tmp_path: Path) -> None:
    templates = _letter_for_both_types(tmp_path)
    data = example()
    path = write(tmp_path / "a.yaml", data)
    result = invoke("render", path, "--mallar", templates, "-d", "kallelse-dialogmote", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Fel: {templates / 'kallelse-dialogmote' / 'dokument.md'}:15: mallfel: bilagan 'villkor' finns "
                                     "inte bland dokumentets bilagor (finns: inga)")


# --- front matter ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "message"), [
    ("arendetyp: [fordjupad, akut]\n", "arendetyp ska vara en lista med fordjupad och/eller lopande, t.ex. arendetyp: [fordjupad]"),
    ("bilaga_till: kallelse-dialogmote\n", "en sekretessbelagd bilaga anger både bilaga_till (dokumentet den hör till) och sekretess "
                                           "(true, eller bestämmelsen, t.ex. 25 kap. 1 § OSL)"),
    ("bilaga_till: finns-inte\nsekretess: true\n", "bilaga_till: dokumentet 'finns-inte' finns inte (eller är själv en bilaga)"),
])
def test_front_matter_of_letters_is_checked(tmp_path: Path, extra: str, message: str) -> None:
    folder = tmp_path / "egna-mallar" / "egen-bilaga"
    folder.mkdir(parents=True)
    (folder / "dokument.md").write_text(f"---\nid: egen-bilaga\ntitel: Egen\navsnitt: \"4\"\nmalgrupp: extern\nversion: \"1\"\n"
                                        f"giltig_fran: 2026-01-01\n{extra}---\n# Egen\n", encoding="utf-8")
    result = invoke("documents", "--mallar", folder.parent)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Fel: {folder / 'dokument.md'}:8: mallfel: {message}"  # the line of the first key the message is about


def test_the_catalogue_shows_the_attachment_with_its_letter() -> None:
    listing = invoke("documents").stdout
    assert re.search(r"^anmodan-om-rattelse-bilaga\s+Journalanteckningar som ska rättas \(sekretessbelagd bilaga till "
                     r"anmodan-om-rattelse\)\s+4 \(steg 3a\)\s+Extern", listing, re.M)


def test_every_shared_partial_says_what_it_uses() -> None:
    for partial in sorted((ROOT / "mallar" / "_gemensamt").glob("*.md")):
        head = partial.read_text(encoding="utf-8").lstrip()
        assert head.startswith("{#-"), partial.name
        if partial.name not in ("texter.md", "arssummering.md"):
            assert "Uses:" in head.split("-#}", 1)[0], partial.name


def test_the_guide_names_every_partial_filter_and_front_matter_key() -> None:
    guide = (ROOT / "mallar" / "README.md").read_text(encoding="utf-8")
    for partial in (ROOT / "mallar" / "_gemensamt").glob("*.md"):
        assert f"_gemensamt/{partial.name}" in guide, partial.name
    from generator.formatting import FILTERS

    for name in [*FILTERS, "md"]:
        assert f"`{name}`" in guide, name
    for key in ("arendetyp", "bilaga_till", "sekretess", "inkludera", "intern", "check_decision", "check_mandate", "kap2.py", "kap5.py"):
        assert key in guide, key


def test_a_count_in_running_text_is_written_in_words_up_to_twelve() -> None:
    from generator.formatting import FILTERS

    count = FILTERS["antal"]
    assert count(1, "en avvikelse", "avvikelser") == "en avvikelse"
    assert count(1, "ett ärende", "ärenden") == "ett ärende"
    assert count(2, "en ändring", "ändringar") == "två ändringar"
    assert count(12, "en ändring", "ändringar") == "tolv ändringar"
    assert count(13, "en ändring", "ändringar") == "13 ändringar"
    assert count(1500, "ett ärende", "ärenden") == "1\xa0500 ärenden"


def test_context_keys_are_plain_data(tmp_path: Path) -> None:
    """What the letter parts add to a template's context is plain data (a template is untrusted)."""
    from generator.context import build_context
    from generator.pipeline import Options, load_case

    case, problems = load_case(write(tmp_path / "a.yaml", copy.deepcopy(example())), Options())
    assert case is not None, problems
    document = next(d for d in case.documents if d.id == ATTACHMENT)
    context = build_context(case.data, case.schema, document, case.profile, case.data_hash, case.attachments[LETTER])

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, int, bool)) or type(value).__name__ == "date"

    for key in ("brev", "mandat", "uppfoljning", "bilaga"):
        assert plain(context[key]), key
    assert context["bilaga"] == {"id": ATTACHMENT, "titel": "Journalanteckningar som ska rättas", "sekretess": True, "nummer": 2}
