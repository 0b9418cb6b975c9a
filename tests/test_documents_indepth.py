"""The rest of in-depth follow-up (handbook kap. 3): the case review minutes, the prioritisation with
its risk matrix, the basic investigation, the review plan and log, the dialogue meeting's agenda,
the progress report, the communication plan and the closing document; and the final report's
communication with the provider. Rendered from the examples in every format and read back as a
reader sees them; each rule through the CLI with its exact message."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE, EXAMPLES, ROOT, RenderedDocument

CLOSED = EXAMPLES / "rapport" / "arenden" / "rh-solglantan-fordjupad.yaml"
OURS = ["protokoll-arendegenomgang", "prioritering", "grundutredning", "planeringsunderlag", "granskningslogg",
        "agenda-dialogmote", "lagesrapport", "kommunikationsplan", "slutrapport"]
FORMATS = ("md", "html", "pdf", "docx")


def _run(*args: str | Path) -> Any:
    from generator.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def flat(text: str) -> str:
    """One line; no space before punctuation (an HTML tag read as a space leaves one before it)."""
    return re.sub(r" ([.,;:!?)])", r"\1", " ".join(text.replace("\u00a0", " ").split()))


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True).stdout


def reader_text(folder: Path, document: str, extension: str) -> str:
    """What a reader sees, as one line: Markdown without its markup, the HTML page's text, the
    PDF's extracted text, every paragraph and cell of the DOCX."""
    path = folder / f"{document}.{extension}"
    if extension == "md":
        text = re.sub(r"\\(.)", r"\1", path.read_text(encoding="utf-8").replace("**", ""))
    elif extension == "html":
        text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
    elif extension == "pdf":
        text = pdf_text(path)
    else:
        text = RenderedDocument("", docx.Document(str(path))).text
    return flat(text)


