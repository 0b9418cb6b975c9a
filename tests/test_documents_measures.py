"""The measures of kap. 4 as a provider, a board, IVO and the police read them: every document of
the escalation ladder rendered from the two example cases in all four formats, the decisions
checked against the delegation order, the amounts computed and equal in every format, the dates
and deadlines the handbook sets, and the patients of the IVO report only in its confidential
attachment."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import Result
from conftest import EXAMPLES, ROOT
from lxml import html as lxml_html
from test_letters import line_of, write
from test_robustness import invoke, messages

from generator.formatting import find_personnummer
from generator.leaks import docx_text as docx_xml_text

PROFILE = EXAMPLES / "organisation.yaml"
IN_DEPTH = EXAMPLES / "arenden" / "fordjupad-smartklinik.yaml"
ROUTINE = EXAMPLES / "arenden" / "lopande-fysiocentrum.yaml"
IN_DEPTH_ID, ROUTINE_ID = "FU-2026-027", "LU-2026-RH-21"
IN_DEPTH_DOCS = [
    "beslut-om-atgard", "uppfoljning-anmodan", "uppfoljning-kontrollplan", "tjansteutlatande",
    "aterkrav", "sanktion-vite", "havning", "anmalan-ivo", "polisanmalan",
]
ROUTINE_DOCS = ["begaran-handlingsplan", "uppfoljning-handlingsplan", "atgardsstrategi"]
FORMATS = ("pdf", "docx", "html", "md")
AMOUNT = re.compile(r"\b\d{1,3}(?: \d{3})* kr\b")
NBSP = "\u00a0"


# --- helpers ---------------------------------------------------------------------------------


def case(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["organisation"] = str(PROFILE)
    return data


def flat(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def pdf_pages(path: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def html_plain(path: Path) -> str:
    """The text of the HTML page as a browser shows it: inline markup joined, blocks and cells apart."""
    page = lxml_html.fromstring(path.read_bytes())
    for element in page.iter("p", "li", "td", "th", "h1", "h2", "h3", "h4", "div", "br", "tr"):
        element.tail = "\n" + (element.tail or "")
    return page.text_content()


def docx_plain(path: Path) -> str:
    """Every paragraph and table cell of the DOCX body, one per line (runs joined as Word shows them)."""
    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    lines += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def markdown_plain(text: str) -> str:
    """The Markdown as a reader takes it in: without emphasis marks, line-break backslashes,
    escapes, table rules and the `:::` fences."""
    text = re.sub(r"^:::.*$", "", text, flags=re.M)
    text = re.sub(r"^\|[-:| ]+\|$", "", text, flags=re.M)
    text = re.sub(r"(?<!\\)\|", " ", text)
    text = text.replace("**", "")
    text = re.sub(r"\\\n", "\n", text)
    return re.sub(r"\\(.)", r"\1", text)


def table(path: Path, header: tuple[str, ...]) -> list[list[str]]:
    """The rows (header excluded) of the DOCX table whose header row is `header`."""
    for found in docx.Document(str(path)).tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in found.rows]
        if tuple(rows[0]) == header:
            return rows[1:]
    raise AssertionError(f"no table {header} in {path.name}")


def signatures(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs if p.style.name == "Signatur"]


# --- the examples, rendered once -------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both example cases in every format: document id -> its folder."""
    out = tmp_path_factory.mktemp("atgarder")
    result = invoke("render", IN_DEPTH, ROUTINE, "-o", out)
    assert result.exit_code == 0, result.output
    folders = {doc: out / IN_DEPTH_ID for doc in IN_DEPTH_DOCS + ["anmodan-om-rattelse", "kontrollplan", "anmalan-ivo-bilaga"]}
    folders.update({doc: out / ROUTINE_ID for doc in ROUTINE_DOCS})
    return folders


@pytest.fixture(scope="module")
def texts(rendered: dict[str, Path]) -> Callable[[str], dict[str, str]]:
    """Per document, what a reader sees in each format, flattened (read once per document)."""
    cache: dict[str, dict[str, str]] = {}

    def read(document: str) -> dict[str, str]:
        if document not in cache:
            folder = rendered[document]
            cache[document] = {
                "pdf": flat("\n".join(pdf_pages(folder / f"{document}.pdf"))),
                "docx": flat(docx_plain(folder / f"{document}.docx")),
                "html": flat(html_plain(folder / f"{document}.html")),
                "md": flat(markdown_plain((folder / f"{document}.md").read_text(encoding="utf-8"))),
            }
        return cache[document]

    return read


def assert_everywhere(read: Callable[[str], dict[str, str]], document: str, *phrases: str) -> None:
    for extension, text in read(document).items():
        missing = [phrase for phrase in phrases if flat(phrase) not in text]
        assert not missing, f"{document}.{extension} lacks {missing}"


def test_every_measure_is_made_from_the_examples(rendered: dict[str, Path]) -> None:
    for document, folder in rendered.items():
        for extension in FORMATS:
            assert (folder / f"{document}.{extension}").is_file(), f"{document}.{extension}"
    import json

    manifest = json.loads((rendered["havning"] / "manifest.json").read_text(encoding="utf-8"))
    assert set(IN_DEPTH_DOCS) | {"anmalan-ivo-bilaga"} <= set(manifest["dokument"])


# --- the handbook's content, in every format -------------------------------------------------

