"""The documents of the deciding phase: the control plan (kap. 4, step 4a, to the provider) and the
final report (3.3, to the board), rendered from the example case; and the skeleton case file that
`mallgen new fordjupad` writes: `validate` names every placeholder left in it, and once they are
replaced it validates as is and with each section filled in."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE, ROOT, RenderedDocument

OURS = ["kontrollplan", "slutrapport"]
NBSP = "\u00a0"


def skeleton_text() -> str:
    """What `mallgen new fordjupad` writes: generated from the schemas, never kept by hand."""
    from generator.skeleton import skeleton

    return skeleton("fordjupad")

SECTIONS = {
    "overlamning": "overlamning",
    "uppdragshandling": "uppdragshandling",
    "kallelse_dialogmote": "kallelse-dialogmote",
    "anmodan_om_rattelse": "anmodan-om-rattelse",
    "kontrollplan": "kontrollplan",
    "slutrapport": "slutrapport",
}


# --- helpers -----------------------------------------------------------------------------------


def _run(*args: str | Path) -> Any:
    from generator.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def example_data() -> dict[str, Any]:
    """The example case trimmed to the base fields and our two sections, so these tests do not
    depend on the templates of other documents."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["organisation"] = str((EXAMPLE.parent / data["organisation"]).resolve())
    base = yaml.safe_load((ROOT / "schema" / "bas.yaml").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if key in base or key in OURS}


def render(data: dict[str, Any], folder: Path) -> dict[str, RenderedDocument]:
    folder.mkdir(parents=True, exist_ok=True)
    case = folder / "arende.yaml"
    case.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = _run("render", case, "-d", "kontrollplan", "-d", "slutrapport", "-f", "md,docx", "-o", folder / "ut")
    assert result.exit_code == 0, result.output
    out = folder / "ut" / data["arende"]["id"]
    return {
        name: RenderedDocument((out / f"{name}.md").read_text(encoding="utf-8"), docx.Document(str(out / f"{name}.docx")))
        for name in OURS
    }


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return example_data()


@pytest.fixture(scope="module")
def rendered(example: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, RenderedDocument]:
    return render(example, tmp_path_factory.mktemp("besluta"))


def markdown_heading_levels(markdown: str) -> list[int]:
    return [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) \S", markdown, re.M)]


def assert_heading_order(levels: list[int]) -> None:
    """Exactly one H1, first; no level skipped on the way down."""
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for previous, current in zip(levels, levels[1:], strict=False):
        assert current <= previous + 1, levels


# --- Kontrollplan ------------------------------------------------------------------------------


def test_control_plan_shows_the_boards_decision(rendered: dict[str, RenderedDocument]) -> None:
    plan = rendered["kontrollplan"]
    decision = "Hälso- och sjukvårdsnämnden fastställde kontrollplanen 16 juni 2026, § 87."
    assert plan.styled("Beslut") == [decision]
    assert f"\n\n{decision}\n\n" in plan.markdown  # its own paragraph in the plain-text .md
    # the decision comes before the plan's content
    texts = [text for _, text in plan.paragraphs]
    assert texts.index(decision) < texts.index("Bakgrund")


