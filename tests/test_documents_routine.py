"""Routine follow-up (handbook kap. 2): the routine case files and team files of the examples, the
nine documents made from them in every format, the traffic light that never leaves the team, the
review status of a report to the provider, and team files as inputs of validate and render.

The documents are those the session fixture `example_outputs` renders from every example (one
render per file, all formats), read back as a reader sees them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, ExampleOutputs
from test_documents_besluta import fill_placeholders, uncomment_section
from test_letters import flat, line_of, pdf_pages, reader_texts

from generator.leaks import canonical

RAPPORT = EXAMPLES / "rapport"
CASES = RAPPORT / "arenden"
TEAMS = RAPPORT / "team"
ORGANISATION = EXAMPLES / "organisation.yaml"
ROUTINE = sorted(p for p in CASES.glob("*.yaml") if "-fordjupad" not in p.name)
TEAM_DOCUMENTS = ("uppfoljningsplanering", "datauttag", "fokusomrade", "verksamhetsbedomning")
CASE_DOCUMENTS = ("uppfoljningsplan-avtal", "indikation", "agenda-uppfoljningsdialog", "checklista-ny-vardgivare", "aterrapport-vardgivare")
LABELS = ("Grön – inga avvikelser", "Gul – mindre avvikelser", "Röd – allvarliga avvikelser")
DRAFT = "Utkast – för granskning"


# --- the rendered examples -------------------------------------------------------------------------


def folders(outputs: ExampleOutputs) -> dict[str, Path]:
    """Output folder of each rendered case or team file, by its name (case id, `_team-…`)."""
    return {path.parent.name: path.parent for path in outputs.folder.rglob("manifest.json")}


def documents(outputs: ExampleOutputs) -> list[tuple[Path, str, str]]:
    """(folder, document id, audience) of every document rendered from the examples."""
    found = []
    for folder in folders(outputs).values():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for doc_id, entry in manifest["dokument"].items():
            if (folder / f"{doc_id}.pdf").is_file():
                found.append((folder, doc_id, entry["malgrupp"]))
    return found


@pytest.fixture(scope="module")
def rendered(example_outputs: ExampleOutputs) -> dict[str, Path]:
    return folders(example_outputs)


def plain(text: str) -> str:
    """Text as read, without Markdown's marks and table bars, on one line (and without the space
    text extraction puts between a DOCX's adjacent text elements inside brackets)."""
    text = flat(re.sub(r"\*\*|\\$|\\(?=\n)|(?<=\s)\||^\||^#+ ", " ", text, flags=re.M))
    return re.sub(r"\( | \)", lambda m: m.group(0).strip(), text)


def read(folder: Path, document: str) -> dict[str, str]:
    return {extension: plain(text) for extension, text in reader_texts(folder, document).items()}


def test_every_routine_example_and_team_file_validates(cli) -> None:
    for path in [*ROUTINE, *sorted(TEAMS.glob("*.yaml"))]:
        result = cli("validate", path)
        assert result.exit_code == 0, result.output
        assert f"{path}: giltigt" in result.stdout


def test_every_routine_document_is_made_by_the_examples_several_by_more_than_one(example_outputs: ExampleOutputs) -> None:
    made: dict[str, int] = {}
    for _, doc_id, _ in documents(example_outputs):
        made[doc_id] = made.get(doc_id, 0) + 1
    for doc_id in (*TEAM_DOCUMENTS, *CASE_DOCUMENTS):
        assert made.get(doc_id, 0) >= 2, (doc_id, made.get(doc_id))