CONTENT = {
    "begaran-handlingsplan": [
        "Begäran om handlingsplan",
        "Handlingsplanen ska ha kommit in senast: 30 mars 2026",
        "Åtgärderna ska vara genomförda senast: 15 juni 2026",
        "Region Norrsund följer upp ert avtal inom ramen för den löpande uppföljningen.",
        "vem hos er som ansvarar för varje åtgärd",
        "hur ni följer upp att åtgärderna har effekt och vilket underlag som visar det",
        "Åtgärderna i handlingsplanen ska vara genomförda senast 15 juni 2026. Det är handlingsplanens deadline.",
        "Skicka handlingsplanen senast 30 mars 2026 till handläggaren Sara Holmgren, sara.holmgren@regionnorrsund.example",
        "Vi följer upp handlingsplanen den 24 juni 2026.",
        "teamet utformar en åtgärdsstrategi",
        "Beslutat av Sara Holmgren den 9 mars 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 4.1.",
    ],
    "uppfoljning-handlingsplan": [
        "Uppföljning av handlingsplan",
        "Handlingsplanen kom in: 27 mars 2026",
        "Det här lovade handlingsplanen:",
        "Det här har genomförts:",
        "Vår bedömning:",
        "Status: Delvis genomförd",
        "Status: Genomförd",
        "Handlingsplanen har inte genomförts fullt ut: A1 (delvis genomförd).",
        "Ärendet går vidare till åtgärdsstrategi (steg 3).",
        "Resultatet redovisas i årets återrapportering till er",
        "punkt 4.2.",
    ],
    "atgardsstrategi": [
        "Åtgärdsstrategi – Fysiocentrum Västerhamn",
        "Verksamhetsbedömning: Gul – mindre avvikelser",
        "Syfte", "Önskat läge när syftet är uppfyllt:", "Strategi", "Åtgärder", "Praktiska avvägningar",
        "Samråd", "Karin Holm, Regionjurist",
        "Information till chefer och politiska företrädare",
        "Anmodan om rättelse: beslutas av teamet efter samråd med regionjurist",
        "Teamledaren fastställer åtgärdsstrategin för avvikelsen A1.",
        "Beslutat av Lisa Viklund den 20 augusti 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 4.4.",
    ],
    "beslut-om-atgard": [
        "Beslut om åtgärd – anmodan om rättelse",
        "Vad som kan göras (avtal, lag och bevisläge):",
        "Vad som bör göras (vilken effekt åtgärderna väntas få):",
        "Konsekvensbeskrivning",
        "Konsekvensbeskrivningen är grunden för prioriteringen.",
        "Anmälan till IVO",
        "Prioritet: Akut",
        "Prioritet: På lång sikt",
        "Beslutas av: Hälso- och sjukvårdsnämnden",
        "Beslutat av Teamet för fördjupad uppföljning den 24 mars 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 4.3.",
    ],
    "uppfoljning-anmodan": [
        "Uppföljning av anmodan om rättelse",
        "Uppföljd av: handläggaren Sofia Nyström och regionjurist Karin Holm tillsammans med teamet för fördjupad uppföljning den 11 maj 2026",
        "Resultat: Inte rättad",
        "Resultat: Delvis rättad",
        "Möjliga åtgärder när rättelse inte har skett",
        "Enligt handboken undersöks då möjligheten till återkrav eller sanktion.",
        "Teamet föreslår att Hälso- och sjukvårdsnämnden beslutar om kontrollplan och återkrav.",
        "Resultatet redovisas i ärendets slutrapport till Hälso- och sjukvårdsnämnden.",
    ],
    "uppfoljning-kontrollplan": [
        "Tjänsteskrivelse till Hälso- och sjukvårdsnämnden",
        "Uppföljning av kontrollplan",
        "Kontrollplanen fastställd: Hälso- och sjukvårdsnämnden 26 maj 2026, § 64",
        "Teamets bedömning per kontrollpunkt",
        "Kontroller: 0 av 3 uppfyllda",
        "Utfall: Inte uppfylld",
        "Rekommendationer",
        "Förslag till beslut",
        "Hälso- och sjukvårdsförvaltningen föreslår att Hälso- och sjukvårdsnämnden fattar följande beslut:",
        "Helena Strand",
    ],
    "tjansteutlatande": [
        "Tjänsteskrivelse till Hälso- och sjukvårdsnämnden",
        "Förslag till beslut: 4 punkter under rubriken Förslag till beslut",
        "Tjänsteutlåtande med förslag till beslut",
        "Sammanträde: Hälso- och sjukvårdsnämnden 17 november 2026",
        "Bakgrund", "Ärendets historik", "Ärendets beredning", "Förvaltningens överväganden", "Konsekvenser",
        "Förslaget har utformats av handläggaren i samråd med:",
        "Lena Forsberg, Ekonom, 28 oktober 2026",
        "Bilaga 1: Beräkning av återkravet per grund",
    ],
    "aterkrav": [
        "Återkrav av ersättning",
        "Hälso- och sjukvårdsnämnden beslutade den 17 november 2026, § 118, att återkräva 759 300 kr",
        "Belopp per grund",
        "212 besök × 1 450 kr",
        "Summa att återbetala",
        "Avtal och lag",
        "Betala 759 300 kr senast 21 december 2026 till Region Norrsunds bankgiro 5891-2047.",
        "dröjsmålsränta enligt räntelagen (1975:635)",
        "Om ni har invändningar",
        "senast 7 december 2026",
        "Beslutat av Hälso- och sjukvårdsnämnden den 17 november 2026, § 118.",
    ],
    "sanktion-vite": [
        "Sanktion enligt avtalet – vite",
        "Hälso- och sjukvårdsnämnden beslutade den 17 november 2026, § 118, att Hamnstadens Specialistvård AB",
        "ska betala vite om 140 000 kr enligt avtalet.",
        "Avtalets villkor",
        "Enligt avtalets punkt 12.4",
        "3 påbörjade veckor × 20 000 kr",
        "Avtalets tak för vite är 200 000 kr. Beloppet ligger inom taket.",
        "Beloppet, 140 000 kr, kvittas mot ersättningen för november 2026, som betalas ut 18 december 2026.",
    ],
    "havning": [
        "Hävning av avtal",
        "Överlämnas: med bud den 18 november 2026, mot mottagningsbevis",
        "Avtalet upphör att gälla: 31 december 2026",
        "Hälso- och sjukvårdsnämnden beslutade den 17 november 2026, § 118, att häva",
        "Skäl för hävningen",
        "Åtgärder som har vidtagits",
        "Avtalets villkor om hävning",
        "Det här gäller fram till och efter den 31 december 2026",
        "Mottagningsbevis",
        "Med bud 2026-11-18 av Norrsunds Budservice AB",
        "Namnförtydligande",
        "Mottagarens underskrift",
        "Beviset lämnas tillbaka till budet och förvaras i ärendet.",
    ],
    "anmalan-ivo": [
        "Inspektionen för vård och omsorg",
        "Anmälan till Inspektionen för vård och omsorg",
        "Anmälan gäller: Lars-Erik Falk, legitimerad läkare, specialist i anestesi och intensivvård",
        "kan vara en fara för patientsäkerheten",
        "Iakttagelser",
        "Patient 4",
        "framgår av bilaga 1 (sekretessbelagd)",
        "Den medicinska rådgivarens bedömning",
        "Beslutat av Erik Sund den 27 mars 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 6.1.",
        "Bilaga 1 (sekretessbelagd): Patienter som anmälan gäller",
    ],
    "polisanmalan": [
        "Polismyndigheten",
        "Polisanmälan",
        "Anmälare och målsägande: Region Norrsund, organisationsnummer 232100-0016",
        "Misstänkt brott: bedrägeri, eventuellt grovt (9 kap. 1 och 3 §§ brottsbalken)",
        "Brottstid: 2025-07-01 – 2025-12-31",
        "Personer som kan misstänkas",
        "Omständigheter",
        "Regionen vill föra talan om ersättning för skadan (enskilt anspråk)",
        "Till anmälan bifogas följande underlag:",
        "Bilaga 3: Tjänstgöringsschema och registrerade besök 3–14 november 2025",
        "Anmälan innehåller inga uppgifter om enskilda patienter.",
        "efter samråd med regionjurist Karin Holm den 8 juni 2026",
        "Beslutat av Helena Strand den 10 juni 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 6.2.",
    ],
}