def case_file(folder: Path, data: dict[str, Any], name: str = "arende.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def example_data(path: Path = EXAMPLE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["organisation"] = str((path.parent / data["organisation"]).resolve())
    return data


def dt_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def line_of(path: Path, text: str, after: str = "") -> int:
    """The number of the first line that is `text` once stripped (after the line `after`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == after) if after else 0
    return next(i for i, line in enumerate(lines, 1) if i > start and line.strip() == text)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example case's documents of this family, every format, rendered once."""
    out = tmp_path_factory.mktemp("indepth")
    result = _run("render", EXAMPLE, *[a for d in OURS for a in ("-d", d)], "-o", out)
    assert result.exit_code == 0, result.output
    return out / "FU-2026-014"


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The closed in-depth case of the annual report's examples, returned to routine follow-up."""
    out = tmp_path_factory.mktemp("closed")
    result = _run("render", CLOSED, "-d", "avslutad-fordjupad", "-o", out)
    assert result.exit_code == 0, result.output
    return out / "FU-2026-021"


# --- content, in every format ----------------------------------------------------------------------

CONTENT = {
    "protokoll-arendegenomgang": [
        "Protokoll från ärendegenomgång och överlämning – Vårdcentralen Norrsund Centrum",
        "Protokollförare: Anna Lindqvist",
        "Vid ärendegenomgången presenterade Per Nilsson bakgrunden till förfrågan om fördjupad uppföljning från Team Vårdval "
        "Vårdcentral den 28 januari 2026.",
        "Har vårdgivaren förklarat det låga antalet telefonkontakter?", "Obesvarad vid mötet.",
        "Bedöma och prioritera ärendet enligt handbokens ramverk", "Beslut fattades vid mötet.",
        "Protokollet skickades den 4 februari 2026 till alla som varit inblandade i ärendet",
        "Per Nilsson, Handläggare, Team Vårdval Vårdcentral", "Maria Ek, avdelningschef",
    ],
    "prioritering": [
        "Bedömning och prioritering av ärende – Vårdcentralen Norrsund Centrum", "Fördjupad uppföljning startar nu.",
        "A. Risk", "B. Väsentlighet", "C. Möjligheter till åtgärder och sanktioner", "D. Systemeffekter",
        "E. Möjligheter att genomföra uppföljningen", "drygt 9 000 listade patienter",
        "Sammantaget ger det hög risk.", "Ortopedmottagningen Söder", "Måttlig risk", "Är fördjupad uppföljning motiverad?",
        "Är ärendet prioriterat?", "Teamet för fördjupad uppföljning tar över ärendet.",
    ],
    "grundutredning": [
        "Grundutredning – Vårdcentralen Norrsund Centrum", "Grundutredningen klar: 27 februari 2026",
        "1. Produktion", "2. Ägare och ledning", "3. Ekonomi", "4. Tidigare uppföljning", "5. Bemanning", "6. Kvalitet",
        "Hur ser vårdgivarens ekonomi ut i fråga om exempelvis skatteinbetalningar och skulder?",
        "underskott på 1,2 miljoner kronor", "Skatteverket", "Kronofogden", "2026-02-20", "HSA-katalogen",
        "Slutsatser för den fortsatta granskningen",
    ],
    "planeringsunderlag": [
        "Planeringsunderlag för granskningen – Vårdcentralen Norrsund Centrum", "1. Bakgrund och förutsättningar",
        "Risk för jäv: Nej. Ingen i kärngruppen", "Externa granskare behövs: Nej.", "2. Syfte och hypoteser",
        "Hypotes 2: Telefonkontakter registreras som fysiska besök, vilket ger för hög ersättning", "Prioritet: Mellan",
        "Möjlig åtgärd", "Konsekvenser", "På sikt", "3. Tidplan", "Granskningen ska vara klar: 14 april 2026",
        "4. Bemanning", "5. Samverkan", "Lars Öberg", "6. Åtgärder och nästa steg", "Kommunikationsplan",
    ],
    "granskningslogg": [
        "Granskningslogg – Vårdcentralen Norrsund Centrum", "Loggen förd till och med: 8 juni 2026",
        "Den har 11 poster från 18 februari 2026 till 8 juni 2026, i datumordning.",
        "Vårdgivarens journalsystem", "A1 Bristande läkarbemanning: 3 poster", "A2 Felaktig registrering av besök: 4 poster",
    ],
    "agenda-dialogmote": [
        "Agenda för dialogmöte", "Tid: 14 april 2026 kl. 13.00–15.00",
        "Plats: Regionens hus, sammanträdesrum Älven, Exempelgatan 1, Norrsund", "Lena Åberg, Verksamhetschef",
        "Tomas Wik, Verkställande direktör", "1. Syfte med mötet", "Att ge er möjlighet att kommentera situationen.",
        "2. Avtal och krav", "läkare ska finnas på plats minst 40 timmar per vecka", "3. Genomgång av avvikelser",
        "4. Vårdgivarens kommentarer", "5. Sammanfattning av krav på verksamheten",
        "Rätta registreringsrutinen och utbilda personalen i besökstyper.", "6. Nästa steg",
        "Sedan när har besöken registrerats fel, och hur många besök gäller det?", "Registrator, Hälso- och sjukvårdsförvaltningen",
    ],
    "lagesrapport": [
        "Tjänsteskrivelse till Hälso- och sjukvårdsnämnden", "Återrapportering under pågående ärende",
        "Till: Hälso- och sjukvårdsnämnden, sammanträdet 16 juni 2026", "Läget per: 10 juni 2026",
        "Ärendet står på steg 3b, uppföljning av anmodan, sedan 8 juni 2026.", "Sedan förra återrapporteringen",
        "Anmodan skickad med sista dag för rättelse 2026-06-05.", "Bristande läkarbemanning (kvarstår)",
        "Slutrapport till nämnden", "Hälso- och sjukvårdsnämnden lägger informationen till handlingarna.", "Helena Strand",
    ],
    "kommunikationsplan": [
        "Kommunikationsplan – Vårdcentralen Norrsund Centrum", "Version: 3, 16 juni 2026",
        "Planens ägare: Emma Strid, Kommunikatör", "Förväntat medialt intresse: Mellan", "Talespersoner", "Birgitta Lund",
        "Nämndens beslut i ärendet", "Listade patienter", "1177 och regionens webbplats",
        "Första versionen, enligt planeringsunderlaget.",
        "tillsammans med avdelningschef Maria Ek, stabsledningen och presidiet i Hälso- och sjukvårdsnämnden",
    ],
    "slutrapport": [
        "Rapporten skickades till vårdgivaren för synpunkter den 30 oktober 2026 med svar senast 13 november 2026.",
        "Vårdgivarens synpunkter inkom den 11 november 2026.",
        "framhåller att rekryteringsläget för allmänläkare i området är mycket svårt",
    ],
}


@pytest.mark.parametrize("extension", FORMATS)
@pytest.mark.parametrize("document", list(CONTENT))
def test_content_in_every_format(rendered: Path, document: str, extension: str) -> None:
    text = reader_text(rendered, document, extension)
    missing = [phrase for phrase in CONTENT[document] if phrase not in text]
    assert not missing, f"{document}.{extension} lacks {missing}"


@pytest.mark.parametrize("extension", FORMATS)
def test_closing_document_in_every_format(closed: Path, extension: str) -> None:
    text = reader_text(closed, "avslutad-fordjupad", extension)
    for phrase in (
        "Avslutad fördjupad uppföljning – Rehabkliniken Solgläntan", "Fördjupad uppföljning: 23 mars 2026 – 13 juli 2026",
        "Ärendet återlämnas till den löpande uppföljningen.", "Tas emot av: Team Vårdval Rehab", "Kontaktperson: Sara Holmgren",
        "Vårdgivaren informerades den 14 juli 2026", "Det sista steget i eskaleringstrappan var steg 3b, uppföljning av anmodan",
        "Öppettiderna på 1177 stämmer inte", "Inga tidsfrister löper när ärendet avslutas.",
        "Stäm av vid kvalitetsdialogen hösten 2026",
    ):
        assert phrase in text, phrase
    for settled in ("Inställda behandlingar utan ny tid", "Legitimerad fysioterapeut saknas"):
        assert settled not in text  # deviations put right are not handed over


@pytest.mark.parametrize("document", [d for d in OURS if d not in ("agenda-dialogmote", "lagesrapport", "slutrapport")])
def test_internal_documents_say_so_on_every_pdf_page(rendered: Path, document: str) -> None:
    pages = [p for p in pdf_text(rendered / f"{document}.pdf").split("\f") if p.strip()]
    assert pages and all("Intern – lämnas inte ut" in page for page in pages)


def test_board_and_provider_documents_hold_nothing_internal(rendered: Path) -> None:
    for document in ("agenda-dialogmote", "lagesrapport"):
        for extension in FORMATS:
            text = reader_text(rendered, document, extension)
            for secret in ("Intern – lämnas inte ut", "ägarbyte", "Upprepade allvarliga brister", "Nordvård Holding"):
                assert secret not in text, (document, extension, secret)


# --- the prioritisation: the risk matrix in every format -------------------------------------------


ALT_START = "Riskmatris med tre nivåer för sannolikhet (dimension A, risk)"


def _alt(rendered: Path) -> str:
    """The chart's alt text: in the plain-text .md the chart is its alt text, a paragraph of its own."""
    return next(line for line in (rendered / "prioritering.md").read_text(encoding="utf-8").splitlines() if line.startswith(ALT_START))


def test_risk_matrix_alt_text_and_table_beside_it(rendered: Path) -> None:
    lines = (rendered / "prioritering.md").read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(ALT_START))
    alt = _alt(rendered)
    assert alt.startswith(ALT_START)
    assert "Ärendet FU-2026-014: hög sannolikhet och hög konsekvens (hög risk)." in alt
    assert "Ortopedmottagningen Söder: mellan sannolikhet och mellan konsekvens (måttlig risk)" in alt
    assert "Akutröntgen Norrsund: hög sannolikhet och mellan konsekvens (hög risk)" in alt
    table = lines[index + 2:index + 7]
    assert table[0] == "| Ärende | Sannolikhet (A) | Konsekvens (B) | Riskbild |"
    assert table[2:] == [
        "| FU-2026-014 (detta ärende) | Hög | Hög | Hög risk |",
        "| Ortopedmottagningen Söder | Mellan | Mellan | Måttlig risk |",
        "| Akutröntgen Norrsund | Hög | Mellan | Hög risk |",
    ]