# What each document holds, as the handbook (and seed 002 for the contract's plan) prescribes it,
# in the example each is read from.
CONTENT = {
    ("_team-vardval-vardcentral-2026", "uppfoljningsplanering"): [
        "Underlag för uppföljningsplanering 2026 – Team Vårdval Vårdcentral", "Mål för uppföljningsplaneringen",
        "Utveckla uppföljningen och ta tillvara lärdomar och erfarenheter",
        "Uppnå samsyn i teamet kring nuläge, behov och prioriteringar", "Utarbeta en övergripande plan för årets uppföljning",
        "1. Uppföljningen under föregående år", "2. Förutsättningar för uppföljning", "3. Intressenter och samverkan",
        "4. Uppgifter och ansvarsfördelning", "5. Datauttag och indikatorer", "6. Övriga frågor och summering",
        "Boka kvalitetsdialoger med samtliga vårdcentraler", "Per Nilsson", "2026-01-31", "Fatima Rahimi", "2025-12-15",
    ],
    ("_team-nationella-taxan-2026", "datauttag"): [
        "Planering av datauttag 2026", "Väntetider till första besök", "Data", "Syfte", "Avgränsning",
        "Verksamhet eller verksamheter:", "Typ av data:", "Tidsperiod:", "December 2025 till december 2026, månadsvis",
        "Analys och format", "Samverkan", "Ansvarig för data: Jonas Lind", "Teamets kontaktperson: Ali Haddad",
        "Återkommande beställning: Ja", "Ny databeställning enligt rutin",
    ],
    ("_team-vardval-rehab-2026", "fokusomrade"): [
        "Analys av fokusområde 2026 – Team Vårdval Rehab", "Registrering av besök", "Frågeställning", "Data", "Metod",
        "Resultat", "Slutsatser", "Nästa steg", "Datauttag: Registrering av nybesök och återbesök", "Sara Holmgren", "2027-04-30",
    ],
    ("_team-vardval-vardcentral-2026", "verksamhetsbedomning"): [
        "Verksamhetsbedömning 2026 – Team Vårdval Vårdcentral", "Översikt i prioritetsordning", "Grunder för bedömningen",
        "Planerad omfattning och aktiviteter", "Syfte", "Beslutsstöd för verksamhetsbedömning", *LABELS,
        "Verksamhetsbedömningen är ett internt arbetsverktyg", "Senaste steg i eskaleringstrappan: steg 3, åtgärdsstrategi (2026-06-09)",
    ],
    ("LU-2026-VC-04", "uppfoljningsplan-avtal"): [
        "Uppföljningsplan för avtalet – Vårdcentralen Björkdalen", "Period: 1 januari 2026 – 31 december 2026",
        "vilket underlag vi kommer att följa upp under perioden, när och med vilken metod", "Planerad uppföljning",
        "Kvalitetsdialog", "Kvalitetsledningssystem", "Planerat besök", "Analys av inrapporterade data", "2026-02-11",
        "Ange vårt diarienummer HSN 2026-00034", "Kopia till", "Registrator, Hälso- och sjukvårdsförvaltningen",
    ],
    ("LU-2026-VC-01", "indikation"): [
        "Dokumentation av indikation om avvikelse – Vårdcentralen Norrsund Centrum", "Källa: Visselblåsare",
        "Allvarlig avvikelse – kontakt tas med vårdgivaren omedelbart", "Kompletterande information", "Värdering av informationen",
        "Värderad av: Per Nilsson, Handläggare; Erik Sund, Medicinsk rådgivare", "Kontakt med vårdgivaren",
        "Vårdgivaren kontaktades den 27 januari 2026", "Prioritering", "Kontroll mot avtal och lag",
        "Skäl att överväga fördjupad uppföljning", "Beslutat 29 januari 2026 av Lisa Viklund, teamledare",
    ],
    ("LU-2026-LA-02", "agenda-uppfoljningsdialog"): [
        "Agenda för uppföljningsdialog 18 mars 2026", "Tid: 18 mars 2026 kl. 13.30–15.00", "1. Syfte",
        "2. Tidigare uppföljningsresultat och dialog", "3. Årets resultat och eventuella rekommendationer",
        "4. Övriga frågor, återkoppling och nästa steg", "Rekommendationer till er", "Klinisk Kemi i Norrsund AB",
    ],
    ("LU-2026-VC-08", "checklista-ny-vardgivare"): [
        "Checklista för uppföljning av ny vårdgivare – Vårdcentralen Kvarnen", "Anledning: Adressändring från 1 september 2026",
        "Kontrollpunkter", "Delvis uppfyllt", "Ej kontrollerat", "Att följa upp", "2026-11-30",
    ],
    ("LU-2026-NT-02", "aterrapport-vardgivare"): [
        "Återrapportering: uppföljningsrapport", "Uppföljningsperiod: januari–augusti 2026", "Verksamhet: Hudmottagningen Norr", "Status: Godkänd av vårdgivaren",
        "Nyckeltal", "Väntat högst 90 dagar till första besök (%)", "Genomsnitt för avtalsområdet", "2026-07 71,2 83,9 3",
        "Väntande till första besök (antal)", "2026-07 212 143,7 3", "Mottagningens ägare Karin Norr godkände innehållet den 16 september 2026",
    ],
}


