"""Sudden termination (handbook kap. 5): the action plan and the patient letter in every language asked for.

The example LU-2026-VC-10 (a vårdcentral under LOV goes bankrupt; a routine case) is rendered once in
every format; texts are read back from PDF (pdftotext), DOCX (python-docx and its XML) and HTML.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from conftest import EXAMPLES, ROOT
from docx import Document
from lxml import html as lxml_html

from generator.bidi import strip_embeddings

CASE = EXAMPLES / "arenden" / "lopande-konkurs-vardcentral.yaml"
LETTER = "informationsbrev-patienter"
PLAN = "handlingsplan-plotsligt-avslut"
LANGUAGES = ("sv", "en", "ar", "fa", "so", "fi", "bks")
TAGS = {"sv": "sv", "en": "en-GB", "ar": "ar", "fa": "fa", "so": "so", "fi": "fi", "bks": "sh"}
# One sentence per language, as the reader sees it (values filled in).
SENTENCES = {
    "sv": "Ring vår informationstelefon 0999-10 40 40.",
    "en": "Call our information line on 0999-10 40 40.",
    "ar": "اتصل بهاتف المعلومات على الرقم 0999-10 40 40.",
    "fa": "با تلفن اطلاعات ما به شمارهٔ 0999-10 40 40 تماس بگیرید.",
    "so": "Wac khadkayaga macluumaadka 0999-10 40 40.",
    "fi": "Soita neuvontapuhelimeemme numeroon 0999-10 40 40.",
    "bks": "Nazovite naš informativni telefon 0999-10 40 40.",
}
PDF_PHRASES = {
    "ar": ["يبقى سجلّك الطبي في المركز الصحي", "تستلم أدويتك من الصيدلية كما كان من قبل.", "اتصل بهاتف المعلومات على الرقم"],
    "fa": ["داروهای خود را مثل قبل از داروخانه تحویل", "سؤالی دارید؟", "با تلفن اطلاعات ما به"],
}
HEADINGS = {
    "sv": "Din journal", "en": "Your medical records", "ar": "سجلّك الطبي", "fa": "پروندهٔ پزشکی شما",
    "so": "Diiwaankaaga caafimaadka", "fi": "Potilaskertomuksesi", "bks": "Vaš zdravstveni karton",
}


def _stem(code: str) -> str:
    return LETTER if code == "sv" else f"{LETTER}-{code}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from generator.cli import main

    out = tmp_path_factory.mktemp("avslut")
    result = CliRunner().invoke(main, ["render", str(CASE), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out / "LU-2026-VC-10"


def _pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # poppler marks right-to-left runs with embedding characters of its own; the reader sees none of them.
    return " ".join(strip_embeddings(text.replace("\u202b", "").replace("\u202c", "")).split())


def _poppler_ligatures(text: str) -> str:
    """What poppler makes of correct Arabic: the lam-alef ligature's two letters come out swapped.

    A ligature glyph maps to its letters in logical order (ToUnicode); poppler reverses a right-to-left
    run character by character, the ligature's letters too (the same defect pdfminer and PyMuPDF have).
    Everything else, word order included, must come back exactly in logical order.
    """
    return re.sub("(\u0644)([\u0622\u0623\u0625\u0627\u0649])", r"\2\1", text)


def _docx_text(path: Path) -> str:
    return " ".join(strip_embeddings("\n".join(p.text for p in Document(str(path)).paragraphs)).split())


# --- the action plan --------------------------------------------------------------------------------


def test_the_plan_lists_the_19_steps_with_their_responsible_roles(folder: Path) -> None:
    document = Document(str(folder / f"{PLAN}.docx"))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells] == ["Nr", "Åtgärd", "Ansvar", "Status", "Klart senast"])
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[0] for r in rows] == [str(n) for n in range(1, 20)]
    by_number = {int(r[0]): r for r in rows}
    assert by_number[1][2] == "Regionjurist, Ansvarig regionutvecklare, Medicinsk rådgivare (Per Nilsson, Karin Holm, Erik Sund)"
    assert by_number[8][1:4] == ["Kontakt med konkursförvaltaren i tidigt skede", "Regionjurist (Karin Holm)", "Klar"]
    assert by_number[13][2] == "Anges inte i handboken (Jonas Ahmadi)"
    assert by_number[18][2] == "Ekonom, Läkemedelsenheten (Eva Forsberg)"
    # Bankruptcy: step 11 (re-listing and letters) is not done, and says why.
    assert by_number[11][3] == "Ej aktuell (gäller bara vid stängning)"
    assert by_number[7][3] == "Ej påbörjad" and by_number[7][4] == "–"
    text = _pdftotext(folder / f"{PLAN}.pdf")
    for phrase in ("Intern – lämnas inte ut", "Säkra verksamhet och tillgång till vård", "Scenario 2 – oförutsett",
                   "Vårdgivaren har begärts eller försatts i konkurs", "Kontaktpersoner per yrkesområde", "Amira Haddad",
                   "Ärendeansvarig – Per Nilsson", "Upprätta jourtelefon", "Begäran till IVO om att ta över journalerna"):
        assert phrase in text, phrase
    assert "Förberedelser inför beslut i nämnd" not in text  # scenario 1 only
    assert "fördjupad uppföljning" not in (folder / f"{PLAN}.md").read_text(encoding="utf-8").lower().replace(
        "kan vara fördjupad uppföljning", "")


def _variant(tmp_path: Path, change: dict[str, Any], document: str = PLAN) -> str:
    """The plan (Markdown) of a copy of the example with `change` laid over the plan's section."""
    from click.testing import CliRunner

    from generator.cli import main

    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    data["organisation"] = str(EXAMPLES / "organisation.yaml")
    data["handlingsplan_plotsligt_avslut"].update(change)
    del data["informationsbrev_patienter"]
    path = tmp_path / "arende.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(path), "-d", document, "-f", "md", "-o", str(tmp_path / "ut")])
    assert result.exit_code == 0, result.output
    return (tmp_path / "ut" / "LU-2026-VC-10" / f"{document}.md").read_text(encoding="utf-8")


