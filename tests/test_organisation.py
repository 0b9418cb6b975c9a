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