@pytest.mark.parametrize(("folder", "document"), list(CONTENT), ids=lambda value: str(value))
def test_each_document_holds_the_handbooks_content_in_every_format(rendered: dict[str, Path], folder: str, document: str) -> None:
    texts = read(rendered[folder], document)
    for extension, text in texts.items():
        for expected in CONTENT[(folder, document)]:
            assert expected in text, (extension, expected)


def test_the_assessment_lists_every_provider_by_priority_with_the_colour_always_labelled(rendered: dict[str, Path]) -> None:
    folder = rendered["_team-vardval-vardcentral-2026"]
    markdown = (folder / "verksamhetsbedomning.md").read_text(encoding="utf-8")
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in markdown.splitlines() if re.match(r"\| \d+ \|", line)]
    assert rows == [
        ["1", "Vårdcentralen Norrsund Centrum", "Röd – allvarliga avvikelser", "LU-2026-VC-01"],
        ["2", "Norrsunds Familjeläkare", "Röd – allvarliga avvikelser", "LU-2026-VC-07"],
        ["3", "Hamnens vårdcentral", "Gul – mindre avvikelser", "LU-2026-VC-03"],
        ["4", "Läkarhuset Strandvägen", "Gul – mindre avvikelser", "LU-2026-VC-05"],
        ["5", "Vårdcentralen Björkdalen", "Gul – mindre avvikelser", "LU-2026-VC-04"],
        ["6", "Vårdcentralen Kvarnen", "Grön – inga avvikelser", "LU-2026-VC-08"],
        ["7", "Vårdcentralen Tallbo", "Grön – inga avvikelser", "LU-2026-VC-06"],
        ["8", "Vårdcentralen Älvbacken", "Grön – inga avvikelser", "LU-2026-VC-02"],
    ]
    pdf = flat("\n".join(pdf_pages(folder / "verksamhetsbedomning.pdf")))
    order = [pdf.index(f"{number}. {name}") for number, name, _, _ in rows]
    assert order == sorted(order)  # the providers' sections in the same order
    # The 2025 case and the in-depth case of the same provider are not the team's routine cases of 2026.
    assert "Fjällsippan" not in pdf and "FU-2026-017" not in pdf
    # Never a colour alone: every mention of a colour is its full label.
    for colour in ("Röd", "Gul", "Grön"):
        assert pdf.count(f"{colour} –") == len(re.findall(rf"\b{colour}\b", pdf))
    for page in pdf_pages(folder / "verksamhetsbedomning.pdf"):
        assert "Intern – lämnas inte ut" in page


def internal_texts() -> dict[str, list[str]]:
    """Per case id, the texts of its traffic light (colour, grounds, planned scope, purpose)."""
    texts: dict[str, list[str]] = {}
    for path in CASES.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        values = (data.get("verksamhetsbedomning") or {}).values()
        texts[data["arende"]["id"]] = [canonical(v) for v in values if isinstance(v, str) and len(canonical(v)) >= 10]
    return texts