def test_closing_and_scenario_1_change_the_steps_and_show_the_preparations(tmp_path: Path) -> None:
    steps = [{"nr": 11, "status": "pagar", "datum": dt.date(2026, 10, 30)}, {"nr": 13, "status": "klar"}]
    text = _variant(tmp_path, {"scenario": 1, "avslut": "stangning", "steg": steps, "namndmote": dt.date(2026, 10, 20),
                               "forberedelser": [{"nr": 2, "status": "klar", "datum": dt.date(2026, 10, 1), "kommentar": "Klart för nämnden."}]})
    assert "| 11 | Omlistning och brevutskick till patienter | Ekonom, Kommunikatör (Jonas Ahmadi, Eva Forsberg) | Pågår | 2026-10-30 |" in text
    assert "| 8 | Kontakt med konkursförvaltaren i tidigt skede | Regionjurist (Karin Holm) | Ej aktuell (gäller bara vid konkurs) | – |" in text
    assert "## Förberedelser inför beslut i nämnd" in text
    assert "Ansvarig nämnd väntas ta upp frågan den 20 oktober 2026." in text
    assert "| 2 | Förbered tjänsteutlåtande. Med förslag till beslut om att säga upp avtalet \"med omedelbar verkan\". | Klar | 2026-10-01 | Klart för nämnden. |" in text
    assert "Informera om att brev med information kommer att skickas" in text  # step 9's guidance for a closing


def test_a_step_left_open_past_its_date_is_a_warning_and_shown_as_late(tmp_path: Path, cli) -> None:
    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    data["organisation"] = str(EXAMPLES / "organisation.yaml")
    data["handlingsplan_plotsligt_avslut"]["datum"] = dt.date(2026, 9, 19)  # step 5 (due 18 September) still open
    path = tmp_path / "arende.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 0, result.output
    line = path.read_text(encoding="utf-8").split("\n").index("    datum: 2026-09-18", ) + 1
    assert (f"{path}:{line}: varning: handlingsplan_plotsligt_avslut.steg[5].datum: steg 5 (Upprätta kommunikationsplan) skulle vara "
            "klart 2026-09-18 men pågår fortfarande (planens datum 2026-09-19)") in result.output
    (tmp_path / "md").mkdir()
    text = _variant(tmp_path / "md", {"datum": dt.date(2026, 9, 19)})
    assert "| 5 | Upprätta kommunikationsplan | Kommunikatör (Jonas Ahmadi) | Pågår – försenat | 2026-09-18 |" in text


