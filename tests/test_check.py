"""`mallgen check`: the handbook owner's lint of every template without case data, and the
comparison of each template's sample with its accepted text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

MALLAR = ROOT / "mallar"
DOC = "kallelse-dialogmote"


def bundled_warnings() -> list[str]:
    """Warnings the bundled call-in has on purpose: fields the handbook's rules (not the schema)
    make required for one kind of meeting place."""
    return [
        "varning: 'm.plats.anslutning' (dokument.mote.plats.anslutning) är valfritt i schemat och kan saknas men används utan skydd; "
        "omge det med {% if m.plats.anslutning %} … {% endif %} eller ge ett reservvärde (m.plats.anslutning or \"–\")",
        "varning: 'm.plats.lokal' (dokument.mote.plats.lokal) är valfritt i schemat och kan saknas men skrivs ut utan skydd; "
        "omge det med {% if m.plats.lokal %} … {% endif %} eller ge ett reservvärde (m.plats.lokal or \"–\")",
    ]


@pytest.fixture
def own(tmp_path: Path) -> Path:
    """A user's template folder holding a copy of the call-in with its sample and accepted text."""
    folder = tmp_path / "egna"
    shutil.copytree(MALLAR / DOC, folder / DOC)
    return folder


def edit(folder: Path, old: str, new: str, name: str = "dokument.md") -> Path:
    path = folder / DOC / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def findings(result) -> list[str]:
    return result.stderr.splitlines()


def test_bundled_templates_have_no_errors(cli) -> None:
    result = cli("check")
    assert result.exit_code == 0, result.output
    summary = result.stdout.splitlines()[-1]
    assert summary.endswith(" kontrollerade: 0 fel, 3 varningar.") or " kontrollerade: 0 fel" in summary, summary
    for warning in bundled_warnings():
        assert any(line.endswith(warning) for line in findings(result)), result.stderr


def test_every_bundled_template_has_a_sample_and_an_accepted_text() -> None:
    from generator.samples import sample_path
    from generator.templates import catalogue

    templates = catalogue((MALLAR,))
    assert len(templates) >= 9
    for template in templates.values():
        # A confidential attachment is made from its parent's section and may use the parent's sample.
        own = template.folder / "exempel.yaml"
        assert own.is_file() or (template.parent and sample_path(template) == MALLAR / template.parent / "exempel.yaml"), template.id
        assert sample_path(template).is_file(), template.id
        assert (template.folder / "exempel.godkand.md").is_file(), template.id


def test_a_clean_copy_passes(cli, own: Path) -> None:
    result = cli("check", "--mallar", own)
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 mall kontrollerade: 0 fel, 2 varningar.\n"
    source = own / DOC / "dokument.md"
    assert findings(result) == [
        f"{source}:{line_of(source, 'm.plats.anslutning | lank')}: {bundled_warnings()[0]}",
        f"{source}:{line_of(source, '{{ m.plats.lokal }}')}: {bundled_warnings()[1]}",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{{ arende.rubrik }}", "{{ arende.rubirk }}", "fältet 'rubirk' finns inte i 'arende'; menade du 'rubrik'?"),
        ("{{ vardgivare.verksamhet or vardgivare.namn }}", "{{ vardgivre.namn }}",
         "'vardgivre' finns inte i sammanhanget för ett ärendedokument; menade du 'vardgivare'?"),
        ("{{ m.datum | datum }}", "{{ m.datum | datm }}",
         "filtret 'datm' finns inte; menade du 'datum'? mallgens egna filter: datum, iso, belopp, tal, klockslag, janej, person, bilaga, "
         "md, lank, fyll"),
        ("{{ m.datum | datum }}", "{{ m.datum is datum }}", "testet 'datum' finns inte"),
        ("{{ a.rubrik }}", "{{ a.allvarlighet }}",
         "'a.allvarlighet' är internt (intern: true i schemat) och finns inte i dokument med målgrupp extern; det lämnar aldrig teamet. "
         "Visa det bara i ett internt dokument"),
        ("Välkomna!", "{{ verksamhetsbedomning.farg }}",
         "'verksamhetsbedomning' är internt (intern: true i schemat) och finns inte i dokument med målgrupp extern; det lämnar aldrig teamet. "
         "Visa det bara i ett internt dokument"),
        ("{{ m.datum | datum }}", "{{ m.datum.plats }}", "'m.datum' är ett datum och har inget fält 'plats'"),
        ("{% for a in kanda %}", "{% for a in avvikelser | selectattr('upptakt') %}",
         "fältet 'upptakt' finns inte i listans poster; menade du 'upptackt'?"),
        ("{{ dokument.svar_senast | datum }}", "{{ dokument.syfte | md | replace('a', 'b') }}",
         "filtret 'replace' efter 'md' gör texten till vanlig text igen, så att Markdown-tecknen skrivs ut som tecken; "
         "sätt md sist: dokument.syfte | replace(…) | md"),
        ("{{ arende.rubrik }}", "{{ arende.rubrik }", "syntaxfel: oväntat '}'; kontrollera klamrarna {{ }} och {% %}"),
        ("{{ dokument.ovrigt | md }}", "{{ dokument.ovrigt }}",
         "'dokument.ovrigt' är Markdown (meta.fritext i schemat) men skrivs ut som vanlig text, så att fetstil, länkar och listor "
         "syns som tecken; skriv {{ dokument.ovrigt | md }}"),
        ("{{ a.beskrivning | md }}", "{{ a.beskrivning }}",
         "'a.beskrivning' är Markdown (meta.fritext i schemat) men skrivs ut som vanlig text, så att fetstil, länkar och listor "
         "syns som tecken; skriv {{ a.beskrivning | md }}"),
    ],
)
def test_static_errors_point_at_the_template_line(cli, own: Path, old: str, new: str, expected: str) -> None:
    source = edit(own, old, new)
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    assert f"{source}:{line_of(source, new)}: {expected}" in findings(result), result.stderr