def test_risk_matrix_is_inline_svg_with_role_img_in_html(rendered: Path) -> None:
    page = (rendered / "prioritering.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg [^>]*>\s*<title>[^<]+</title>", page)
    assert len(svgs) == 1 and 'role="img"' in svgs[0]
    label = html.unescape(re.search(r'aria-label="([^"]+)"', svgs[0]).group(1))
    assert label == _alt(rendered)
    svg = page[page.index("<svg"):page.index("</svg>")]
    # readable without colour: every cell names its risk in text, and the levels differ by hatching
    assert svg.count("Hög risk") == 3 and svg.count("Måttlig risk") == 3 and svg.count("Låg risk") == 3
    assert "<pattern" in svg
    assert "FU-2026-014" in svg and "Ortopedmottagningen" in svg


def test_risk_matrix_is_a_tagged_figure_with_alt_text_in_the_pdf(rendered: Path) -> None:
    import pikepdf

    with pikepdf.open(rendered / "prioritering.pdf") as pdf:
        figures = []

        def walk(node: Any) -> None:
            if isinstance(node, pikepdf.Array):
                for kid in node:
                    walk(kid)
            elif isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure":
                    figures.append(str(node.get("/Alt", "")))
                if "/K" in node:
                    walk(node.K)

        walk(pdf.Root.StructTreeRoot)
    assert figures == [_alt(rendered)]