def test_a_step_the_handbook_names_nobody_for_needs_a_person(tmp_path: Path, cli) -> None:
    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    data["organisation"] = str(EXAMPLES / "organisation.yaml")
    data["handlingsplan_plotsligt_avslut"]["steg"] = [s for s in data["handlingsplan_plotsligt_avslut"]["steg"] if s["nr"] != 13]
    path = tmp_path / "arende.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 0
    assert ("varning: handlingsplan_plotsligt_avslut.steg: handboken anger ingen ansvarig för steg 13 (Informationsmejl till andra "
            "vårdgivare, primärvården, sjukhusen, 1177, IVO, CBHV och berörd personal inom förvaltningen); ange ansvarig för steget") in result.output


# --- the patient letter in every language -------------------------------------------------------------


def test_every_language_asked_for_is_made_and_recorded(folder: Path) -> None:
    import json

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for code in LANGUAGES:
        assert manifest["dokument"][_stem(code)]["mall"] == LETTER
        for extension in ("pdf", "docx", "html", "md"):
            assert f"{_stem(code)}.{extension}" in manifest["filer"]


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_letter_reads_back_in_its_language_from_pdf_and_docx(folder: Path, code: str) -> None:
    pdf, docx = _pdftotext(folder / f"{_stem(code)}.pdf"), _docx_text(folder / f"{_stem(code)}.docx")
    expected = SENTENCES[code]
    if code in PDF_PHRASES:
        # pdftotext orders each right-to-left run logically, but places punctuation and Latin runs by their
        # position on the line: the pure Arabic-script phrases are checked word by word, the number apart.
        for phrase in PDF_PHRASES[code]:
            assert _poppler_ligatures(phrase) in pdf, (phrase, pdf)
        assert "0999-10 40 40" in pdf
    else:
        assert expected in pdf, pdf
    assert expected in docx, docx
    assert HEADINGS[code] in docx
    # The Swedish names and the region's letterhead are the same in every language.
    assert "Vårdcentralen Granbacken" in pdf and "Region Norrsund" in pdf
    with pikepdf.open(folder / f"{_stem(code)}.pdf") as document:
        assert str(document.Root.Lang) == ("sv-SE" if code == "sv" else TAGS[code])


def test_arabic_reads_in_logical_order_and_names_keep_theirs(folder: Path) -> None:
    pdf = _pdftotext(folder / f"{LETTER}-ar.pdf")
    # Logical order: the Swedish name inside the Arabic sentence, then the rest, word by word.
    assert _poppler_ligatures("يدرس مدير التفليسة الآن ما إذا كان المركز الصحي يستطيع أن يستمر") in pdf
    assert _poppler_ligatures("وصفاتك الطبية صالحة كالمعتاد") in pdf
    # The paragraphs come in the letter's order.
    order = [pdf.index(_poppler_ligatures(h)) for h in ("ماذا يحدث الآن؟", "سجلّك الطبي", "وصفاتك الطبية", "هل لديك أسئلة؟")]
    assert order == sorted(order)
    # The tag tree reads in the same order as the page: H1, then the sections' H2 in the letter's order.
    with pikepdf.open(folder / f"{LETTER}-ar.pdf") as document:
        kinds = [str(e.S) for e in _struct(document.Root.StructTreeRoot) if str(e.S) in ("/H1", "/H2")]
    assert kinds[:3] == ["/H1", "/H2", "/H2"] and kinds.count("/H2") == 6


def _struct(node: Any) -> list[Any]:
    kids = node.get("/K")
    items = list(kids) if isinstance(kids, pikepdf.Array) else ([] if kids is None else [kids])
    out = []
    for kid in items:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            out.append(kid)
            out.extend(_struct(kid))
    return out


@pytest.mark.parametrize("code", LANGUAGES)
def test_html_says_language_and_direction(folder: Path, code: str) -> None:
    page = lxml_html.fromstring((folder / f"{_stem(code)}.html").read_bytes())
    assert page.get("lang") == TAGS[code]
    assert page.get("dir") == ("rtl" if code in ("ar", "fa") else "ltr" if code != "sv" else None)
    # The letterhead stays Swedish, and says so.
    header = page.find(".//header")
    assert (header.get("lang"), header.get("dir")) == (("sv", "ltr") if code != "sv" else (None, None))
    assert HEADINGS[code] in " ".join(strip_embeddings(page.text_content()).split())


