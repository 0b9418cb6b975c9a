"""`mallgen new` for every kind of file: generated from the schemas (so a new schema field or a new
document shows up without anyone editing a skeleton); every placeholder is named when the file is
checked as written, and once they are replaced the file is valid, also with every optional field
filled in. The in-depth case skeleton has its own tests in test_documents_besluta.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from test_documents_besluta import COMMENTED_FIELD, fill_placeholders, only_placeholders, uncomment_section

from generator.skeleton import skeleton

SCHEMA_LINE = "# yaml-language-server: $schema=mallgen.schema.json\n"


def uncomment_all(text: str) -> str:
    while True:
        lines = [line if line.startswith("# organisation:") else COMMENTED_FIELD.sub(r"\1", line) for line in text.split("\n")]
        if "\n".join(lines) == text:
            return text
        text = "\n".join(lines)


@pytest.mark.parametrize("kind", ["fordjupad", "lopande", "team", "organisation"])
def test_every_skeleton_starts_with_the_schema_line_and_is_printed_without_o(cli, kind: str) -> None:
    result = cli("new", kind)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(SCHEMA_LINE)
    assert result.stdout == skeleton(kind)


def test_routine_case_skeleton_is_a_valid_routine_case(cli, tmp_path: Path) -> None:
    target = tmp_path / "avtal-2026.yaml"
    assert cli("new", "lopande", "-o", target).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["arende"]["typ"] == "lopande"
    assert only_placeholders(cli("validate", target).stderr, target) == []
    text = fill_placeholders(text)
    target.write_text(text, encoding="utf-8")
    result = cli("validate", target)
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(target)) and ": varning: " not in line]
    assert len(problems) == 1 and "ärendet har ännu inga uppgifter för något dokument" in problems[0], result.stderr
    from generator.templates import catalogue, template_dirs

    routine = [t.id for t in catalogue(tuple(template_dirs())).values()
               if t.source == "arende" and "lopande" in t.case_types and not t.confidential]
    for document in routine[:1]:  # every routine section is checked in test_every_documents_section_validates_when_uncommented
        filled = tmp_path / "ifylld.yaml"
        filled.write_text(uncomment_section(text, document.replace("-", "_")), encoding="utf-8")
        result = cli("validate", filled)
        assert result.exit_code == 0, result.output


def test_team_skeleton_passes_the_report_check_once_its_placeholders_are_filled_in(cli, tmp_path: Path) -> None:
    target = tmp_path / "team.yaml"
    result = cli("new", "team", "-o", target)
    assert result.exit_code == 0, result.output
    assert f"mallgen report --year ÅÅÅÅ {target} --kontrollera" in result.stdout
    result = cli("report", "--year", "2026", target, "--kontrollera")
    assert result.exit_code == 1 and only_placeholders(result.stderr, target) == [], result.output
    for path in (tmp_path / "ifyllt" / "team.yaml", tmp_path / "allt" / "team.yaml"):
        path.parent.mkdir()
        text = target.read_text(encoding="utf-8")
        if path.parent.name == "allt":
            # As an officer fills it in: each document section's "# " removed (its Markdown blocks with
            # it), then every optional field.
            for document in team_sections():
                text = uncomment_section(text, document.replace("-", "_"))
            text = uncomment_all(text).replace("avtalsregister: avtalsregister.csv", "# avtalsregister: –")
            assert "arssummering" in yaml.safe_load(text)
        path.write_text(fill_placeholders(text), encoding="utf-8")
        result = cli("report", "--year", "2026", path, "--kontrollera")
        assert result.exit_code == 0, result.output
        assert "1 teamunderlag" in result.stdout


def test_organisation_skeleton_is_a_valid_profile_once_its_placeholders_are_filled_in(tmp_path: Path) -> None:
    from generator.organisation import load_profile

    text = skeleton("organisation")
    path = tmp_path / "organisation.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = load_profile(path)
    shown = "\n".join(str(p) for p in problems)
    assert problems and only_placeholders(shown, path) == [], shown
    assert f"{path}:{text.splitlines().index('region: Region Exempel') + 1}: region: 'Region Exempel' är platshållaren" in shown
    for name, content in (("organisation.yaml", text), ("ifylld.yaml", uncomment_all(text))):
        path = tmp_path / name
        path.write_text(fill_placeholders(content), encoding="utf-8")
        profile, problems = load_profile(path)
        assert [str(p) for p in problems] == []
        assert re.fullmatch(profile["diarienummer_monster"], profile["diarienummer_exempel"])


def test_a_new_schema_field_and_a_case_type_restriction_reach_the_skeletons(cli, tmp_path: Path) -> None:
    """Nothing is kept by hand: a user's template with its own schema appears in the skeletons of
    the case types its front matter names (`arendetyp`), and only there."""
    mallar = tmp_path / "mallar"
    result = cli("new", "mall", "granskningslogg", "-o", mallar)
    assert result.exit_code == 0, result.output
    source = mallar / "granskningslogg" / "dokument.md"
    source.write_text(source.read_text(encoding="utf-8").replace("malgrupp: intern\n", "malgrupp: intern\narendetyp: [fordjupad]\n"), encoding="utf-8")
    schema = mallar / "granskningslogg.yaml"
    schema.write_text(schema.read_text(encoding="utf-8") + '  aktiviteter: {type: list, required: true, schema: {type: string}, meta: {beskrivning: "Granskningens aktiviteter", exempel: [Ange aktivitet]}}\n', encoding="utf-8")
    in_depth = cli("new", "fordjupad", "--mallar", mallar).stdout
    routine = cli("new", "lopande", "--mallar", mallar).stdout
    assert "\n# granskningslogg:\n#   # Dokumentets datum.\n#   datum: 2026-01-01\n" in in_depth
    assert "#   # Granskningens aktiviteter.\n#   aktiviteter:\n#     - Ange aktivitet\n" in in_depth
    assert "granskningslogg" not in routine
    case = tmp_path / "arende.yaml"
    case.write_text(fill_placeholders(uncomment_section(in_depth, "granskningslogg")), encoding="utf-8")
    result = cli("validate", case, "--mallar", mallar)
    assert result.exit_code == 0, result.output
    assert "giltigt (1 dokument: granskningslogg)" in result.stdout


def test_new_template_folder_holds_source_schema_and_sample(cli, tmp_path: Path) -> None:
    mallar = tmp_path / "egna-mallar"
    result = cli("new", "mall", "informationsbrev", "-o", mallar)
    assert result.exit_code == 0, result.output
    folder = mallar / "informationsbrev"
    assert result.stdout.splitlines() == [
        f"Skrev {folder / 'dokument.md'}",
        f"Skrev {mallar / 'informationsbrev.yaml'}",
        f"Skrev {folder / 'exempel.yaml'}",
        f"Fyll i titel, avsnitt och målgrupp i {folder / 'dokument.md'} och kontrollera med: mallgen check --mallar {mallar}",
    ]
    listed = cli("documents", "--mallar", mallar)
    assert re.search(r"^informationsbrev\s+Ange dokumentets titel\s+Ange avsnitt i handboken\s+Intern\s+1\.0\s+från \d{4}-\d{2}-\d{2}$",
                     listed.stdout, re.M), listed.stdout
    sample = yaml.safe_load((folder / "exempel.yaml").read_text(encoding="utf-8"))
    assert sample["bas"] == "fordjupad" and set(sample["informationsbrev"]) == {"datum", "sammanfattning"}
    again = cli("new", "mall", "informationsbrev", "-o", mallar)
    assert again.exit_code == 1 and "finns redan och skrivs inte över" in again.stderr
    bad = cli("new", "mall", "Informationsbrev", "-o", mallar)
    assert bad.exit_code == 2
    assert bad.stderr == "Fel: id 'Informationsbrev' får bara innehålla små bokstäver a–z, siffror och bindestreck\n"
    assert cli("new", "mall").exit_code == 2


def test_in_the_bundled_layout_the_schema_stub_goes_to_schema(cli, tmp_path: Path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "mallar").mkdir()
    assert cli("new", "mall", "ny", "-o", tmp_path / "mallar").exit_code == 0
    assert (tmp_path / "schema" / "ny.yaml").is_file()
    assert not (tmp_path / "mallar" / "ny.yaml").exists()


def test_no_skeleton_is_kept_by_hand() -> None:
    assert not (ROOT / "mallar" / "_nytt").exists()


def team_sections() -> list[str]:
    from generator.templates import catalogue, template_dirs

    return [t.id for t in catalogue(tuple(template_dirs())).values() if t.source == "team"]


def case_sections() -> list[tuple[str, str]]:
    from generator.templates import catalogue, template_dirs

    return [(kind, t.id) for t in catalogue(tuple(template_dirs())).values() if t.source == "arende" and not t.confidential for kind in t.case_types]


@pytest.mark.parametrize(("kind", "document"), case_sections())
def test_every_documents_section_validates_when_uncommented(cli, tmp_path: Path, kind: str, document: str) -> None:
    """Generic over the catalogue: a new document's schema needs placeholders (meta.exempel) that
    pass its own checks once filled in, and every placeholder left in is named, or this fails for it."""
    key = document.replace("-", "_")
    target = tmp_path / "arende.yaml"
    target.write_text(uncomment_section(skeleton(kind), key), encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 1 and only_placeholders(result.stderr, target) == [], result.output
    target.write_text(fill_placeholders(uncomment_section(skeleton(kind), key)), encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 0, result.output
    assert f"giltigt (1 dokument: {document})" in result.stdout