@pytest.mark.parametrize("document", list(CONTENT))
def test_the_handbooks_content_in_every_format(texts: Callable[[str], dict[str, str]], document: str) -> None:
    assert_everywhere(texts, document, *CONTENT[document])


def test_internal_measures_say_so_on_every_page(rendered: dict[str, Path]) -> None:
    for document in ("atgardsstrategi", "beslut-om-atgard", "uppfoljning-anmodan"):
        pages = pdf_pages(rendered[document] / f"{document}.pdf")
        assert len(pages) > 1 and all("Intern – lämnas inte ut" in page for page in pages), document
        assert "Intern – lämnas inte ut" in docx_xml_text((rendered[document] / f"{document}.docx").read_bytes())
    for document in ("begaran-handlingsplan", "havning", "anmalan-ivo", "tjansteutlatande"):
        assert not any("Intern – lämnas inte ut" in page for page in pdf_pages(rendered[document] / f"{document}.pdf")), document


# --- who decides signs --------------------------------------------------------------------------


def test_decisions_are_signed_by_whoever_holds_the_mandate(rendered: dict[str, Path]) -> None:
    def signed(document: str) -> list[str]:
        return signatures(rendered[document] / f"{document}.docx")

    assert signed("atgardsstrategi") == [
        "Beslutat av Lisa Viklund den 20 augusti 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 4.4.",
        "Lisa Viklund\nTeamledare, Vårdval Rehab\nAvdelningen för avtalsuppföljning",
        "Sara Holmgren\nRegionutvecklare\nföredragande",
    ]
    assert signed("anmalan-ivo")[1] == "Erik Sund\nMedicinsk rådgivare, specialist i allmänmedicin\nAvdelningen för avtalsuppföljning"
    # The director signs with her own unit, not the follow-up department.
    assert signed("polisanmalan")[1] == "Helena Strand\nHälso- och sjukvårdsdirektör\nHälso- och sjukvårdsförvaltningen"
    for document in ("aterkrav", "sanktion-vite", "havning"):
        assert signed(document) == [
            "Beslutat av Hälso- och sjukvårdsnämnden den 17 november 2026, § 118.",
            "Sofia Nyström\nRegionutvecklare\nAvdelningen för avtalsuppföljning",
        ], document
    # The board documents are tjänsteskrivelser signed by the manager the profile names.
    for document in ("uppfoljning-kontrollplan", "tjansteutlatande"):
        assert signed(document) == ["Helena Strand\nHälso- och sjukvårdsdirektör"], document
        head = [p.text for p in docx.Document(str(rendered[document] / f"{document}.docx")).paragraphs if p.style.name == "Tjänsteskrivelse"]
        assert head and head[0].startswith("Tjänsteskrivelse till Hälso- och sjukvårdsnämnden\nÄrende: Fördjupad uppföljning av Smärtkliniken")


# --- amounts: computed, summed, the same in every format ---------------------------------------


def kronor(value: int) -> str:
    return f"{value:,}".replace(",", " ") + " kr"


def test_amounts_are_computed_and_summed_from_the_case(texts: Callable[[str], dict[str, str]], rendered: dict[str, Path]) -> None:
    data = case(IN_DEPTH)
    grounds = [g["antal"] * g["a_pris"] for g in data["aterkrav"]["grunder"]]
    items = [p["antal"] * p["a_belopp"] for p in data["sanktion_vite"]["poster"]]
    damage = [s["antal"] * s["a_pris"] for s in data["polisanmalan"]["skada"]]
    assert sum(grounds) == 759300 and sum(items) == 140000 and sum(damage) == 451900
    # Each ground agrees with its deviation's aterkrav_belopp (the final and annual reports show those).
    recorded = {d["id"]: d.get("aterkrav_belopp") for d in data["avvikelser"]}
    for ground, value in zip(data["aterkrav"]["grunder"], grounds, strict=True):
        assert recorded[ground["avvikelse"]] == value
    assert_everywhere(texts, "aterkrav", *map(kronor, grounds), kronor(sum(grounds)), f"Belopp att återbetala: {kronor(sum(grounds))}",
                      f"Ni ska betala tillbaka {kronor(sum(grounds))}.")
    assert_everywhere(texts, "sanktion-vite", *map(kronor, items), f"Belopp: {kronor(sum(items))}")
    assert_everywhere(texts, "polisanmalan", *map(kronor, damage), f"Skada för Region Norrsund: {kronor(sum(damage))}")
    # The tjänsteutlåtande proposes what the letters then state, and sums it.
    assert_everywhere(texts, "tjansteutlatande", f"Belopp: {kronor(sum(grounds))}.", f"Belopp: {kronor(sum(items))}.",
                      kronor(sum(grounds) + sum(items)))
    # The sum row of each table is the sum of its rows (read cell by cell, as Word shows them).
    for document, header, total in (("aterkrav", ("Nr", "Grund", "Avvikelse", "Period", "Beräkning", "Belopp"), sum(grounds)),
                                    ("sanktion-vite", ("Nr", "Post", "Beräkning", "Belopp"), sum(items)),
                                    ("polisanmalan", ("Nr", "Post", "Beräkning", "Belopp"), sum(damage)),
                                    ("tjansteutlatande", ("Beslutspunkt", "Belopp"), sum(grounds) + sum(items))):
        rows = table(rendered[document] / f"{document}.docx", header)
        assert rows[-1][-1] == kronor(total).replace(" ", NBSP), (document, rows[-1])
        assert rows[-1][-2 if len(header) == 2 else 1].startswith("Summa"), (document, rows[-1])
        assert sum(int(row[-1].replace(NBSP, "").removesuffix("kr")) for row in rows[:-1]) == total, document