@pytest.mark.parametrize("code", ["ar", "fa"])
def test_docx_runs_right_to_left_with_latin_values_left_to_right(folder: Path, code: str) -> None:
    from docx.oxml.ns import qn

    body = Document(str(folder / f"{_stem(code)}.docx")).element.body
    def style(paragraph: Any) -> str | None:
        found = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        return None if found is None else str(found.get(qn("w:val")))

    # Page 1's letterhead stays Swedish and left to right, as in the later pages' header and in HTML.
    letterhead = [p for p in body.iter(qn("w:p")) if style(p) == "Brevhuvud"]
    assert letterhead and all(p.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is None for p in letterhead)
    paragraphs = [p for p in body.iter(qn("w:p")) if style(p) != "Brevhuvud"]
    assert paragraphs and all(p.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None for p in paragraphs)
    runs = [r for r in body.iter(qn("w:r")) if "".join(t.text or "" for t in r.iter(qn("w:t")))]
    rtl = [r for r in runs if r.find(f"{qn('w:rPr')}/{qn('w:rtl')}") is not None]
    assert rtl and all(r.find(f"{qn('w:rPr')}/{qn('w:lang')}").get(qn("w:bidi")) == code for r in rtl)
    # The telephone number is embedded left to right inside the right-to-left sentence.
    assert "\u202a0999-10 40 40\u202c" in "".join(t.text or "" for t in body.iter(qn("w:t")))


def test_a_language_without_translation_is_an_error(tmp_path: Path, cli) -> None:
    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    data["organisation"] = str(EXAMPLES / "organisation.yaml")
    data["informationsbrev_patienter"]["sprak"] = ["sv", "ar", "ti"]
    path = tmp_path / "arende.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("render", path, "-o", tmp_path / "ut")
    assert result.exit_code == 1
    line = path.read_text(encoding="utf-8").split("\n").index("  - ti") + 1
    assert (f"{path}:{line}: informationsbrev_patienter.sprak[3]: det finns ingen översättning till 'ti' av dokumentet "
            "'informationsbrev-patienter'; lägg till sprak/ti.yaml bredvid mallen eller välj bland ar (arabiska), "
            "bks (bosniska/kroatiska/serbiska), en (engelska), fa (persiska), fi (finska), so (somaliska), sv (svenska)") in result.stderr
    assert not (tmp_path / "ut").exists()


def test_the_letter_differs_for_closing_and_follows_the_plan(tmp_path: Path, cli) -> None:
    data = yaml.safe_load(CASE.read_text(encoding="utf-8"))
    data["organisation"] = str(EXAMPLES / "organisation.yaml")
    data["informationsbrev_patienter"]["avslut"] = "stangning"
    path = tmp_path / "arende.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 1
    assert "informationsbrev_patienter.avslut: brevet gäller stängning men handlingsplanen" in result.stderr
    assert "informationsbrev_patienter.sista_dag: vid stängning ska brevet ange sista dagen mottagningen har öppet" in result.stderr
    sample = (ROOT / "mallar" / LETTER / "exempel.godkand.md").read_text(encoding="utf-8")
    assert "Vårdcentralen stänger" not in sample and "har öppet till och med den 31 oktober 2026" in sample
    assert "Från den 1 november 2026 är du listad på Vårdcentralen Älvbacken, Älvgatan 9, 999 64 Norrsund" in sample
    assert "Ett recept med flera uttag kan du använda i ett år till." in sample


def test_the_letters_pass_axe(folder: Path) -> None:
    from test_conformance import AXE_TAGS, Chromium, _describe, _require

    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    _require("chromium", binary is not None, "apt-get install chromium")
    from test_conformance import AXE

    _require("axe-core", AXE.is_file(), "cd tests/axe && npm ci")
    assert binary is not None
    browser = Chromium(binary)
    try:
        failures = []
        for stem in [PLAN, *(_stem(c) for c in LANGUAGES)]:
            report = browser.axe(folder / f"{stem}.html", {"runOnly": {"type": "tag", "values": AXE_TAGS}})
            if report["violations"]:
                failures.append(f"{stem}: {_describe(report['violations'])}")
            elif "html-has-lang" not in report["passes"]:
                failures.append(f"{stem}: html-has-lang not checked")
        assert not failures, "\n".join(failures)
    finally:
        browser.close()