def test_the_traffic_light_never_reaches_a_document_that_leaves_the_team(example_outputs: ExampleOutputs) -> None:
    secrets = internal_texts()
    public = [(folder, doc_id) for folder, doc_id, audience in documents(example_outputs) if audience != "intern"]
    assert len(public) >= 20 and {folder.name for folder, _ in public} & set(secrets)
    for folder, doc_id in public:
        for extension, text in reader_texts(folder, doc_id).items():
            seen = flat(text)
            for label in (*LABELS, "trafikljus", "erksamhetsbedömning"):
                assert label.casefold() not in seen.casefold(), (folder.name, doc_id, extension, label)
            found = canonical(text)
            for secret in secrets.get(folder.name, []):
                assert secret not in found, (folder.name, doc_id, extension, secret)


def test_routine_documents_never_speak_of_themselves_as_in_depth_follow_up(example_outputs: ExampleOutputs) -> None:
    """The wording follows the case type; the only mention is the handbook's decision to consider
    a hand-over, in the internal documentation of an indication."""
    for folder, doc_id, _ in documents(example_outputs):
        if doc_id not in (*TEAM_DOCUMENTS, *CASE_DOCUMENTS):
            continue
        text = flat(reader_texts(folder, doc_id)["md"])
        for phrase in ("inom ramen för en fördjupad uppföljning", "den fördjupade uppföljningen", "en fördjupad uppföljning"):
            assert phrase not in text, (folder.name, doc_id, phrase)
        if doc_id in CASE_DOCUMENTS and doc_id != "indikation":
            assert "fördjupad" not in text, (folder.name, doc_id)
        if doc_id in CASE_DOCUMENTS and doc_id != "indikation" and "uppföljningen" in text:
            assert "löpande uppföljning" in text or "uppföljningsdialog" in text or "Uppföljningsplan" in text


# --- the review status and the draft marking -----------------------------------------------------


def test_a_draft_says_so_on_every_page_in_every_format_and_an_approved_report_does_not(rendered: dict[str, Path]) -> None:
    for case in ("LU-2026-VC-03", "LU-2026-LA-03"):  # sent for review; a draft not yet sent
        folder = rendered[case]
        pages = pdf_pages(folder / "aterrapport-vardgivare.pdf")
        assert len(pages) >= 2 and all(DRAFT in page for page in pages)
        texts = reader_texts(folder, "aterrapport-vardgivare")
        assert texts["md"].splitlines()[0] == DRAFT
        assert f'<p class="markering">{DRAFT}</p>' in (folder / "aterrapport-vardgivare.html").read_text(encoding="utf-8")
        from test_letters import docx_header_text

        assert DRAFT in docx_header_text(folder / "aterrapport-vardgivare.docx")
    for case in ("LU-2026-VC-05", "LU-2026-NT-02", "LU-2026-RA-02"):  # filed; approved
        texts = reader_texts(rendered[case], "aterrapport-vardgivare")
        assert all(DRAFT not in text for text in texts.values()), case
    # The marking comes from the layout, driven by the data: no template writes it.
    root = Path(__file__).resolve().parent.parent / "mallar"
    assert not [p for p in root.glob("*/dokument.md") if DRAFT in re.sub(r"\{#.*?#\}", "", p.read_text(encoding="utf-8"), flags=re.S)]