def test_risk_matrix_is_a_picture_with_alt_text_in_the_docx(rendered: Path) -> None:
    with zipfile.ZipFile(rendered / "prioritering.docx") as package:
        xml = package.read("word/document.xml").decode("utf-8")
        media = [n for n in package.namelist() if n.startswith("word/media/") and n.endswith(".png")]
    descriptions = [html.unescape(d) for d in re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', xml)]
    assert descriptions == [_alt(rendered)]
    assert len(media) == 1


def test_risk_matrix_drawing_needs_no_matplotlib_until_a_format_asks(tmp_path: Path) -> None:
    """`validate` and a Markdown-only render never import matplotlib (nor WeasyPrint or python-docx)."""
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom generator.cli import main\n"
        f"r = CliRunner().invoke(main, ['validate', {str(EXAMPLE)!r}])\nassert r.exit_code == 0, r.output\n"
        "print('matplotlib' in sys.modules)\n"
        f"r = CliRunner().invoke(main, ['render', {str(EXAMPLE)!r}, '-d', 'prioritering', '-f', 'md', '-o', {str(tmp_path)!r}])\n"
        "assert r.exit_code == 0, r.output\nprint('matplotlib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- the prioritisation: the decision support and its watcher -----------------------------------


def test_a_waiting_case_without_a_named_watcher_is_refused(tmp_path: Path) -> None:
    data = example_data()
    data["prioritering"]["beslutsstod"]["prioriterat"] = False
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:{line_of(path, 'prioritering:')}: prioritering.bevakning: ärendet är motiverat men inte prioriterat och "
        "placeras på väntelistan; ange den namngivna bevakare som ansvarar för att det fortsatt bevakas "
        "(bevakning.bevakare med namn och roll)"
    )
    result = _run("render", path, "-d", "prioritering", "-o", tmp_path / "ut")
    assert result.exit_code == 1 and not (tmp_path / "ut" / "FU-2026-014" / "prioritering.md").exists()