@pytest.mark.parametrize("document", ["aterkrav", "sanktion-vite", "polisanmalan", "tjansteutlatande"])
def test_every_amount_reads_the_same_in_pdf_docx_html_and_markdown(texts: Callable[[str], dict[str, str]],
                                                                   rendered: dict[str, Path], document: str) -> None:
    found = {extension: sorted(set(AMOUNT.findall(text))) for extension, text in texts(document).items()}
    assert found["md"], document
    assert found["pdf"] == found["docx"] == found["html"] == found["md"], found
    # Written the Swedish way, with non-breaking spaces that keep an amount on one line.
    markdown = (rendered[document] / f"{document}.md").read_text(encoding="utf-8")
    assert all(amount.replace(" ", NBSP) in markdown for amount in found["md"])


# --- the IVO report's patients stay in the confidential attachment ------------------------------


def reader_texts(folder: Path, document: str) -> dict[str, str]:
    """Everything a reader of the file can find: the DOCX's every XML part, the HTML's text and attributes."""
    from generator.leaks import html_text

    return {
        "md": (folder / f"{document}.md").read_text(encoding="utf-8"),
        "html": html_text((folder / f"{document}.html").read_text(encoding="utf-8")),
        "docx": docx_xml_text((folder / f"{document}.docx").read_bytes()),
        "pdf": "\n".join(pdf_pages(folder / f"{document}.pdf")),
    }


