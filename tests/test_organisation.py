"""The organisation profile: another region changes one YAML file, and mistakes in it are reported with lines."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLE, EXAMPLES


def profile_case(tmp_path: Path, replace: tuple[str, str]) -> tuple[Path, Path]:
    profile = tmp_path / "organisation.yaml"
    profile.write_text((EXAMPLES / "organisation.yaml").read_text(encoding="utf-8").replace(*replace), encoding="utf-8")
    case = tmp_path / "arende.yaml"
    case.write_text(EXAMPLE.read_text(encoding="utf-8").replace("organisation: ../organisation.yaml", "organisation: organisation.yaml"), encoding="utf-8")
    return profile, case


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_low_contrast_colour_is_refused(cli, tmp_path: Path) -> None:
    profile, case = profile_case(tmp_path, ("farg: '#1d4f73'", "farg: '#ffcc00'"))
    result = cli("validate", case)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{profile}:{line_of(profile, 'farg:')}: farg: färgen #ffcc00 har för låg kontrast mot vitt (1.5:1, minst 4.5:1 krävs för tillgänglighet); välj en mörkare färg"
    )


def test_diarienummer_pattern_of_the_profile_applies_to_cases(cli, tmp_path: Path) -> None:
    profile, case = profile_case(tmp_path, ("diarienummer_monster: '^(HSN|RS) \\d{4}-\\d{5}$'", "diarienummer_monster: '^RS-\\d{4}-\\d{3}$'"))
    profile.write_text(profile.read_text(encoding="utf-8").replace("diarienummer_exempel: HSN 2026-00123", "diarienummer_exempel: RS-2026-001"), encoding="utf-8")
    result = cli("validate", case)
    assert result.exit_code == 1
    assert f"{case}:{line_of(case, 'diarienummer: HSN 2026-00123')}: arende.diarienummer: diarienumret följer inte organisationens mönster (^RS-\\d{{4}}-\\d{{3}}$)" in result.stderr.splitlines()


def test_unknown_board_in_contract_names_the_known_ones(cli, tmp_path: Path) -> None:
    _, case = profile_case(tmp_path, ("id: hsn", "id: vn"))
    result = cli("validate", case)
    assert result.exit_code == 1
    assert f"{case}:{line_of(case, '  namnd: hsn')}: avtal.namnd: nämnden 'hsn' finns inte i organisationsprofilen (kända: vn, rs)" in result.stderr.splitlines()


def test_a_case_without_a_profile_is_warned_about_the_example_region(cli, tmp_path: Path) -> None:
    """No silent fallback: the officer is told the fictional region's profile is used."""
    case = tmp_path / "arende.yaml"
    case.write_text("\n".join(line for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if not line.startswith("organisation:")) + "\n",
                    encoding="utf-8")
    warning = (f"{case}:{line_of(case, 'arende:')}: varning: ingen organisationsprofil är angiven (varken --organisation, fältet "
               "'organisation:' eller organisation.yaml i ärendets mapp), så exempelprofilen för den påhittade Region Norrsund används "
               f"({EXAMPLES.resolve() / 'organisation.yaml'}) och dokumenten märks EXEMPEL; ange er egen profil")
    validated = cli("validate", case)
    assert validated.exit_code == 0, validated.output
    assert validated.stderr.splitlines() == [warning]
    rendered = cli("render", case, "-d", "kallelse-dialogmote", "-f", "md", "-o", tmp_path / "ut")
    assert rendered.exit_code == 0, rendered.output
    assert rendered.stderr.splitlines() == [warning]
    assert "(EXEMPEL – fiktiv region)" in (tmp_path / "ut" / "FU-2026-014" / "kallelse-dialogmote.md").read_text(encoding="utf-8")
    # with a profile beside the case, nothing to say
    (tmp_path / "organisation.yaml").write_text((EXAMPLES / "organisation.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("validate", case).stderr == ""


def test_validate_recognises_a_profile_given_as_input(cli, tmp_path: Path) -> None:
    result = cli("validate", EXAMPLES / "organisation.yaml")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"{EXAMPLES / 'organisation.yaml'}: varning: det här är en organisationsprofil, inte en ärendefil; den är giltig. Ärenden "
        "använder den med fältet 'organisation:', med --organisation eller när den ligger bredvid dem som organisation.yaml"
    ]
    # a broken profile gets its own errors, not those of a case file missing every field
    profile, _ = profile_case(tmp_path, ("farg: '#1d4f73'", "farg: '#ffcc00'"))
    result = cli("validate", profile)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{profile}:{line_of(profile, 'farg:')}: farg: färgen #ffcc00 har för låg kontrast mot vitt (1.5:1, minst 4.5:1 krävs för "
        "tillgänglighet); välj en mörkare färg",
        "1 fel hittades. Rätta det och kör kommandot igen.",
    ]