def test_control_plan_decision_by_another_board(example: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(example)
    data["kontrollplan"]["namndbeslut"].update(namnd="rs", paragraf="§ 12")
    plan = render(data, tmp_path)["kontrollplan"]
    assert plan.styled("Beslut") == ["Regionstyrelsen fastställde kontrollplanen 16 juni 2026, § 12."]
    assert "Regionstyrelsen kan då besluta om ytterligare åtgärder" in plan.text


def test_control_plan_is_addressed_to_the_provider(rendered: dict[str, RenderedDocument]) -> None:
    plan = rendered["kontrollplan"]
    recipient = plan.styled("Mottagare")
    assert recipient and recipient[0].startswith("Vård & Omsorg <Nord> AB\nAtt: Lena Åberg, Verksamhetschef")
    assert plan.paragraphs.index(("Mottagare", recipient[0])) < plan.paragraphs.index(("Heading 1", "Kontrollplan"))


def test_control_plan_structure(rendered: dict[str, RenderedDocument]) -> None:
    plan = rendered["kontrollplan"]
    assert plan.headings(1) == ["Kontrollplan"]
    assert plan.headings(2) == [
        "Bakgrund", "Kontrollperiod", "Kontrollpunkter", "Det här ska ni göra", "Återrapportering", "Om kontrollplanen inte följs",
    ]
    assert plan.headings(3) == ["A1. Bristande läkarbemanning"]  # only the deviation the plan concerns
    assert_heading_order(plan.heading_levels)
    assert_heading_order(markdown_heading_levels(plan.markdown))


def test_control_plan_background_period_and_points(rendered: dict[str, RenderedDocument]) -> None:
    plan = rendered["kontrollplan"]
    assert "Krav: Krav- och kvalitetsboken avsnitt 4.2 – läkare ska finnas på plats minst 40 timmar per vecka." in plan.text
    assert "Säkerställ läkarbemanning om minst 40 timmar per vecka." in plan.styled("List Bullet")
    assert "Kontrollplanen gäller från och med 1 juli 2026 till och med 31 december 2026." in plan.text
    rows = plan.table("Vad", "Hur", "Hur ofta", "Vem", "Underlag (bevis)", "Datum")
    assert rows == [
        [
            "Läkarbemanning på plats", "Granskning av tjänstgöringsscheman och tidrapporter", "Varje månad",
            "Anna Lindqvist, handläggare", "Schema och tidrapporter för samtliga läkare",
            "2026-08-05, 2026-09-05, 2026-10-05, 2026-11-05, 2026-12-05",
        ],
        [
            "Tillgänglighet för patienter", "Stickprov av tidbok och väntetider", "Varje kvartal",
            "Erik Sund, medicinsk rådgivare", "Utdrag ur tidboken för fyra slumpvis valda veckor", "2026-10-01, 2026-12-15",
        ],
    ]
    assert "| Vad | Hur | Hur ofta | Vem | Underlag (bevis) | Datum |" in plan.markdown


def test_control_plan_tells_the_provider_what_to_do(rendered: dict[str, RenderedDocument]) -> None:
    plan = rendered["kontrollplan"]
    assert "till Anna Lindqvist, anna.lindqvist@regionnorrsund.example." in plan.text
    due = plan.styled("List Bullet")
    assert "1 oktober 2026: Utdrag ur tidboken för fyra slumpvis valda veckor" in due
    assert "5 augusti 2026: Schema och tidrapporter för samtliga läkare" in due
    # every submission date once, in date order
    dates = [line.split(":")[0] for line in due if re.match(r"\d+ \w+ 2026:", line)]
    assert dates == ["5 augusti 2026", "5 september 2026", "1 oktober 2026", "5 oktober 2026", "5 november 2026", "5 december 2026", "15 december 2026"]
    assert "En samlad redovisning lämnas till Hälso- och sjukvårdsnämnden i februari 2027." in plan.text.replace("\n", " ")
    assert "till exempel återkrav av felaktigt utbetald ersättning, vite eller hävning av avtalet" in plan.text
    assert "Handläggare: Anna Lindqvist, Regionutvecklare" in "\n".join(plan.styled("Avsändare"))


# --- Slutrapport -------------------------------------------------------------------------------


def test_final_report_structure(rendered: dict[str, RenderedDocument]) -> None:
    report = rendered["slutrapport"]
    assert report.headings(1) == ["Slutrapport"]
    assert report.headings(2) == [
        "Sammanfattning", "Bakgrund", "Uppdrag", "Metod", "Iakttagelser", "Vidtagna åtgärder",
        "Vårdgivarens synpunkter", "Slutsatser", "Fortsatt hantering", "Förslag till beslut",
    ]
    assert_heading_order(report.heading_levels)
    assert_heading_order(markdown_heading_levels(report.markdown))


def test_final_report_facts(rendered: dict[str, RenderedDocument]) -> None:
    texts = [text for _, text in rendered["slutrapport"].paragraphs if text.strip()]
    facts = texts[texts.index("Slutrapport") + 1]  # the block right after the H1
    assert "Diarienummer: HSN 2026-00123" in facts
    assert "Vårdgivare: Vård & Omsorg <Nord> AB, organisationsnummer 559123-4561" in facts
    assert "Avtal: Avtal om vårdval vårdcentral (dnr HSN 2021-00456)" in facts
    assert "Ansvarig handläggare: Anna Lindqvist, Regionutvecklare" in facts


def test_final_report_has_every_deviation(rendered: dict[str, RenderedDocument], example: dict[str, Any]) -> None:
    report = rendered["slutrapport"]
    assert report.headings(3) == [f"{d['id']}. {d['rubrik']}" for d in example["avvikelser"]]
    text = report.text
    assert "Status: Kvarstår" in text and "Status: Åtgärdad" in text
    assert f"Återkrav: 186{NBSP}400{NBSP}kr" in text
    assert f"Återkraven uppgår sammanlagt till 186{NBSP}400{NBSP}kr." in text
    assert "Vårdgivaren medger felregistreringarna och har infört en ny rutin." in text
    assert report.table("Besökstyp", "Registrerade", "Enligt journal")  # Markdown table in the description


def test_final_report_measures_table(rendered: dict[str, RenderedDocument]) -> None:
    rows = rendered["slutrapport"].table("Steg", "Datum", "Åtgärd", "Beslutat av", "Resultat")
    assert [row[0] for row in rows] == [
        "2a Begäran om handlingsplan", "2b Uppföljning av handlingsplan", "3a Anmodan om rättelse",
        "3b Uppföljning av anmodan", "4a Upprättande av kontrollplan",
    ]
    assert rows[-1] == [
        "4a Upprättande av kontrollplan", "2026-06-16", "Nämnden fastställer kontrollplan för läkarbemanningen.",
        "Ansvarig nämnd eller styrelse", "Kontrollplanen följs; bemanningen har ökat till 36 timmar per vecka.",
    ]
    assert rows[0][3] == "Handläggare"


def test_final_report_skip_reason(example: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(example)
    data["eskalering"] = [
        {"steg": "3a", "datum": data["eskalering"][2]["datum"], "beskrivning": "Anmodan om rättelse.", "beslutsfattare": "teamet"},
        {"steg": "4a", "datum": data["eskalering"][4]["datum"], "beskrivning": "Kontrollplan.", "beslutsfattare": "namnd",
         "hoppade_over_anledning": "Nämnden begärde en kontrollplan direkt."},
    ]
    report = render(data, tmp_path)["slutrapport"]
    assert "Steg 4a Upprättande av kontrollplan: Nämnden begärde en kontrollplan direkt." in report.styled("List Bullet")


def test_final_report_proposals_and_outcome(rendered: dict[str, RenderedDocument], example: dict[str, Any]) -> None:
    report = rendered["slutrapport"]
    assert report.styled("List Number") == example["slutrapport"]["forslag_till_beslut"]
    assert "Till Hälso- och sjukvårdsnämnden" in report.styled("Beslut")
    proposals = report.markdown.split("## Förslag till beslut", 1)[1]
    block = proposals.split("Till Hälso- och sjukvårdsnämnden\n\n", 1)[1].split("\n\n", 2)[1]
    assert block.startswith("1. Nämnden godkänner slutrapporten.\n2. ") and "\n3. Nämnden förlänger kontrollplanen" in block
    assert "Den fördjupade uppföljningen fortsätter." in report.text


def test_final_report_leaks_nothing_internal(rendered: dict[str, RenderedDocument]) -> None:
    report = rendered["slutrapport"]
    for secret in ("Upprepade allvarliga brister", "ägarbyte", "Koncerninköp", "Allvarlighet"):
        assert secret not in report.text
        assert secret not in report.markdown


# --- The skeleton (mallgen new fordjupad) ------------------------------------------------------

# A commented-out optional field: "# " at the field's indentation, then a key or a list item.
COMMENTED_FIELD = re.compile(r"^(\s*)# (?=\s*(?:[a-z_]+:(?:\s|$)|- ))")


def uncomment_section(text: str, key: str) -> str:
    """What an officer does: remove "# " from the section's lines, from `# key:` to the next blank line."""
    out, inside, found = [], False, False
    for line in text.split("\n"):
        if line == f"# {key}:":
            inside = found = True
        elif inside and not line.strip():
            inside = False
        if inside:
            assert line.startswith("# "), f"line in section {key} is not commented with '# ': {line!r}"
            line = line[2:]
        out.append(line)
    assert found, f"section {key} missing from the skeleton"
    return "\n".join(out)


PLACEHOLDER = re.compile(r"är platshållaren från 'mallgen new'; fyll i (rätt datum|den riktiga uppgiften)$")


def fill_placeholders(text: str) -> str:
    """What an officer does next: every placeholder the skeleton wrote replaced by a real value
    ("Ange namn" -> "Namn", 000 00 -> 111 11, 2026-01-01 -> 2026-01-02, .example -> .se)."""
    text = re.sub(r"\b(?:Ange|Beskriv|Sammanfatta|Återge|Skriv|Fyll i) (\w)", lambda m: m.group(1).upper(), text)
    text = text.replace("ange.epost@", "namn@").replace("ange-arende-id", "fu-2026-001").replace(".example", ".se")
    text = re.sub(r"\bExempel\b", "Nord", text).replace("2026-01-01", "2026-01-02")
    lines = []
    for line in text.split("\n"):
        match = re.fullmatch(r"(\s*(?:# )?(?:- )?[\w]+: )(.*)", line)
        if match and re.search(r"\d", match.group(2)) and set(re.sub(r"\D", "", match.group(2))) == {"0"}:
            line = match.group(1) + match.group(2).replace("0", "1")
        lines.append(line)
    return "\n".join(lines)


def only_placeholders(stderr: str, path: Path) -> list[str]:
    """The errors of `path` that are not a placeholder left in (should be none); warnings aside."""
    return [line for line in stderr.splitlines()
            if line.startswith(str(path)) and not PLACEHOLDER.search(line) and not re.match(r"[^ ]+:\d+: varning:", line)]


def in_depth_sections() -> dict[str, str]:
    """Every section of an in-depth case file (section key -> document id), from the catalogue."""
    from generator.templates import catalogue, template_dirs

    return {t.id.replace("-", "_"): t.id for t in catalogue(tuple(template_dirs())).values()
            if t.source == "arende" and "fordjupad" in t.case_types and not t.confidential}


def uncomment_everything(text: str) -> str:
    """Every section and every optional field (except the organisation path, which names a file)."""
    for key in in_depth_sections():
        text = uncomment_section(text, key)
    while True:
        lines = [line if line.startswith("# organisation:") else COMMENTED_FIELD.sub(r"\1", line) for line in text.split("\n")]
        if "\n".join(lines) == text:
            return text
        text = "\n".join(lines)


def schema_paths(rule: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths of every field a schema knows (list items without index)."""
    definitions = yaml.safe_load((ROOT / "schema" / "definitioner.yaml").read_text(encoding="utf-8"))
    paths: set[str] = set()
    for key, sub in rule.items():
        path = f"{prefix}.{key}" if prefix else key
        paths.add(path)
        if not isinstance(sub, dict):
            continue
        inner = sub.get("schema")
        if sub.get("type") == "list" and isinstance(inner, dict):
            inner = inner.get("schema") if inner.get("type") == "dict" else None
        if isinstance(inner, str):
            inner = definitions[inner]
        if isinstance(inner, dict):
            paths |= schema_paths(inner, path)
    return paths


def data_paths(value: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path} | data_paths(sub, path)
    elif isinstance(value, list):
        for item in value:
            paths |= data_paths(item, prefix)
    return paths


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def test_new_writes_the_skeleton(cli, tmp_path: Path) -> None:
    target = tmp_path / "arende.yaml"
    result = cli("new", "fordjupad", "-o", target)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == skeleton_text()
    assert skeleton_text().startswith("# yaml-language-server: $schema=mallgen.schema.json\n")
    assert (tmp_path / "mallgen.schema.json").is_file()  # the schema the first line points to, written beside it
    assert f"mallgen validate {target}" in result.stdout
    printed = cli("new", "fordjupad")
    assert printed.exit_code == 0 and printed.stdout == skeleton_text()


def test_new_never_overwrites(cli, tmp_path: Path) -> None:
    target = tmp_path / "arende.yaml"
    target.write_text("arende: mitt pågående ärende\n", encoding="utf-8")
    result = cli("new", "fordjupad", "-o", target)
    assert result.exit_code == 1
    assert "finns redan och skrivs inte över" in result.stderr
    assert target.read_text(encoding="utf-8") == "arende: mitt pågående ärende\n"


def test_fresh_skeleton_names_its_placeholders_then_says_no_document_yet(cli, tmp_path: Path) -> None:
    target = tmp_path / "arende.yaml"
    assert cli("new", "fordjupad", "-o", target).exit_code == 0
    result = cli("validate", target)
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(target))]
    assert only_placeholders(result.stderr, target) == []
    text = target.read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("  rubrik:"))
    assert f"{target}:{line}: arende.rubrik: 'Ange ärendets rubrik' är platshållaren från 'mallgen new'; fyll i den riktiga uppgiften" in problems
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("  startdatum:"))
    assert f"{target}:{line}: arende.startdatum: 2026-01-01 är platshållaren från 'mallgen new'; fyll i rätt datum" in problems
    assert any(": vardgivare.adress.postnummer: '000 00' är platshållaren" in p for p in problems)
    assert any(": arende.diarienummer: 'HSN 0000-00000' är platshållaren" in p for p in problems)
    # once they are filled in, the only complaint is that no document has data yet (and, as the
    # skeleton names no profile yet, that the example region's is used)
    target.write_text(fill_placeholders(text), encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(target)) and ": varning: " not in line]
    assert len(problems) == 1, result.stderr
    assert "exempelprofilen för den påhittade Region Norrsund används" in result.stderr
    assert re.match(rf"{re.escape(str(target))}:\d+: ärendet har ännu inga uppgifter för något dokument; fyll i en dokumentsektion", problems[0])


@pytest.mark.parametrize("section", list(SECTIONS))
def test_each_skeleton_section_validates_when_uncommented(cli, tmp_path: Path, section: str) -> None:
    target = tmp_path / "arende.yaml"
    target.write_text(uncomment_section(skeleton_text(), section), encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 1 and only_placeholders(result.stderr, target) == [], result.output
    target.write_text(fill_placeholders(uncomment_section(skeleton_text(), section)), encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 0, result.output
    assert f"giltigt (1 dokument: {SECTIONS[section]})" in result.stdout


def test_skeleton_with_every_field_filled_in(cli, tmp_path: Path) -> None:
    from generator.errors import DataError
    from generator.pipeline import Options, validate_files

    text = uncomment_everything(skeleton_text())
    target = tmp_path / "arende.yaml"
    target.write_text(text, encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 1
    # Every problem, not only the ones the command line shows (it shows 50 per file): placeholders only.
    with pytest.raises(DataError) as raised:
        validate_files([target], Options())
    assert only_placeholders("\n".join(str(p) for p in raised.value.problems), target) == [], str(raised.value)
    text = fill_placeholders(text)
    target.write_text(text, encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 0, result.output
    # every section of the skeleton (kap. 5 included), and the anmodan's confidential attachment made from its journalposter
    listed = result.stdout.split(" dokument: ", 1)[1].rstrip(")\n").split(", ")
    assert {*in_depth_sections().values(), "anmodan-om-rattelse-bilaga"} <= set(listed), listed
    data = yaml.safe_load(text)
    # explanations stay comments: none was swallowed into a value (e.g. below a "|" block)
    assert [v for v in strings(data) if "#" in v] == []
    # every field of the base schema and of every section is in the skeleton
    base = yaml.safe_load((ROOT / "schema" / "bas.yaml").read_text(encoding="utf-8"))
    expected = schema_paths(base) - {"organisation"}
    for key, doc_id in in_depth_sections().items():
        section = yaml.safe_load((ROOT / "schema" / f"{doc_id}.yaml").read_text(encoding="utf-8"))
        expected |= {key} | schema_paths(section["schema"], key)
    # The person fields are shown once, under the officer; personnummer is mentioned, never exemplified.
    expected = {
        p for p in expected
        if not p.endswith(".personnummer") and not re.fullmatch(r"personer\.(?!handlaggare\.)\w+\.(telefon|epost)", p)
    }
    assert sorted(expected - data_paths(data)) == []
    assert "# organisation:" in text


def test_skeleton_holds_no_real_looking_person_data() -> None:
    text = skeleton_text()
    data = yaml.safe_load(uncomment_everything(text))
    names = [p["namn"] for p in data["personer"].values()]
    assert names and all(name.startswith("Ange ") for name in names)
    assert not re.search(r"\b\d{6,8}[-+]\d{4}\b", text.replace("559123-4561", ""))  # no personnummer-shaped values
