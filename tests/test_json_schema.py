"""`mallgen schema`: the JSON Schema editors use. Every example validates against it, a misspelt
key or a value outside an enum fails it, and it carries the Swedish descriptions."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import EXAMPLES, ROOT

from generator.case import read_yaml

EXAMPLE_FILES = sorted(p for p in EXAMPLES.rglob("*.yaml"))


def as_editor_sees(value: Any) -> Any:
    """A YAML language server reads YAML 1.2: a date is a string like any other."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees(v) for v in value]
    return value


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from click.testing import CliRunner

    from generator.cli import main

    target = tmp_path_factory.mktemp("schema") / "mallgen.schema.json"
    result = CliRunner().invoke(main, ["schema", "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Skrev {target}.\n"
    loaded: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def errors(schema: dict[str, Any], data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(as_editor_sees(data))]


def test_examples_are_found() -> None:
    names = {p.name for p in EXAMPLE_FILES}
    assert {"fordjupad-vardcentral.yaml", "radiologi.yaml", "rapport.yaml", "organisation.yaml"} <= names
    assert len(EXAMPLE_FILES) > 30


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_validates(schema: dict[str, Any], path: Path) -> None:
    assert errors(schema, read_yaml(path).data) == []


def test_a_misspelt_key_fails_at_every_level(schema: dict[str, Any]) -> None:
    case = read_yaml(EXAMPLES / "arenden" / "fordjupad-vardcentral.yaml").data
    top = copy.deepcopy(case)
    top["vardgivre"] = top.pop("vardgivare")
    found = errors(schema, top)
    assert any("'vardgivre' was unexpected" in e for e in found), found
    assert any("'vardgivare' is a required property" in e for e in found), found

    nested = copy.deepcopy(case)
    nested["kallelse_dialogmote"]["mote"]["plats"]["lokall"] = "Regionhuset"
    assert any(e.startswith("kallelse_dialogmote/mote/plats: ") and "'lokall' was unexpected" in e for e in errors(schema, nested))

    in_list = copy.deepcopy(case)
    in_list["avvikelser"][0]["rubrk"] = "x"
    assert any(e.startswith("avvikelser/0: ") and "'rubrk' was unexpected" in e for e in errors(schema, in_list))

    team = read_yaml(EXAMPLES / "rapport" / "team" / "radiologi.yaml").data
    team["kommentar"]["slutsats"] = "x"
    assert any(e.startswith("kommentar: ") and "'slutsats' was unexpected" in e for e in errors(schema, team))


def test_enums_patterns_types_and_required_fields_are_checked(schema: dict[str, Any]) -> None:
    case = read_yaml(EXAMPLES / "arenden" / "fordjupad-vardcentral.yaml").data
    wrong = copy.deepcopy(case)
    wrong["avtal"]["avtalsform"] = "LOX"
    wrong["vardgivare"]["adress"]["postnummer"] = "12"
    wrong["kallelse_dialogmote"]["svar_senast"] = "snart"
    wrong["avtal"]["ersattning_per_ar"] = -5
    del wrong["arende"]["rubrik"]
    found = errors(schema, wrong)
    assert any(e.startswith("avtal/avtalsform: 'LOX' is not one of ['LOU', 'LOV', 'LOL', 'LOF', 'IOP']") for e in found), found
    assert any(e.startswith("vardgivare/adress/postnummer: '12' does not match") for e in found), found
    assert any(e.startswith("kallelse_dialogmote/svar_senast: ") for e in found), found
    assert any(e.startswith("avtal/ersattning_per_ar: -5 is less than the minimum of 0") for e in found), found
    assert any(e == "arende: 'rubrik' is a required property" for e in found), found


def test_swedish_descriptions_enums_and_internal_markers_come_from_the_cerberus_schemas(schema: dict[str, Any]) -> None:
    case = schema["$defs"]["arendefil"]["properties"]
    assert case["avtal"]["properties"]["namnd"]["description"] == (
        "Id för ansvarig nämnd eller styrelse i organisationsprofilen (exempelprofilen: hsn eller rs). Slutrapporten ställs till den.")
    assert case["verksamhetsbedomning"]["description"].startswith("INTERNT: lämnar aldrig teamet.")
    assert case["verksamhetsbedomning"]["properties"]["farg"]["enum"] == ["gron", "gul", "rod"]
    assert case["organisation"]["description"].startswith("Organisationsprofilen (region, nämnder, diarienummermönster, brevhuvud), relativt den här filen.")
    assert "Markdown är tillåtet" in case["avvikelser"]["items"]["properties"]["beskrivning"]["description"]
    section = case["kallelse_dialogmote"]
    assert section["title"] == "Kallelse till dialogmöte"
    assert section["description"].startswith("Kallelse till dialogmöte (handboken 3.2); målgrupp: extern.")
    assert section["properties"]["mote"]["required"] == ["datum", "start", "slut", "plats"]
    assert case["personer"]["properties"]["handlaggare"] == {
        "$ref": "#/$defs/person", "description": "Ansvarig handläggare. Skriver under dokumenten och är kontaktperson i dem."}
    # every document made from a case file has its section; the annual report's have none
    bundled = yaml.safe_load((ROOT / "mallar" / "slutrapport" / "dokument.md").read_text(encoding="utf-8").split("---")[1])
    assert bundled["id"] == "slutrapport" and "slutrapport" in case
    assert "samlad_aterrapportering" not in case
    team = schema["$defs"]["teamunderlag"]["properties"]
    assert team["arssummering"]["description"].startswith("INTERNT")


def test_schema_is_printed_without_o_and_never_overwrites_another_file(cli, tmp_path: Path) -> None:
    printed = cli("schema")
    assert printed.exit_code == 0
    assert json.loads(printed.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    other = tmp_path / "annat.json"
    other.write_text('{"title": "något annat"}\n', encoding="utf-8")
    result = cli("schema", "-o", other)
    assert result.exit_code == 1
    assert result.stderr == f"Fel: {other}: filen finns redan och är inte ett schema från mallgen; den skrivs inte över. Välj ett annat namn med -o.\n"
    assert other.read_text(encoding="utf-8") == '{"title": "något annat"}\n'
    ours = tmp_path / "mallgen.schema.json"
    assert cli("schema", "-o", ours).exit_code == 0
    again = cli("schema", "-o", ours)
    assert again.exit_code == 0 and again.stdout == f"{ours} är redan aktuell.\n"


def test_a_section_for_one_case_type_only_fails_in_the_other(cli, tmp_path: Path) -> None:
    """`arendetyp: [fordjupad]` in a template's front matter: its section is refused in a routine case."""
    mallar = tmp_path / "mallar"
    assert cli("new", "mall", "granskningslogg", "-o", mallar).exit_code == 0
    source = mallar / "granskningslogg" / "dokument.md"
    source.write_text(source.read_text(encoding="utf-8").replace("malgrupp: intern\n", "malgrupp: intern\narendetyp: [fordjupad]\n"), encoding="utf-8")
    target = tmp_path / "schema.json"
    assert cli("schema", "--mallar", mallar, "-o", target).exit_code == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    case = read_yaml(EXAMPLES / "arenden" / "fordjupad-vardcentral.yaml").data
    case["granskningslogg"] = {"datum": dt.date(2026, 3, 1), "sammanfattning": "Loggen."}
    assert errors(schema, case) == []
    case["arende"]["typ"] = "lopande"
    found = errors(schema, case)
    # Every in-depth-only section of the example is refused, the new one among them.
    assert ": False schema does not allow {'datum': '2026-03-01', 'sammanfattning': 'Loggen.'}" in found, found
    from generator.templates import catalogue, template_dirs

    in_depth_only = [key for key in case if (t := catalogue(tuple(template_dirs(mallar))).get(key.replace("_", "-"))) and t.case_types == ("fordjupad",)]
    assert len(found) == len(in_depth_only) and all(f.startswith(": False schema does not allow") for f in found), found