def test_the_patients_are_never_inside_the_report_to_ivo(rendered: dict[str, Path]) -> None:
    patients = case(IN_DEPTH)["anmalan_ivo"]["patienter"]
    secrets = [p["personnummer"] for p in patients] + [p["namn"] for p in patients if p.get("namn")] + [p["journal"] for p in patients]
    for document in ("anmalan-ivo", "polisanmalan", "beslut-om-atgard", "tjansteutlatande", "havning"):
        for extension, text in reader_texts(rendered[document], document).items():
            plain = flat(text)
            leaked = [s for s in secrets if flat(s) in plain]
            assert not leaked, f"{document}.{extension}: {leaked}"
            assert not find_personnummer(plain) and "XXXXXX" not in plain, f"{document}.{extension}"
    # The attachment holds them, marked with the secrecy provision on every page.
    attachment = reader_texts(rendered["anmalan-ivo-bilaga"], "anmalan-ivo-bilaga")
    for extension, text in attachment.items():
        assert all(flat(s) in flat(text) for s in secrets), extension
    for page in pdf_pages(rendered["anmalan-ivo-bilaga"] / "anmalan-ivo-bilaga.pdf"):
        assert "SEKRETESS enligt 25 kap. 1 § offentlighets- och sekretesslagen (2009:400)" in flat(page)
    assert "Bilaga 1 till anmälan till Inspektionen för vård och omsorg daterad 27 mars 2026" in flat(attachment["pdf"])
    import json

    manifest = json.loads((rendered["anmalan-ivo"] / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["dokument"]["anmalan-ivo-bilaga"]
    assert entry["bilaga_till"] == "anmalan-ivo" and "25 kap. 1 §" in entry["sekretess"]


def test_a_patient_named_in_the_reports_own_text_stops_it(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["anmalan_ivo"]["handelser"][0]["beskrivning"] = "Gunilla Sjöberg fick en djup infektion efter injektionen."
    data["anmalan_ivo"]["bedomning"] = "Patienten 19530305-9876 har fått opioider i tre år utan uppföljning."
    path = write(tmp_path / "a.yaml", data)
    result = invoke("render", path, "-d", "anmalan-ivo", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'anmalan_ivo:', 'Gunilla Sjöberg fick')}: anmalan_ivo.handelser[1].beskrivning: texten namnger patient 1, "
        "vars uppgifter är sekretessbelagda och bara står i bilagan; skriv 'Patient 1' i stället",
        f"{path}:{at(path, 'anmalan_ivo:', 'bedomning:')}: anmalan_ivo.bedomning: texten namnger patient 4, vars uppgifter är "
        "sekretessbelagda och bara står i bilagan; skriv 'Patient 4' i stället",
    ]
    assert not (tmp_path / "ut").exists()


# --- the delivery of a termination ----------------------------------------------------------


def test_the_receipt_is_a_page_of_its_own_and_records_the_returned_receipt(rendered: dict[str, Path], tmp_path: Path) -> None:
    pages = pdf_pages(rendered["havning"] / "havning.pdf")
    assert "Mottagningsbevis" in pages[-1] and "Mottagningsbevis" not in "".join(pages[:-1])
    assert "Överlämnas: med bud den 18 november 2026, mot mottagningsbevis" in flat(pages[0])
    data = case(IN_DEPTH)
    data["havning"]["kvittens"] = {"namn": "Annika Wester", "befattning": "Verkställande direktör", "datum": "2026-11-18", "klockslag": "14:20"}
    path = write(tmp_path / "a.yaml", data)
    path.write_text(path.read_text(encoding="utf-8").replace("datum: '2026-11-18'", "datum: 2026-11-18"), encoding="utf-8")
    assert invoke("render", path, "-d", "havning", "-f", "docx", "-o", tmp_path / "ut").exit_code == 0
    rows = {row.cells[0].text: row.cells[1].text for table in docx.Document(str(tmp_path / "ut" / IN_DEPTH_ID / "havning.docx")).tables
            for row in table.rows}
    assert rows["Namnförtydligande"] == "Annika Wester" and rows["Datum och klockslag"] == "2026-11-18 kl. 14.20"
    assert rows["Mottagarens underskrift"] == "(se det undertecknade beviset i ärendet)"


# --- the wording follows the case type --------------------------------------------------------


def test_routine_letters_never_call_the_case_an_in_depth_one(texts: Callable[[str], dict[str, str]]) -> None:
    for document in ("begaran-handlingsplan", "uppfoljning-handlingsplan"):
        for extension, text in texts(document).items():
            assert "fördjupad" not in text.lower(), f"{document}.{extension}"
            assert "inom ramen för den löpande uppföljningen" in text


def test_an_in_depth_case_asks_for_an_action_plan_in_its_own_words(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    routine = case(ROUTINE)
    data["begaran_handlingsplan"] = {**routine["begaran_handlingsplan"], "avvikelser": ["A4"], "kopia_till": []}
    result = invoke("render", write(tmp_path / "a.yaml", data), "-d", "begaran-handlingsplan", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    text = flat(markdown_plain((tmp_path / "ut" / IN_DEPTH_ID / "begaran-handlingsplan.md").read_text(encoding="utf-8")))
    assert "Region Norrsund följer upp ert avtal inom ramen för en fördjupad uppföljning." in text
    assert "går ärendet vidare till nästa steg i eskaleringstrappan i handboken för avtalsuppföljning: en anmodan om rättelse." in text
    assert "löpande" not in text


def test_each_measure_exists_for_the_case_types_the_handbook_gives_it() -> None:
    from generator.templates import catalogue, template_dirs

    templates = catalogue(tuple(template_dirs()))
    for document in ("begaran-handlingsplan", "uppfoljning-handlingsplan", "anmalan-ivo", "polisanmalan"):
        assert templates[document].case_types == ("fordjupad", "lopande"), document
    assert templates["atgardsstrategi"].case_types == ("lopande",)
    for document in IN_DEPTH_DOCS[:7]:
        assert templates[document].case_types == ("fordjupad",), document


def test_a_routine_case_is_refused_the_boards_measures_and_an_in_depth_case_the_strategy(tmp_path: Path) -> None:
    routine = case(ROUTINE)
    routine["aterkrav"] = case(IN_DEPTH)["aterkrav"]
    routine["aterkrav"]["grunder"] = [{"avvikelse": "A1", "grund": "Besök", "antal": 2, "a_pris": 1000}]
    path = write(tmp_path / "lopande.yaml", routine)
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert f"{path}:{line_of(path, 'aterkrav:')}: aterkrav: dokumentet 'aterkrav' (Återkrav) hör bara till fördjupad uppföljning, men ärendet " \
           "är en löpande uppföljning (arende.typ: lopande); ta bort sektionen eller ändra arende.typ" in messages(result)
    in_depth = case(IN_DEPTH)
    in_depth["atgardsstrategi"] = case(ROUTINE)["atgardsstrategi"]
    path = write(tmp_path / "fordjupad.yaml", in_depth)
    result = invoke("validate", path, "-d", "atgardsstrategi")
    assert result.exit_code == 1
    assert f"{path}:{line_of(path, 'atgardsstrategi:')}: atgardsstrategi: dokumentet 'atgardsstrategi' (Åtgärdsstrategi) hör bara till " \
           "löpande uppföljning, men ärendet är en fördjupad uppföljning (arende.typ: fordjupad); ta bort sektionen eller ändra arende.typ" \
           in messages(result)


# --- the delegation order: a decision without the mandate, per decision document --------------

ROLE_TEXT = {"handlaggare": "handläggaren", "teamledare": "teamledaren", "avdelningschef": "avdelningschefen", "teamet": "teamet",
             "regionjurist": "regionjuristen"}
HANDBOOK = "handboken för avtalsuppföljning (kapitel 4)"

# (source case, the decision field, who decides wrongly, the measure's name, who may, the profile's line or None)
MANDATES = [
    (ROUTINE, ("begaran_handlingsplan", "beslut"), "teamledare", "begäran om handlingsplan", "handläggaren", "  handlingsplan:"),
    (ROUTINE, ("uppfoljning_handlingsplan", "beslut"), "teamledare", "steg 2b (uppföljning av handlingsplan)", "handläggaren", "  '2b':"),
    (ROUTINE, ("atgardsstrategi", "beslut"), "handlaggare", "steg 3 (åtgärdsstrategi)", "teamledaren", "  '3':"),
    (IN_DEPTH, ("beslut_om_atgard", "beslut"), "teamledare", "anmodan om rättelse", "teamet", "  anmodan:"),
    (IN_DEPTH, ("uppfoljning_anmodan", "beslut"), "handlaggare", "steg 3b (uppföljning av anmodan)",
     "teamet eller ansvarig nämnd eller styrelse", None),
    (IN_DEPTH, ("uppfoljning_kontrollplan", "kontrollplan_beslut"), "avdelningschef", "kontrollplan", "ansvarig nämnd eller styrelse", None),
    (IN_DEPTH, ("aterkrav", "beslut"), "avdelningschef", "återkrav", "ansvarig nämnd eller styrelse", None),
    (IN_DEPTH, ("sanktion_vite", "beslut"), "teamet", "sanktion och vite", "ansvarig nämnd eller styrelse", None),
    (IN_DEPTH, ("havning", "beslut"), "avdelningschef", "hävning av avtal", "ansvarig nämnd eller styrelse", None),
    (IN_DEPTH, ("anmalan_ivo", "beslut"), "handlaggare", "anmälan till IVO", "den medicinska rådgivaren", "  anmalan_ivo:"),
    (IN_DEPTH, ("polisanmalan", "beslut"), "regionjurist", "polisanmälan", "ansvarig tjänsteperson", "  polisanmalan:"),
]


@pytest.mark.parametrize(("source", "field", "wrong", "measure", "allowed", "profile_key"), MANDATES,
                         ids=[m[1][0] for m in MANDATES])
def test_a_decision_without_the_mandate_is_an_error_naming_the_rule(tmp_path: Path, source: Path, field: tuple[str, str], wrong: str,
                                                                     measure: str, allowed: str, profile_key: str | None) -> None:
    data = case(source)
    section, decision = field
    data[section][decision]["beslutsfattare"] = wrong
    path = write(tmp_path / "a.yaml", data)
    result = invoke("validate", path)
    assert result.exit_code == 1
    line = line_of(path, f"beslutsfattare: {wrong}", line_of(path, f"{decision}:", line_of(path, f"{section}:")))
    rule = f"delegationsordningen i organisationsprofilen ({PROFILE}:{line_of(PROFILE, profile_key)})" if profile_key else HANDBOOK
    expected = f"{path}:{line}: {section}.{decision}.beslutsfattare: {measure} beslutas enligt {rule} av {allowed}, inte av {ROLE_TEXT[wrong]}"
    assert expected in messages(result), "\n".join(messages(result))


def test_another_regions_delegation_order_is_cited_by_its_line(tmp_path: Path) -> None:
    """A region that lets the head of department reclaim payments: the board may no longer be asked
    to decide it, and the letter must be signed by her; the messages cite the profile's line."""
    profile = tmp_path / "organisation.yaml"
    profile.write_text(PROFILE.read_text(encoding="utf-8") + "  aterkrav:\n    beslutar: [avdelningschef]\n    punkt: \"5.1\"\n",
                       encoding="utf-8")
    data = case(IN_DEPTH)
    data["organisation"] = str(profile)
    path = write(tmp_path / "a.yaml", data)
    result = invoke("validate", path)
    assert result.exit_code == 1
    rule = f"delegationsordningen i organisationsprofilen ({profile}:{line_of(profile, '  aterkrav:')})"
    proposal = line_of(path, "atgard: aterkrav", line_of(path, "tjansteutlatande:"))
    letter = line_of(path, "beslutsfattare: namnd", line_of(path, "aterkrav:", line_of(path, "havning:")))
    assert messages(result) == [
        f"{path}:{proposal}: tjansteutlatande.forslag_till_beslut[1].atgard: återkrav beslutas enligt {rule} av avdelningschefen, "
        "inte av ansvarig nämnd eller styrelse",
        f"{path}:{letter}: aterkrav.beslut.beslutsfattare: återkrav beslutas enligt {rule} av avdelningschefen, inte av ansvarig nämnd "
        "eller styrelse",
    ]
    # Decided by her, the letter says so and she signs it.
    data["aterkrav"]["beslut"] = {"beslutsfattare": "avdelningschef", "datum": "2026-11-18"}
    del data["tjansteutlatande"]["forslag_till_beslut"][0]["atgard"]
    path = write(tmp_path / "b.yaml", data)
    path.write_text(path.read_text(encoding="utf-8").replace("datum: '2026-11-18'", "datum: 2026-11-18"), encoding="utf-8")
    result = invoke("render", path, "-d", "aterkrav", "-f", "docx,md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    out = tmp_path / "ut" / IN_DEPTH_ID
    assert signatures(out / "aterkrav.docx")[:2] == [
        "Beslutat av Maria Ek den 18 november 2026 med stöd av Hälso- och sjukvårdsnämndens delegationsordning, punkt 5.1.",
        "Maria Ek\nAvdelningschef\nAvdelningen för avtalsuppföljning",
    ]
    assert "Maria Ek beslutade den 18 november 2026 att återkräva" in flat(markdown_plain((out / "aterkrav.md").read_text(encoding="utf-8")))


# --- the handbook's rules on dates, deadlines, grounds and consultation ------------------------


def problems(tmp_path: Path, data: dict[str, Any]) -> tuple[Path, Result]:
    path = write(tmp_path / "arende.yaml", data)
    return path, invoke("validate", path)


def at(path: Path, *steps: str) -> int:
    """The line of the last of `steps`, each searched for after the previous one."""
    line = 0
    for step in steps:
        line = line_of(path, step, line)
    return line


def test_the_action_plan_always_has_a_deadline_after_the_letter(tmp_path: Path) -> None:
    data = case(ROUTINE)
    del data["begaran_handlingsplan"]["genomford_senast"]
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{at(path, 'begaran_handlingsplan:')}: begaran_handlingsplan.genomford_senast: fältet saknas men krävs"]

    data = case(ROUTINE)
    data["begaran_handlingsplan"]["inlamning_senast"] = data["begaran_handlingsplan"]["datum"]
    data["begaran_handlingsplan"]["genomford_senast"] = data["begaran_handlingsplan"]["datum"]
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'begaran_handlingsplan:', 'inlamning_senast:')}: begaran_handlingsplan.inlamning_senast: sista dag för att lämna "
        "handlingsplanen måste vara efter brevets datum",
        f"{path}:{at(path, 'begaran_handlingsplan:', 'genomford_senast:')}: begaran_handlingsplan.genomford_senast: handlingsplanens "
        "deadline måste vara efter brevets datum",
        f"{path}:{at(path, 'uppfoljning_handlingsplan:', 'deadline:')}: uppfoljning_handlingsplan.deadline: stämmer inte med "
        "begaran_handlingsplan.genomford_senast (9 mars 2026) i samma ärende",
    ]


def test_a_deadline_outside_one_to_six_months_is_a_warning(tmp_path: Path) -> None:
    import datetime as dt

    data = case(ROUTINE)
    data["begaran_handlingsplan"]["genomford_senast"] = dt.date(2026, 12, 15)
    data["begaran_handlingsplan"]["uppfoljning"]["datum"] = dt.date(2026, 12, 16)
    data["uppfoljning_handlingsplan"]["deadline"] = dt.date(2026, 12, 15)
    data["uppfoljning_handlingsplan"]["datum"] = dt.date(2026, 12, 18)
    data["uppfoljning_handlingsplan"]["beslut"]["datum"] = dt.date(2026, 12, 18)
    data["atgardsstrategi"]["datum"] = data["atgardsstrategi"]["beslut"]["datum"] = dt.date(2026, 12, 20)
    path, result = problems(tmp_path, data)
    assert result.exit_code == 0, result.output
    assert f"{path}:{at(path, 'begaran_handlingsplan:', 'genomford_senast:')}: varning: begaran_handlingsplan.genomford_senast: " \
           "handlingsplanens deadline (15 december 2026) ligger utanför 1–6 månader från brevet (9 mars 2026), som handboken anger som " \
           "normalt; kontrollera att tidsramen passar avvikelsens art" in messages(result)
    data["begaran_handlingsplan"]["genomford_senast"] = dt.date(2026, 3, 31)  # three weeks: too short, also a warning
    data["uppfoljning_handlingsplan"]["deadline"] = dt.date(2026, 3, 31)
    path, result = problems(tmp_path, data)
    assert result.exit_code == 0
    assert any("handlingsplanens deadline (31 mars 2026) ligger utanför 1–6 månader" in m for m in messages(result))


def test_the_follow_up_agrees_with_the_request(tmp_path: Path) -> None:
    import datetime as dt

    data = case(ROUTINE)
    data["uppfoljning_handlingsplan"]["deadline"] = dt.date(2026, 6, 12)
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{at(path, 'uppfoljning_handlingsplan:', 'deadline:')}: uppfoljning_handlingsplan.deadline: "
                                "stämmer inte med begaran_handlingsplan.genomford_senast (15 juni 2026) i samma ärende"]