def routine_copy(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    """A routine example in a folder of its own: paths made absolute, then text replaced."""
    source = CASES / f"{name}.yaml"
    text = source.read_text(encoding="utf-8").replace("organisation: ../../organisation.yaml", f"organisation: {ORGANISATION}")
    text = re.sub(r"\.\./(nyckeltal-vardcentral|vantetider-nationella-taxan)\.csv", lambda m: str(RAPPORT / f"{m.group(1)}.csv"), text)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    target = tmp_path / f"{name}.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def test_a_report_filed_without_the_providers_approval_is_an_error(cli, tmp_path: Path) -> None:
    case = routine_copy(tmp_path, "vc-strandvagen", ("    godkand: 2026-10-01\n", ""))
    result = cli("validate", case)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{case}:{line_of(case, 'status: diarieford')}: aterrapport_vardgivare.granskning.status: dokumentet är markerat som "
        "diariefört men saknar datum för vårdgivarens godkännande; handboken (2.3) säger att återrapporteringen diarieförs "
        "först när vårdgivaren har godkänt innehållet. Ange granskning.godkand eller ändra status"
    )
    rendered = cli("render", case, "-o", tmp_path / "ut")
    assert rendered.exit_code == 1 and not (tmp_path / "ut").exists()


@pytest.mark.parametrize(("edits", "anchor", "message", "warning"), [
    ((("    diarieford: 2026-10-02\n", "    diarieford: 2026-09-30\n"),), "diarieford: 2026-09-30",
     "aterrapport_vardgivare.granskning.diarieford: dokumentet kan inte diarieföras före vårdgivarens godkännande (2026-10-01); "
     "diarieför det först när innehållet är godkänt", False),
    ((("    status: diarieford\n", "    status: godkand\n"), ("    godkand: 2026-10-01\n", "")), "status: godkand",
     "aterrapport_vardgivare.granskning.status: status godkand behöver datumet då vårdgivaren godkände innehållet (granskning.godkand)", False),
    ((("    status: diarieford\n", "    status: for_granskning\n"),), "status: for_granskning",
     "aterrapport_vardgivare.granskning.status: vårdgivaren har godkänt innehållet (2026-10-01) men status är fortfarande "
     "for_granskning; ändra status till godkand eller diarieford", True),
])
def test_the_review_status_runs_in_order(cli, tmp_path: Path, edits, anchor: str, message: str, warning: bool) -> None:
    case = routine_copy(tmp_path, "vc-strandvagen", *edits)
    result = cli("validate", case)
    expected = f"{case}:{line_of(case, anchor)}: {'varning: ' if warning else ''}{message}"
    assert expected in result.stderr.splitlines(), result.stderr
    assert result.exit_code == (0 if warning else 1)


# --- the rules of the other documents --------------------------------------------------------------

RULES = [
    ("vc-familjelakarna", (("        datum: 2026-02-05\n", "        datum: 2026-01-19\n"),), "datum: 2026-01-19",
     "indikation.indikationer[1].beslut.datum: beslutet är daterat före dagen då indikationen kom in (2026-01-20)", False),
    ("rh-solglantan", (("        kontakt_vardgivare:\n          datum: 2026-01-13\n          kommentar: Kliniken räknar med att "
                        "bemanningen är återställd i mars.\n", ""),), "handlaggning:",
     "indikation.indikationer[1].handlaggning: vid en indikation om allvarlig avvikelse tas kontakt med vårdgivaren omedelbart "
     "(handboken 2.2); ange handlaggning.kontakt_vardgivare", True),
    ("vc-kvarnen", (("      kommentar: Adressen är ändrad på 1177 men inte i vårdvalsregistret; vårdgivaren anmäler ändringen.\n", ""),),
     "omrade: Information", "checklista_ny_vardgivare.kontrollpunkter[3].kommentar: en kontrollpunkt som inte är uppfylld behöver en "
     "kommentar: vad som saknas och hur det följs upp", False),
    ("vc-hamnen", (("    nasta_kontakt: Mötesanteckningarna skickas till er för granskning efter dialogen.\n",
                    "    kompletteringar_senast: 2026-03-30\n"),), "kompletteringar_senast: 2026-03-30",
     "agenda_uppfoljningsdialog.nasta_steg.kompletteringar_senast: kompletteringar lämnas efter dialogen, inte före", False),
    ("vc-alvbacken", (("    till: 2026-12-31\n", "    till: 2025-12-31\n"),), "till: 2025-12-31",
     "uppfoljningsplan_avtal.period.till: planens period slutar före den börjar", False),
    ("rh-rorelsecentrum", (("  mote:\n    datum: 2026-05-06\n    deltagare_region:\n      - namn: Sara Holmgren\n        roll: Handläggare\n"
                            "    deltagare_vardgivare:\n      - namn: Anders Holm\n        roll: Verksamhetschef\n", ""),),
     "typ: motesanteckning", "aterrapport_vardgivare.typ: en mötesanteckning anger uppföljningsmötet: fyll i mote med datum och deltagare", False),
    ("vc-hamnen", (("      - Telefonkontakt samma dag\n", "      - Telefonkontakt samma timme\n"),), "Telefonkontakt samma timme",
     "aterrapport_vardgivare.nyckeltal.indikatorer[1]: indikatorn 'Telefonkontakt samma timme' finns inte för Hamnens vårdcentral i "
     "nyckeltalen (finns: Medicinsk bedömning inom 3 dagar, Telefonkontakt samma dag)", False),
]