def test_optional_fields_need_a_guard_and_a_guard_is_understood(cli, own: Path) -> None:
    source = edit(own, "Välkomna!", "Hälsningar till {{ vardgivare.kontaktperson.namn }} och {{ vardgivare.hsa_id | upper }}.")
    result = cli("check", "--mallar", own)
    line = line_of(source, "Hälsningar till")
    assert (f"{source}:{line}: varning: 'vardgivare.kontaktperson' är valfritt i schemat och kan saknas men används utan skydd; "
            "omge det med {% if vardgivare.kontaktperson %} … {% endif %} eller ge ett reservvärde (vardgivare.kontaktperson or \"–\")") in findings(result)
    assert any(f.startswith(f"{source}:{line}: varning: 'vardgivare.hsa_id' är valfritt") for f in findings(result))
    guarded = (
        "{% if vardgivare.kontaktperson and vardgivare.hsa_id %}Hälsningar till {{ vardgivare.kontaktperson.namn }} och "
        "{{ vardgivare.hsa_id | upper }}.{% endif %} {{ vardgivare.verksamhetschef or \"–\" }} "
        "{{ vardgivare.hsa_id if vardgivare.hsa_id is not none else \"\" }}"
    )
    edit(own, "Hälsningar till {{ vardgivare.kontaktperson.namn }} och {{ vardgivare.hsa_id | upper }}.", guarded)
    result = cli("check", "--mallar", own)
    assert not [f for f in findings(result) if "vardgivare." in f], result.stderr


def test_internal_fields_are_fine_in_an_internal_document(cli, own: Path) -> None:
    edit(own, "malgrupp: extern", "malgrupp: intern")
    edit(own, "Välkomna!", "{% if verksamhetsbedomning %}{{ verksamhetsbedomning.farg }}{% endif %}")
    result = cli("check", "--mallar", own)
    assert not [f for f in findings(result) if "internt" in f], result.stderr


def test_errors_in_an_included_partial_name_the_partial_and_the_document(cli, own: Path) -> None:
    partial = own / "_gemensamt" / "hej.md"
    partial.parent.mkdir()
    partial.write_text("Hej {{ vardgivare.nman }}\n", encoding="utf-8")
    edit(own, "Välkomna!", '{% include "_gemensamt/hej.md" %}')
    result = cli("check", "--mallar", own)
    assert f"{partial}:1: fältet 'nman' finns inte i 'vardgivare'; menade du 'namn'? (inkluderad i {DOC})" in findings(result), result.stderr