def test_a_measure_in_the_strategy_is_checked_against_the_delegation_order(tmp_path: Path) -> None:
    data = case(ROUTINE)
    data["atgardsstrategi"]["atgarder"][2]["beslutas_av"] = "handlaggare"
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'atgardsstrategi:', 'typ: anmodan', 'beslutas_av:')}: atgardsstrategi.atgarder[3].beslutas_av: anmodan om "
        f"rättelse beslutas enligt delegationsordningen i organisationsprofilen ({PROFILE}:{line_of(PROFILE, '  anmodan:')}) av teamet, "
        "inte av handläggaren"
    ]


def test_the_decided_measure_has_a_konsekvensbeskrivning_and_its_consultation(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    doc = data["beslut_om_atgard"]
    doc["forslag"] = [f for f in doc["forslag"] if f["atgard"] != "anmodan"]
    doc["samrad"] = [s for s in doc["samrad"] if s["roll"] != "regionjurist"]
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'beslut_om_atgard:', 'atgard: anmodan')}: beslut_om_atgard.atgard: beslutet gäller anmodan om rättelse, men "
        "konsekvensbeskrivningen saknar den; beskriv dess konsekvenser och prioritet under 'forslag'",
        f"{path}:{at(path, 'beslut_om_atgard:', 'samrad:')}: beslut_om_atgard.samrad: anmodan om rättelse beslutas enligt "
        f"delegationsordningen i organisationsprofilen ({PROFILE}:{line_of(PROFILE, '  anmodan:')}) efter samråd med regionjuristen; "
        "ange samrådet under 'samrad' (roll: regionjurist, datum)",
    ]