@pytest.mark.parametrize(("name", "edits", "anchor", "message", "warning"), RULES, ids=[r[3].split(":")[0] for r in RULES])
def test_each_routine_rule_names_the_field(cli, tmp_path: Path, name: str, edits, anchor: str, message: str, warning: bool) -> None:
    case = routine_copy(tmp_path, name, *edits)
    result = cli("validate", case)
    expected = f"{case}:{line_of(case, anchor)}: {'varning: ' if warning else ''}{message}"
    assert expected in result.stderr.splitlines(), result.stderr
    assert result.exit_code == (0 if warning else 1)


def test_indicator_files_that_cannot_be_read_or_lack_the_provider_are_errors(cli, tmp_path: Path) -> None:
    case = routine_copy(tmp_path, "vc-strandvagen", (f"filer: [{RAPPORT / 'nyckeltal-vardcentral.csv'}]", "filer: [saknas.csv]"))
    result = cli("validate", case)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (f"{case}:{line_of(case, 'filer: [saknas.csv]')}: aterrapport_vardgivare.nyckeltal.filer[1]: "
                                             f"nyckeltalen kan inte läsas: {tmp_path / 'saknas.csv'}: filen finns inte. Kontrollera sökvägen.")
    other = routine_copy(tmp_path, "vc-strandvagen", ("  nyckeltal:\n", "  nyckeltal:\n    vardgivare: Läkarhuset Strandgatan\n"))
    result = cli("validate", other)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        f"{other}:{line_of(other, 'vardgivare: Läkarhuset Strandgatan')}: aterrapport_vardgivare.nyckeltal.vardgivare: vårdgivaren "
        "'Läkarhuset Strandgatan' finns inte i nyckeltalen; ange namnet som det står i filen med aterrapport_vardgivare.nyckeltal.vardgivare "
        "(filen har: Vårdcentralen Norrsund Centrum, Vårdcentralen Älvbacken,")


def test_an_in_depth_case_cannot_hold_a_routine_document(cli, tmp_path: Path) -> None:
    case = tmp_path / "fordjupad.yaml"
    data = yaml.safe_load((CASES / "vc-norrsund-centrum-fordjupad.yaml").read_text(encoding="utf-8"))
    data["organisation"] = str(ORGANISATION)
    data["uppfoljningsplan_avtal"] = yaml.safe_load((CASES / "vc-alvbacken.yaml").read_text(encoding="utf-8"))["uppfoljningsplan_avtal"]
    case.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("validate", case, "-d", "uppfoljningsplan-avtal")
    assert result.exit_code == 1
    assert (f"{case}:{line_of(case, 'uppfoljningsplan_avtal:')}: uppfoljningsplan_avtal: dokumentet 'uppfoljningsplan-avtal' "
            "(Uppföljningsplan för avtalet) hör bara till löpande uppföljning, men ärendet är en fördjupad uppföljning "
            "(arende.typ: fordjupad); ta bort sektionen eller ändra arende.typ") in result.stderr.splitlines()