def test_accessibility_of_the_template_itself(cli, own: Path) -> None:
    source = edit(own, "## Tid och plats", "#### Tid och plats")
    edit(own, "Välkomna!", "# En andra titel\n\n![](diagram:x)\n\n| Namn | |\n|---|---|\n| a | b |\n")
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    got = findings(result)
    assert f"{source}:{line_of(source, '#### Tid och plats')}: rubriknivån hoppar från 1 till 4; använd ## här" in got
    assert f"{source}:{line_of(source, '# En andra titel')}: mer än en huvudrubrik (#); ett dokument har en titel, använd ## för avsnitt" in got
    assert f"{source}:{line_of(source, '![](diagram:x)')}: bilden saknar alternativtext; skriv den inom hakparenteserna, ![text](…)" in got
    assert f"{source}:{line_of(source, '| Namn | |')}: tabellen saknar rubrik i kolumn 2; varje kolumn behöver en rubrik" in got


def test_front_matter(cli, own: Path) -> None:
    source = edit(own, 'version: "1.0"', "version: 1.10\nmottagare: vardgivare")
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    assert (f"{source}:6: skriv versionen inom citattecken, version: \"1.1\" (utan dem blir till exempel 1.10 talet 1.1)") in findings(result)
    assert any(f.startswith(f"{source}:7: varning: okänt fält 'mottagare' i front matter; kända fält: id, titel") for f in findings(result))
    edit(own, "giltig_fran: 2026-01-01\n", "")
    result = cli("check", "--mallar", own)
    assert f"{source}:1: front matter saknar giltig_fran" in findings(result)


def test_versions_may_not_overlap_and_are_named_after_their_version(cli, own: Path) -> None:
    (own / DOC / "versioner").mkdir()
    old = (own / DOC / "dokument.md").read_text(encoding="utf-8").replace('version: "1.0"', 'version: "0.9"')
    (own / DOC / "versioner" / "0.8.md").write_text(old, encoding="utf-8")
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    path = own / DOC / "versioner" / "0.8.md"
    assert f"{path}:6: filen för version 0.9 ska heta versioner/0.9.md" in findings(result)
    assert f"{path}:7: en äldre version behöver giltig_till (sista dagen den gäller)" in findings(result)
    assert (f"{own / DOC / 'dokument.md'}:7: version 1.0 (från 2026-01-01) överlappar version 0.9 (giltig till tills vidare); "
            "sätt giltig_till på version 0.9") in findings(result)
    path.rename(path.with_name("0.9.md"))
    fixed = path.with_name("0.9.md")
    fixed.write_text(old.replace("giltig_fran: 2026-01-01", "giltig_fran: 2025-01-01\ngiltig_till: 2025-12-31"), encoding="utf-8")
    result = cli("check", "--mallar", own)
    assert result.exit_code == 0, result.output


def test_a_template_without_a_sample_fails(cli, own: Path) -> None:
    (own / DOC / "exempel.yaml").unlink()
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    assert (f"{own / DOC / 'dokument.md'}:1: mallen saknar exempel: lägg exempeldata i exempel.yaml bredvid mallen "
            "(se 'För handboksansvariga' i README)") in findings(result)


def test_sample_errors_point_into_the_sample_or_its_base(cli, own: Path) -> None:
    sample = edit(own, "    start: \"09:30\"", "    start: \"9.30 ungefär\"", name="exempel.yaml")
    base = own / "_exempel" / "fordjupad.yaml"
    base.parent.mkdir()
    base.write_text((MALLAR / "_exempel" / "fordjupad.yaml").read_text(encoding="utf-8").replace("orgnr: 559301-2205", "orgnr: 559301-2206"),
                    encoding="utf-8")
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    assert (f"{sample}:{line_of(sample, 'start:')}: kallelse_dialogmote.mote.start: '9.30 ungefär' har fel form (skriv klockslaget som TT.MM eller TT:MM, till exempel 09.30)"
            in findings(result)), result.stderr
    assert (f"{base}:{line_of(base, 'orgnr:')}: vardgivare.orgnr: ogiltigt organisationsnummer (kontrollsiffran stämmer inte)"
            in findings(result)), result.stderr