def test_a_correction_not_made_leads_to_the_boards_options(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    del data["uppfoljning_anmodan"]["mojligheter"]
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{at(path, 'uppfoljning_anmodan:')}: uppfoljning_anmodan.mojligheter: rättelse har inte skett för "
                                "A1, A2, A4; handboken (kapitel 4, steg 3b): undersök möjligheten till återkrav eller sanktion och ange den "
                                "under 'mojligheter'"]


def test_the_control_plans_follow_up_names_the_boards_decision_that_set_it(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["uppfoljning_kontrollplan"]["kontrollplan_beslut"]["paragraf"] = "§ 46"
    data["uppfoljning_kontrollplan"]["kontrollpunkter"][1]["uppfyllda"] = 3
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'uppfoljning_kontrollplan:', 'paragraf:')}: uppfoljning_kontrollplan.kontrollplan_beslut.paragraf: stämmer inte "
        "med kontrollplan.namndbeslut.paragraf (§ 64) i samma ärende",
        f"{path}:{at(path, 'uppfoljning_kontrollplan:', 'Indikation vid', 'uppfyllda:')}: uppfoljning_kontrollplan.kontrollpunkter[2]."
        "uppfyllda: fler uppfyllda kontroller (3) än kontroller (2)",
    ]


def test_the_proposed_amount_is_the_amount_decided(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["tjansteutlatande"]["forslag_till_beslut"][0]["belopp"] = 750000
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{at(path, 'tjansteutlatande:', 'belopp: 750000')}: tjansteutlatande.forslag_till_beslut[1].belopp: "
                                "beloppet 750 000 kr stämmer inte med aterkrav.grunder i samma ärende (summa 759 300 kr); nämndens beslut "
                                "och brevet ska ange samma belopp"]