# --- team files as inputs ----------------------------------------------------------------------------


def test_a_team_file_renders_its_documents_into_a_folder_no_case_can_name(rendered: dict[str, Path]) -> None:
    from generator.schema import find_schema, schema_dirs

    teams = sorted(name for name in rendered if name.startswith("_team-"))
    assert teams == ["_team-laboratoriemedicin-2026", "_team-nationella-taxan-2026", "_team-radiologi-2026",
                     "_team-vardval-rehab-2026", "_team-vardval-vardcentral-2026"]
    pattern = find_schema("bas", schema_dirs())["arende"]["schema"]["id"]["regex"]
    assert all(not re.fullmatch(pattern, name) for name in teams)  # a case id begins with a letter or a digit
    manifest = json.loads((rendered["_team-vardval-vardcentral-2026"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["arende"] == "_team-vardval-vardcentral-2026" and manifest["diarienummer"] == "HSN 2025-00941"
    made = (*TEAM_DOCUMENTS, "revideringsforslag")  # this team also proposes a revision of the handbook (kap. 6)
    assert sorted(manifest["dokument"]) == sorted(made)
    assert all(entry["malgrupp"] == "intern" for entry in manifest["dokument"].values())
    assert sorted(manifest["filer"]) == sorted(f"{d}.{e}" for d in made for e in ("docx", "html", "md", "pdf"))


def team_copy(folder: Path, name: str = "vardval-rehab", *edits: tuple[str, str]) -> Path:
    """A team file of the examples in `folder`, its paths made absolute, then text replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (TEAMS / f"{name}.yaml").read_text(encoding="utf-8").replace("organisation: ../../organisation.yaml", f"organisation: {ORGANISATION}")
    text = text.replace("  - ../arenden\n", f"  - {CASES}\n")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    target = folder / f"{name}.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def test_two_team_files_for_one_area_and_year_cannot_share_a_folder(cli, tmp_path: Path) -> None:
    first = team_copy(tmp_path / "a")
    second = team_copy(tmp_path / "b")
    result = cli("validate", first, second)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{second}:{line_of(second, 'avtalsomrade: Vårdval Rehab')}: team.avtalsomrade: det finns redan ett teamunderlag för "
        f"Vårdval Rehab 2026 ({first}); två teamunderlag kan inte dela mappen _team-vardval-rehab-2026")


def test_a_document_is_asked_of_the_kind_of_file_it_is_made_from(cli, tmp_path: Path) -> None:
    team = team_copy(tmp_path)
    result = cli("render", team, "-d", "indikation", "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (f"{team}:{line_of(team, 'organisation:')}: dokumentet 'indikation' (Dokumentation av "
                                             "indikation om avvikelse) görs ur en ärendefil (arende:), inte ur ett teamunderlag")
    case = routine_copy(tmp_path, "rh-solbacken")
    result = cli("validate", case, "-d", "verksamhetsbedomning")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (f"{case}:{line_of(case, 'organisation:')}: dokumentet 'verksamhetsbedomning' "
                                             "(Verksamhetsbedömning enligt trafikljussystemet) görs ur ett teamunderlag (team:, ar:), inte ur en ärendefil")
    only = cli("render", team, "-d", "fokusomrade", "-f", "md", "-o", tmp_path / "ut")
    assert only.exit_code == 0, only.output
    assert sorted(p.name for p in (tmp_path / "ut" / "_team-vardval-rehab-2026").iterdir()) == ["fokusomrade.md", "manifest.json"]


def test_the_team_finds_its_routine_cases_beside_it_by_default(cli, tmp_path: Path) -> None:
    """Without `arendefiler` the team file's folder and below; routine cases of the team's year and
    area only; a case without an assessment is listed as not assessed, with a warning."""
    folder = tmp_path / "rehab"
    (folder / "arenden").mkdir(parents=True)
    team = team_copy(folder, "vardval-rehab", ("arendefiler:\n  - " + str(CASES) + "\n", ""))
    for name in ("rh-solbacken", "rh-kustens-fysioterapi", "vc-alvbacken"):
        routine_copy(folder / "arenden", name)
    shutil.copy(CASES / "rh-solglantan-fordjupad.yaml", folder / "arenden")
    unassessed = routine_copy(folder / "arenden", "rh-handkliniken", ("verksamhetsbedomning:\n  farg: gron\n  motivering: \"Handlingsplanen för patientinformationen är genomförd; inga andra avvikelser eller indikationer under året.\"\n", ""))
    result = cli("render", team, "-d", "verksamhetsbedomning", "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    assert (f"{unassessed}:{line_of(unassessed, 'arende:')}: varning: arende: ärendet saknar verksamhetsbedomning; vårdgivaren står som "
            f"ej bedömd i teamets verksamhetsbedömning ({team})") in result.stderr.splitlines()
    text = (tmp_path / "ut" / "_team-vardval-rehab-2026" / "verksamhetsbedomning.md").read_text(encoding="utf-8")
    assert "| 1 | Kustens Fysioterapi | Gul – mindre avvikelser | LU-2026-RH-03 |" in text
    assert "| 2 | Rehab Solbacken | Grön – inga avvikelser | LU-2026-RH-01 |" in text
    assert "| 3 | Handkliniken Norr | Ej bedömd | LU-2026-RH-04 |" in text
    assert "## Vårdgivare utan bedömning" in text and "Älvbacken" not in text and "FU-2026-021" not in text


def test_an_error_in_a_teams_case_file_stops_the_assessment(cli, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    broken = routine_copy(folder, "rh-solbacken", ("  farg: gron\n", "  farg: blå\n"))
    team = team_copy(tmp_path, "vardval-rehab", ("  - " + str(CASES) + "\n", "  - cases\n"))
    result = cli("validate", team)
    assert result.exit_code == 1
    assert (f"{broken}:{line_of(broken, 'farg: blå')}: verksamhetsbedomning.farg: 'blå' är inte tillåtet; välj bland: gron, gul, rod"
            in result.stderr.splitlines()), result.stderr
    missing = team_copy(tmp_path / "a", "vardval-rehab", ("  - " + str(CASES) + "\n", "  - finns-inte\n"))
    result = cli("validate", missing)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (f"{missing}:{line_of(missing, '- finns-inte')}: arendefiler[1]: 'finns-inte' finns inte "
                                             f"(sökvägen är relativ till teamunderlaget, {(tmp_path / 'a' / 'finns-inte').resolve()})")


def test_a_focus_area_refers_only_to_planned_data_orders(cli, tmp_path: Path) -> None:
    team = team_copy(tmp_path, "vardval-rehab", ("      datauttag: [besoksregistrering]\n", "      datauttag: [besok]\n"))
    result = cli("validate", team)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (f"{team}:{line_of(team, 'datauttag: [besok]')}: fokusomrade.omraden[1].datauttag[1]: "
                                             "datauttaget 'besok' finns inte under datauttag.bestallningar (finns: vantetider, besoksregistrering)")


@pytest.mark.parametrize("document", TEAM_DOCUMENTS)
def test_every_team_section_of_the_skeleton_validates_when_uncommented(cli, tmp_path: Path, document: str) -> None:
    from generator.skeleton import skeleton

    target = tmp_path / "team.yaml"
    target.write_text(fill_placeholders(uncomment_section(skeleton("team"), document.replace("-", "_"))), encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 0, result.output
    assert f"giltigt (1 dokument: {document})" in result.stdout