def test_a_changed_text_shows_a_diff_and_godkann_accepts_it(cli, own: Path) -> None:
    edit(own, "Välkomna!", "Varmt välkomna!")
    baseline = own / DOC / "exempel.godkand.md"
    before = baseline.read_text(encoding="utf-8")
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    line = line_of(baseline, "Välkomna!")
    lines = findings(result)
    index = lines.index(f"{baseline}:{line}: exemplets text skiljer sig från den godkända; granska skillnaden och godkänn den med "
                        "'mallgen check --godkann' om ändringen är avsiktlig")
    assert lines[index + 1:index + 3] == [f"--- {baseline} (godkänd)", "+++ nu"]
    assert "-Välkomna!" in lines and "+Varmt välkomna!" in lines
    assert baseline.read_text(encoding="utf-8") == before  # nothing is accepted without --godkann

    accepted = cli("check", "--mallar", own, "--godkann")
    assert accepted.exit_code == 0, accepted.output
    assert f"{baseline}: ny godkänd text." in accepted.stdout.splitlines()
    assert "Varmt välkomna!" in baseline.read_text(encoding="utf-8").splitlines()
    again = cli("check", "--mallar", own)
    assert again.exit_code == 0 and again.stdout == "1 mall kontrollerade: 0 fel, 2 varningar.\n"


def test_missing_baseline_is_an_error_until_accepted(cli, own: Path) -> None:
    (own / DOC / "exempel.godkand.md").unlink()
    result = cli("check", "--mallar", own)
    assert result.exit_code == 1
    assert (f"{own / DOC / 'exempel.yaml'}:1: ingen godkänd text finns (exempel.godkand.md); granska dokumentet "
            f"(mallgen preview {DOC}) och godkänn det med 'mallgen check --godkann'") in findings(result)
    assert cli("check", "--mallar", own, "--godkann").exit_code == 0
    assert (own / DOC / "exempel.godkand.md").read_text(encoding="utf-8") == (MALLAR / DOC / "exempel.godkand.md").read_text(encoding="utf-8")


def test_a_new_template_from_mallgen_new_checks_clean_once_accepted(cli, tmp_path: Path) -> None:
    folder = tmp_path / "mallar"
    assert cli("new", "mall", "informationsbrev", "-o", folder).exit_code == 0
    first = cli("check", "--mallar", folder)
    assert first.exit_code == 1
    assert [f for f in findings(first) if "ingen godkänd text" not in f] == []
    assert cli("check", "--mallar", folder, "--godkann").exit_code == 0
    result = cli("check", "--mallar", folder)
    assert result.exit_code == 0 and result.stdout == "1 mall kontrollerade: 0 fel, 0 varningar.\n", result.output
    text = (folder / "informationsbrev" / "exempel.godkand.md").read_text(encoding="utf-8")
    assert "# Ange dokumentets titel" in text and "Skriv dokumentets text här." in text


def test_unknown_folder_is_a_clear_error(cli, tmp_path: Path) -> None:
    result = cli("check", "--mallar", tmp_path / "finns-inte")
    assert result.exit_code == 1
    assert result.stderr == f"Fel: {tmp_path / 'finns-inte'}: mallmappen finns inte (angiven med --mallar).\n"


@pytest.mark.parametrize("base", ["fordjupad", "lopande"])
def test_each_case_base_sample_is_a_valid_case_of_its_type(cli, base: str) -> None:
    """The shared bases new samples start from (`bas: fordjupad`, `bas: lopande`): valid as they
    are; the only complaint is that a base has no document section of its own."""
    path = MALLAR / "_exempel" / f"{base}.yaml"
    result = cli("validate", path)
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    # Validated on its own, a base names no profile: the example region's is used, and said to be.
    warnings = [line for line in problems if ": varning: " in line]
    assert len(warnings) == 1 and "exempelprofilen för den påhittade Region Norrsund används" in warnings[0], result.stderr
    errors = [line for line in problems if ": varning: " not in line]
    assert len(errors) == 1 and "ärendet har ännu inga uppgifter för något dokument" in errors[0], result.stderr
    import yaml

    assert yaml.safe_load(path.read_text(encoding="utf-8"))["arende"]["typ"] == base


def test_the_team_base_sample_is_a_valid_team_file(cli) -> None:
    result = cli("report", "--year", "2026", MALLAR / "_exempel" / "team.yaml", "--kontrollera")
    assert result.exit_code == 0, result.output
    assert "1 teamunderlag" in result.stdout