def test_a_repayment_needs_grounds_with_amounts_that_agree_with_the_deviations(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["aterkrav"]["grunder"] = []
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert f"{path}:{at(path, 'aterkrav:', 'grunder:')}: aterkrav.grunder: behöver minst 1 rad" in messages(result)

    data = case(IN_DEPTH)
    del data["aterkrav"]["grunder"][1]["a_pris"]
    data["aterkrav"]["grunder"][2]["antal"] = 40
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    ground = at(path, "aterkrav:", "grunder:", "avvikelse: A2")
    assert messages(result) == [
        f"{path}:{line_of(path, 'aterkrav_belopp: 396800')}: avvikelser[2].aterkrav_belopp: avvikelsen A2 anger återkrav 396 800 kr, men "
        "grunderna i aterkrav summerar till 0 kr; rätta det ena så att brevet, slutrapporten och årsrapporten visar samma belopp",
        f"{path}:{line_of(path, 'aterkrav_belopp: 55100')}: avvikelser[3].aterkrav_belopp: avvikelsen A3 anger återkrav 55 100 kr, men "
        "grunderna i aterkrav summerar till 58 000 kr; rätta det ena så att brevet, slutrapporten och årsrapporten visar samma belopp",
        f"{path}:{at(path, 'tjansteutlatande:', 'belopp: 759300')}: tjansteutlatande.forslag_till_beslut[1].belopp: beloppet 759 300 kr "
        "stämmer inte med aterkrav.grunder i samma ärende (summa 365 400 kr); nämndens beslut och brevet ska ange samma belopp",
        f"{path}:{ground}: aterkrav.grunder[2]: raden saknar belopp; ange antal och a_pris (beloppet räknas fram) eller belopp",
    ]


def test_an_amount_given_beside_its_computation_must_agree_with_it(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["sanktion_vite"]["poster"][0]["belopp"] = 60000  # 3 × 20 000: agrees, accepted
    data["polisanmalan"]["skada"][1]["belopp"] = 50000  # 38 × 1 450 = 55 100
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'polisanmalan:', 'belopp: 50000')}: polisanmalan.skada[2].belopp: beloppet 50 000 kr stämmer inte med "
        "antal × a_pris (38 × 1 450 kr = 55 100 kr); rätta beloppet eller ta bort det så att det räknas fram"
    ]


def test_a_letter_is_sent_after_its_decision_and_paid_after_it(tmp_path: Path) -> None:
    import datetime as dt

    data = case(IN_DEPTH)
    data["aterkrav"]["beslut"]["datum"] = dt.date(2026, 11, 24)
    data["aterkrav"]["betalning"]["senast"] = dt.date(2026, 11, 10)
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'aterkrav:', 'datum: 2026-11-24')}: aterkrav.beslut.datum: beslutet är daterat efter brevet (19 november 2026); "
        "ett brev kan bara meddela ett beslut som redan har fattats",
        f"{path}:{at(path, 'aterkrav:', 'senast: 2026-11-10')}: aterkrav.betalning.senast: sista betalningsdagen måste vara efter brevets datum",
        f"{path}:{at(path, 'aterkrav:', 'invandning_senast:')}: varning: aterkrav.invandning_senast: sista dag för invändningar är efter "
        "sista betalningsdag; vårdgivaren behöver få svar på invändningar innan beloppet ska betalas",
    ]


def test_a_penalty_stays_within_the_contracts_cap(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["sanktion_vite"]["tak"] = 100000
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert f"{path}:{at(path, 'sanktion_vite:', 'tak:')}: sanktion_vite.tak: summan 140 000 kr är högre än avtalets tak 100 000 kr; " \
           "beloppet får inte överstiga taket" in messages(result)


def test_a_termination_needs_the_boards_decision(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    del data["havning"]["beslut"]
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{at(path, 'havning:')}: havning.beslut: fältet saknas men krävs"]

    data = case(IN_DEPTH)
    del data["havning"]["beslut"]["paragraf"]
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{at(path, 'havning:', 'beslut:')}: havning.beslut.paragraf: ett beslut av nämnd eller styrelse "
                                "anger protokollets paragraf, t.ex. § 87"]

    import datetime as dt

    data = case(IN_DEPTH)
    data["havning"]["upphor"] = dt.date(2026, 11, 16)
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'havning:', 'upphor:')}: havning.upphor: avtalet kan inte upphöra före beslutet om hävning (17 november 2026)",
        f"{path}:{at(path, 'havning:', 'leverans:', 'datum:')}: havning.leverans.datum: brevet måste överlämnas innan avtalet upphör",
    ]


def test_the_report_to_ivo_refers_to_patients_in_its_attachment(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["anmalan_ivo"]["handelser"][3]["patient"] = 7
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'anmalan_ivo:', 'patient: 7')}: anmalan_ivo.handelser[4].patient: patient 7 finns inte under 'patienter' (den "
        "sekretessbelagda bilagan); lägg till patienten där eller rätta numret",
        f"{path}:{at(path, 'anmalan_ivo:', 'patienter:', 'nummer: 4')}: varning: anmalan_ivo.patienter[4].nummer: patient 4 nämns inte i "
        "någon iakttagelse; hänvisa till patienten under 'handelser' eller ta bort raden",
    ]


def test_a_police_report_is_decided_after_consulting_the_regional_lawyer(tmp_path: Path) -> None:
    data = case(IN_DEPTH)
    data["polisanmalan"]["samrad"] = [{"roll": "ekonom", "datum": data["polisanmalan"]["samrad"][0]["datum"]}]
    path, result = problems(tmp_path, data)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{at(path, 'polisanmalan:', 'samrad:')}: polisanmalan.samrad: polisanmälan beslutas enligt delegationsordningen i "
        f"organisationsprofilen ({PROFILE}:{line_of(PROFILE, '  polisanmalan:')}) efter samråd med regionjuristen; ange samrådet under "
        "'samrad' (roll: regionjurist, datum)"
    ]


def test_the_measures_a_schema_allows_are_the_delegation_orders() -> None:
    """A section that names a measure names one the delegation order knows, so its mandate can be checked."""
    from generator.organisation import MEASURES

    def schema(name: str) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load((ROOT / "schema" / f"{name}.yaml").read_text(encoding="utf-8"))["schema"]
        return loaded

    listed = [
        schema("atgardsstrategi")["atgarder"]["schema"]["schema"]["typ"]["allowed"],
        schema("beslut-om-atgard")["forslag"]["schema"]["schema"]["atgard"]["allowed"],
        schema("beslut-om-atgard")["atgard"]["allowed"],
        schema("uppfoljning-anmodan")["mojligheter"]["schema"]["schema"]["atgard"]["allowed"],
        schema("tjansteutlatande")["forslag_till_beslut"]["schema"]["schema"]["atgard"]["allowed"],
    ]
    for values in listed:
        assert values and set(values) <= set(MEASURES), values


def test_the_examples_validate_without_warnings() -> None:
    result = invoke("validate", IN_DEPTH, ROUTINE)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