def test_a_waiting_case_names_its_watcher(tmp_path: Path) -> None:
    data = example_data()
    data["prioritering"]["beslutsstod"].update(prioriterat=False, prioriterat_skal="Två pågående ärenden har högre riskbild.")
    data["prioritering"]["bevakning"] = {"bevakare": {"namn": "Per Nilsson", "roll": "Handläggare, Team Vårdval Vårdcentral"},
                                         "ny_bedomning": dt_date("2026-03-05"), "hur": "Besöksstatistiken följs varje månad."}
    path = case_file(tmp_path, data)
    result = _run("render", path, "-d", "prioritering", "-f", "md,docx", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "ut" / "FU-2026-014"
    out = RenderedDocument((folder / "prioritering.md").read_text(encoding="utf-8"), docx.Document(str(folder / "prioritering.docx")))
    decision = flat(out.styled_text("Beslut"))
    assert decision == ("Ärendet placeras på väntelistan. Ärendet bevakas av Per Nilsson (handläggare, team vårdval vårdcentral) "
                        "och bedöms på nytt senast 5 mars 2026.")
    text = flat(out.text)
    assert "Bevakare: Per Nilsson, Handläggare, Team Vårdval Vårdcentral" in text
    assert "Ny bedömning senast: 5 mars 2026" in text
    assert "Nej. Två pågående ärenden har högre riskbild." in text
    assert "Teamet för fördjupad uppföljning tar över ärendet" not in text


def test_a_case_not_motivated_cannot_be_prioritised(tmp_path: Path) -> None:
    data = example_data()
    data["prioritering"]["beslutsstod"]["motiverat"] = False
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    line = line_of(path, "prioriterat: true", after="prioritering:")
    assert (f"{path}:{line}: prioritering.beslutsstod.prioriterat: fördjupad uppföljning är inte motiverad, och då kan ärendet "
            "inte vara prioriterat; ange prioriterat: false") in result.stderr.splitlines()


def test_a_case_not_motivated_stays_with_the_team_that_asked(tmp_path: Path) -> None:
    data = example_data()
    data["prioritering"]["beslutsstod"].update(motiverat=False, prioriterat=False)
    path = case_file(tmp_path, data)
    assert _run("render", path, "-d", "prioritering", "-f", "md", "-o", tmp_path / "ut").exit_code == 0
    text = flat((tmp_path / "ut" / "FU-2026-014" / "prioritering.md").read_text(encoding="utf-8"))
    assert "Ingen fördjupad uppföljning." in text
    assert "Ansvaret ligger kvar hos Team Vårdval Vårdcentral (Per Nilsson)." in text


# --- the closing document: open items computed from the case -------------------------------------


def _closed_example(**closing: Any) -> dict[str, Any]:
    """The example case closed and returned to routine follow-up on 25 November 2026."""
    data = example_data()
    data["slutrapport"]["utfall"] = "aterlamnas_lopande"
    data["avslutad_fordjupad"] = {
        "datum": dt_date("2026-11-25"), "utfall": "aterlamnas_lopande",
        "sammanfattning": "Ärendet återlämnas; kontrollplanen följs av den löpande uppföljningen året ut.",
        "mottagande_team": {"namn": "Team Vårdval Vårdcentral", "kontaktperson": "Per Nilsson"},
        "overlamnas": dt_date("2026-11-30"), "vardgivaren_informerad": dt_date("2026-11-26"), **closing,
    }
    return data


def test_open_items_are_computed_from_the_case(tmp_path: Path) -> None:
    path = case_file(tmp_path, _closed_example())
    result = _run("render", path, "-d", "avslutad-fordjupad", "-f", "md,docx", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "ut" / "FU-2026-014"
    out = RenderedDocument((folder / "avslutad-fordjupad.md").read_text(encoding="utf-8"), docx.Document(str(folder / "avslutad-fordjupad.docx")))
    # A1 still falls short of the requirement; A2 was put right and is not handed over.
    assert [row[:3] for row in out.table("Id", "Avvikelse", "Status", "Krav")] == [["A1", "Bristande läkarbemanning", "Kvarstår"]]
    # Deadlines on or after the closing day, set by documents dated by then, in date order; past ones are gone.
    assert out.table("Datum", "Vad") == [
        ["2026-11-30", "Klart enligt uppdragshandlingens tidsplan: Slutrapport till nämnden"],
        ["2026-12-05", "Underlag enligt kontrollplanen: Läkarbemanning på plats"],
        ["2026-12-15", "Underlag enligt kontrollplanen: Tillgänglighet för patienter"],
        ["2026-12-31", "Kontrollplanens kontrollperiod slutar"],
    ]
    text = flat(out.text)
    assert "Tas emot av: Team Vårdval Vårdcentral" in text and "Överlämnas: 30 november 2026" in text
    assert "Slutrapporten är daterad 20 november 2026 och skickades till Hälso- och sjukvårdsnämnden 20 november 2026." in text


def test_deadlines_of_documents_written_after_the_closing_day_do_not_run(tmp_path: Path) -> None:
    data = _closed_example(datum=dt_date("2026-06-17"), overlamnas=dt_date("2026-06-17"), vardgivaren_informerad=dt_date("2026-06-17"))
    for later in ("slutrapport", "kontrollplan", "kommunikationsplan", "granskningslogg", "lagesrapport"):
        if later != "kontrollplan":
            del data[later]
    data["eskalering"] = [s for s in data["eskalering"] if str(s["datum"]) <= "2026-06-17"]
    path = case_file(tmp_path, data)
    result = _run("render", path, "-d", "avslutad-fordjupad", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "ut" / "FU-2026-014" / "avslutad-fordjupad.md").read_text(encoding="utf-8")
    # The control plan is dated 18 June, after the closing: its dates were not known on 17 June.
    assert "Underlag enligt kontrollplanen" not in text and "Kontrollplanens kontrollperiod" not in text
    assert "| 2026-11-30 | Klart enligt uppdragshandlingens tidsplan: Slutrapport till nämnden |" in text


def test_a_case_whose_final_report_goes_on_cannot_be_closed(tmp_path: Path) -> None:
    data = _closed_example()
    data["slutrapport"]["utfall"] = "fortsatt_fordjupad"
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    line = line_of(path, "utfall: aterlamnas_lopande", after="avslutad_fordjupad:")
    assert result.stderr.splitlines()[0] == (
        f"{path}:{line}: avslutad_fordjupad.utfall: slutrapporten säger att den fördjupade uppföljningen fortsätter "
        "(slutrapport.utfall); ärendet kan inte avslutas"
    )


def test_a_termination_needs_the_boards_step_5(tmp_path: Path) -> None:
    data = _closed_example(utfall="havning")
    data["slutrapport"]["utfall"] = "havning"
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    line = line_of(path, "utfall: havning", after="avslutad_fordjupad:")
    assert (f"{path}:{line}: avslutad_fordjupad.utfall: avtalet hävs genom beslut av nämnd eller styrelse (steg 5), men "
            "eskaleringen har inget steg 5") in result.stderr.splitlines()


# --- the final report: communicated with the provider before the board ---------------------------


def test_a_final_report_sent_to_the_board_without_the_providers_comments_is_refused(tmp_path: Path) -> None:
    data = example_data()
    del data["slutrapport"]["kommunicering"]
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:{line_of(path, 'skickad_till_namnd: 2026-11-20')}: slutrapport.skickad_till_namnd: slutrapporten kommuniceras "
        "med vårdgivaren, som får lämna synpunkter, innan den går till nämnden; ange dagen synpunkterna begärdes "
        "(kommunicering.begard) eller skälet till att rapporten inte kommuniceras (kommunicering.skal)"
    )
    assert _run("render", path, "-d", "slutrapport", "-o", tmp_path / "ut").exit_code == 1


def test_comments_asked_for_after_the_report_went_to_the_board_are_refused(tmp_path: Path) -> None:
    data = example_data()
    data["slutrapport"]["kommunicering"]["begard"] = dt_date("2026-11-23")
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert (f"{path}:{line_of(path, 'begard: 2026-11-23')}: slutrapport.kommunicering.begard: synpunkterna begärdes efter att "
            "rapporten skickades till nämnden; vårdgivaren får rapporten först") in result.stderr.splitlines()


def test_a_recorded_reason_lets_the_report_go_without_comments(tmp_path: Path) -> None:
    data = example_data()
    data["slutrapport"]["kommunicering"] = {"skal": "Nämnden behöver besluta om återkrav innan preskription inträder."}
    del data["slutrapport"]["vardgivarens_synpunkter"]
    path = case_file(tmp_path, data)
    result = _run("render", path, "-d", "slutrapport", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    text = flat((tmp_path / "ut" / "FU-2026-014" / "slutrapport.md").read_text(encoding="utf-8"))
    assert ("Rapporten har inte kommunicerats med vårdgivaren innan den lämnades till Hälso- och sjukvårdsnämnden. "
            "Skäl: Nämnden behöver besluta om återkrav innan preskription inträder.") in text


def test_comments_received_are_recorded(tmp_path: Path) -> None:
    data = example_data()
    del data["slutrapport"]["vardgivarens_synpunkter"]
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:{line_of(path, 'slutrapport:')}: slutrapport.vardgivarens_synpunkter: vårdgivarens synpunkter har inkommit "
        "(kommunicering.inkom); återge dem här"
    )


def test_a_draft_not_yet_communicated_says_so(tmp_path: Path) -> None:
    data = example_data()
    for key in ("kommunicering", "skickad_till_namnd", "vardgivarens_synpunkter"):
        del data["slutrapport"][key]
    path = case_file(tmp_path, data)
    assert _run("render", path, "-d", "slutrapport", "-f", "md", "-o", tmp_path / "ut").exit_code == 0
    text = (tmp_path / "ut" / "FU-2026-014" / "slutrapport.md").read_text(encoding="utf-8")
    assert "## Vårdgivarens synpunkter\n\nRapporten har ännu inte kommunicerats med vårdgivaren.\n" in text


# --- the other documents' rules and computed parts -----------------------------------------------


def test_the_review_log_is_shown_in_date_order(tmp_path: Path) -> None:
    data = example_data()
    data["granskningslogg"]["poster"].reverse()
    path = case_file(tmp_path, data)
    assert _run("render", path, "-d", "granskningslogg", "-f", "docx", "-o", tmp_path / "ut").exit_code == 0
    out = RenderedDocument("", docx.Document(str(tmp_path / "ut" / "FU-2026-014" / "granskningslogg.docx")))
    dates = [row[0] for row in out.table("Datum", "Vem", "Aktivitet", "Källa", "Utfall")]
    assert dates == sorted(dates) and len(dates) == 11


def test_a_log_entry_after_the_logs_date_is_refused(tmp_path: Path) -> None:
    data = example_data()
    data["granskningslogg"]["poster"][-1]["datum"] = dt_date("2026-06-09")
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert (f"{path}:{line_of(path, '- datum: 2026-06-09')}: granskningslogg.poster[11].datum: posten är daterad efter "
            "loggens datum (2026-06-08); ange dagen loggen senast fördes i granskningslogg.datum") in result.stderr.splitlines()


def test_a_source_fetched_after_the_basic_investigation_is_refused(tmp_path: Path) -> None:
    data = example_data()
    data["grundutredning"]["omraden"]["kvalitet"]["kallor"][1]["hamtad"] = dt_date("2026-03-02")
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert (f"{path}:{line_of(path, 'hamtad: 2026-03-02')}: grundutredning.omraden.kvalitet.kallor[2].hamtad: uppgifterna kan "
            "inte ha hämtats efter att grundutredningen blev klar (2026-02-27)") in result.stderr.splitlines()


def test_external_reviewers_needed_are_named(tmp_path: Path) -> None:
    data = example_data()
    data["planeringsunderlag"]["bakgrund"]["externa_granskare"]["behovs"] = True
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    line = line_of(path, "externa_granskare:", after="planeringsunderlag:")
    assert (f"{path}:{line}: planeringsunderlag.bakgrund.externa_granskare.vilka: externa granskare behövs; ange vilka som "
            "kopplas in") in result.stderr.splitlines()


def test_the_agenda_needs_a_time_and_place(tmp_path: Path) -> None:
    data = example_data()
    del data["kallelse_dialogmote"]
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert (f"{path}:{line_of(path, 'agenda_dialogmote:')}: agenda_dialogmote.mote: ange mötets tid och plats "
            "(agenda_dialogmote.mote), eller fyll i kallelsen (kallelse_dialogmote)") in result.stderr.splitlines()


def test_the_minutes_record_what_is_needed_when_no_decision_was_taken(tmp_path: Path) -> None:
    data = example_data()
    data["protokoll_arendegenomgang"]["beslut"] = {"fattat": False}
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    line = line_of(path, "beslut:", after="protokoll_arendegenomgang:")  # the field is missing: its group's line
    assert (f"{path}:{line}: protokoll_arendegenomgang.beslut.behovs: beslut fattades inte vid mötet; ange vad som behövs "
            "innan beslut kan fattas") in result.stderr.splitlines()


def test_the_communication_plan_is_dated_as_its_last_version(tmp_path: Path) -> None:
    data = example_data()
    data["kommunikationsplan"]["datum"] = dt_date("2026-06-20")
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == 1
    assert (f"{path}:{line_of(path, 'datum: 2026-06-20')}: kommunikationsplan.datum: planens datum är den gällande (sista) "
            "versionens datum, 2026-06-16") in result.stderr.splitlines()


def test_a_progress_report_to_management_is_no_tjansteskrivelse(tmp_path: Path) -> None:
    data = example_data()
    data["lagesrapport"].update(mottagare="ledning")
    del data["lagesrapport"]["sammantrade"]
    path = case_file(tmp_path, data)
    assert _run("render", path, "-d", "lagesrapport", "-f", "md", "-o", tmp_path / "ut").exit_code == 0
    text = (tmp_path / "ut" / "FU-2026-014" / "lagesrapport.md").read_text(encoding="utf-8")
    assert "Tjänsteskrivelse" not in text and "Helena Strand" not in text
    assert "Till: Avdelningschef och stabsledning, Hälso- och sjukvårdsförvaltningen  \n" in text
    assert "1. Informationen noteras." in text


def test_situation_on_a_date() -> None:
    """`lage`: the step on the ladder and the deadlines running on a date, from the case's data."""
    from generator.progress import situation
    from generator.schema import case_schema, schema_dirs
    from generator.templates import catalogue, template_dirs

    data = example_data()
    schema = case_schema(list(catalogue(tuple(template_dirs(None)))), set(), schema_dirs(None))
    on = situation(data, schema, dt.date(2026, 5, 20))
    assert on["steg"]["steg"] == "3a"
    assert [r["steg"] for r in on["trappan"] if r["aktuellt"]] == ["3a"]
    assert [(r["steg"], r["datum"]) for r in on["trappan"] if r["datum"]] == [
        ("2a", dt.date(2026, 1, 20)), ("2b", dt.date(2026, 3, 20)), ("3a", dt.date(2026, 5, 4))]
    assert [(d["datum"], d["sektion"]) for d in on["tidsfrister"]] == [
        (dt.date(2026, 6, 5), "anmodan_om_rattelse"), (dt.date(2026, 11, 30), "uppdragshandling")]
    assert [d["id"] for d in on["oppna_avvikelser"]] == ["A1"]
    before = situation(data, schema, dt.date(2026, 1, 10))
    assert before["steg"] is None and before["tidsfrister"] == [] and before["oppna_avvikelser"] == []


def test_the_example_case_holds_every_document_of_the_family() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert {d.replace("-", "_") for d in OURS} <= set(data)
    assert "avslutad_fordjupad" in yaml.safe_load(CLOSED.read_text(encoding="utf-8"))


# --- every other rule of the family: one failing input each, with its exact message ---------------


def _set(*path: Any, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _drop(*path: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


RULES = [
    # (change to the example, the line the message points at as (text, after), message, warning)
    (_set("protokoll_arendegenomgang", "skickat", value=dt_date("2026-02-02")), ("skickat: 2026-02-02", ""),
     "protokoll_arendegenomgang.skickat: protokollet kan inte ha skickats före mötet", False),
    (_set("protokoll_arendegenomgang", "datum", value=dt_date("2026-02-02")), ("datum: 2026-02-02", ""),
     "protokoll_arendegenomgang.datum: ärendets möten (moten) har ärendegenomgång 2026-02-03, inte 2026-02-02; kontrollera datumet", True),
    (_set("protokoll_arendegenomgang", "beslut", value={"fattat": True}), ("beslut:", "protokoll_arendegenomgang:"),
     "protokoll_arendegenomgang.beslut.text: ange beslutet som fattades vid mötet", False),
    (_set("prioritering", "bevakning", value={"bevakare": {"namn": "Per Nilsson"}, "ny_bedomning": dt_date("2026-02-05")}),
     ("ny_bedomning: 2026-02-05", ""), "prioritering.bevakning.ny_bedomning: den nya bedömningen ska vara efter prioriteringens datum", False),
    (_set("prioritering", "bevakning", value={"bevakare": {"namn": "Per Nilsson"}}), ("bevakning:", "prioritering:"),
     "prioritering.bevakning: bevakning gäller bara ett ärende på väntelistan (motiverat men inte prioriterat); den står inte i "
     "dokumentet", True),
    (lambda d: (d["prioritering"]["beslutsstod"].update(prioriterat=False),
                d["prioritering"].update(bevakning={"bevakare": {"namn": "Per Nilsson"}}))[0],
     ("bevakning:", "prioritering:"), "prioritering.bevakning: ange när ärendet på väntelistan bedöms på nytt (bevakning.ny_bedomning)",
     True),
    (_set("planeringsunderlag", "tidplan", "klart", value=dt_date("2026-03-01")), ("klart: 2026-03-01", "planeringsunderlag:"),
     "planeringsunderlag.tidplan.klart: granskningen ska vara klar efter att den påbörjats", False),
    (_set("agenda_dialogmote", "datum", value=dt_date("2026-04-15")), ("datum: 2026-04-15", ""),
     "agenda_dialogmote.datum: agendan är daterad efter mötet", False),
    (_set("agenda_dialogmote", "mote", value={"datum": dt_date("2026-04-15"), "start": "13:00", "slut": "12:00",
                                              "plats": {"typ": "teams"}}),
     ("slut: '12:00'", "agenda_dialogmote:"), "agenda_dialogmote.mote.slut: mötet slutar innan det börjar", False),
    (_set("agenda_dialogmote", "mote", value={"datum": dt_date("2026-04-15"), "start": "13:00", "slut": "15:00",
                                              "plats": {"typ": "teams", "anslutning": "Länk i kallelsen"}}),
     ("datum: 2026-04-15", "agenda_dialogmote:"), "agenda_dialogmote.mote.datum: kallelsen anger mötesdagen 2026-04-14; kontrollera "
     "vilken dag som gäller", True),
    (_set("lagesrapport", "foregaende_rapport", value=dt_date("2026-06-10")), ("foregaende_rapport: 2026-06-10", ""),
     "lagesrapport.foregaende_rapport: förra återrapporteringen ska vara före den här rapportens datum", False),
    (_set("lagesrapport", "sammantrade", value=dt_date("2026-06-09")), ("sammantrade: 2026-06-09", ""),
     "lagesrapport.sammantrade: sammanträdet kan inte vara före rapportens datum", False),
    (_set("kommunikationsplan", "versioner", 2, "version", value="2"), ("- version: '2'", "datum: 2026-05-04", 2),
     "kommunikationsplan.versioner[3].version: version 2 finns redan; ge varje version ett eget nummer", False),
    (_set("kommunikationsplan", "versioner", 1, "datum", value=dt_date("2026-03-01")), ("datum: 2026-03-01", ""),
     "kommunikationsplan.versioner[2].datum: versionerna står i tidsordning; den sista är den gällande", False),
    (_set("slutrapport", "kommunicering", "svar_senast", value=dt_date("2026-10-29")), ("svar_senast: 2026-10-29", ""),
     "slutrapport.kommunicering.svar_senast: sista dag för synpunkter är före dagen de begärdes", False),
    (_set("slutrapport", "kommunicering", "inkom", value=dt_date("2026-10-29")), ("inkom: 2026-10-29", ""),
     "slutrapport.kommunicering.inkom: synpunkterna kan inte ha inkommit innan de begärdes", False),
    (lambda d: (d["slutrapport"]["kommunicering"].pop("inkom"), d["slutrapport"].update(skickad_till_namnd=dt_date("2026-11-12")))[0],
     ("skickad_till_namnd: 2026-11-12", ""), "slutrapport.skickad_till_namnd: rapporten skickades till nämnden innan vårdgivarens tid "
     "för synpunkter gått ut (kommunicering.svar_senast), och inga synpunkter har inkommit", True),
]
CLOSING_RULES = [
    (_set("avslutad_fordjupad", "overlamnas", value=dt_date("2026-11-24")), ("overlamnas: 2026-11-24", ""),
     "avslutad_fordjupad.overlamnas: ansvaret kan inte lämnas över innan ärendet avslutas", False),
    (lambda d: d["eskalering"].append({"steg": "4b", "datum": dt_date("2026-12-01"), "beskrivning": "Uppföljning.", "beslutsfattare": "namnd"}),
     ("datum: 2026-11-25", "avslutad_fordjupad:"), "avslutad_fordjupad.datum: steg 4b i eskaleringen är daterat 2026-12-01, efter "
     "avslutet", True),
    (_drop("avslutad_fordjupad", "vardgivaren_informerad"), ("avslutad_fordjupad:", ""),
     "avslutad_fordjupad.vardgivaren_informerad: vårdgivaren ska få veta att ansvaret återgår till den löpande uppföljningen; ange "
     "när det skedde", True),
    (_set("avslutad_fordjupad", "utfall", value="havning"), ("utfall: havning", "avslutad_fordjupad:"),
     "avslutad_fordjupad.utfall: slutrapporten anger utfallet aterlamnas_lopande (slutrapport.utfall), inte havning", False),
]


@pytest.mark.parametrize(("change", "where", "message", "warning"), RULES + CLOSING_RULES,
                         ids=[r[2].split(":")[0] + ("-varning" if r[3] else "") for r in RULES + CLOSING_RULES])
def test_each_rule_names_the_line_and_says_what_to_do(tmp_path: Path, change: Any, where: tuple[Any, ...], message: str,
                                                      warning: bool) -> None:
    data = _closed_example() if (change, where, message, warning) in CLOSING_RULES else example_data()
    change(data)
    path = case_file(tmp_path, data)
    result = _run("validate", path)
    assert result.exit_code == (0 if warning else 1), result.output
    text, after, *nth = where  # nth: the how-manieth such line after `after` (the versions repeat their fields)
    line = line_of(path, text, after)
    for _ in range(1, nth[0] if nth else 1):
        line = next(n for n, content in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if n > line and content.strip() == text)
    expected = f"{path}:{line}: {'varning: ' if warning else ''}{message}"
    assert expected in result.stderr.splitlines(), result.stderr
