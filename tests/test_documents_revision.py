"""A team's proposal to revise the handbook (kap. 6): what it holds, the route it takes, its rules.

The bundled team file (examples/rapport/team/vardval-vardcentral.yaml) proposes two changes; the
rule tests use a small team file of their own, so each edit is visible in the test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, ExampleOutputs
from test_documents_besluta import fill_placeholders, uncomment_section
from test_documents_routine import folders, read
from test_letters import line_of

FOLDER = "_team-vardval-vardcentral-2026"
DOCUMENT = "revideringsforslag"
ORGANISATION = EXAMPLES / "organisation.yaml"
SAMPLE = Path(__file__).parent.parent / "mallar" / DOCUMENT / "exempel.yaml"
BASE = Path(__file__).parent.parent / "mallar" / "_exempel" / "team.yaml"


def test_the_example_proposal_holds_each_change_the_route_and_the_handbook_version(example_outputs: ExampleOutputs) -> None:
    texts = read(folders(example_outputs)[FOLDER], DOCUMENT)
    assert set(texts) == {"pdf", "docx", "html", "md"}
    expected = [
        "Förslag till revidering av handboken – Team Vårdval Vårdcentral",
        "Förslagsställare: Per Nilsson, Regionutvecklare",
        "Uppföljningshandboken version 2025:1, giltig 1 juli 2025–30 juni 2027",
        "Lämnas till: Karin Ek och Jonas Berglund, handboksansvariga",
        "Teamet föreslår två ändringar",
        "som bereder det för beslut i chefsgruppen; chefsgruppen beslutar om ändringar i handboken",
        "bör påbörjas tre till sex månader innan dess giltighetstid löper ut",
        "Ändring 1: 4.2 Eskaleringstrappan, steg 2a: begäran om handlingsplan",
        "Ändring 2: 2.3 Återrapportering till vårdgivaren",
        "Nuvarande lydelse", "Föreslagen ändring", "Skäl", "Konsekvenser",
        "Vårdgivaren ska inom en månad inkomma med en handlingsplan",
        "Mallar som behöver ändras (mallens id): begaran-handlingsplan",
        "Teamet lämnar förslaget Team Vårdval Vårdcentral 2026-11-17",
        "Handboksansvariga bereder förslaget Karin Ek och Jonas Berglund Pågår",
        "Beslut om ändring Chefsgruppen –",
        "karin.ek@regionnorrsund.example",
    ]
    for extension, text in texts.items():
        for phrase in expected:
            assert phrase in text, (extension, phrase)
        assert "Intern – lämnas inte ut" in text, extension


def team_file(tmp_path: Path, **section: object) -> Path:
    """The template's sample team file with `revideringsforslag` fields replaced (None removes one)."""
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    proposal = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))[DOCUMENT]
    for key, value in section.items():
        if value is None:
            proposal.pop(key)
        else:
            proposal[key] = value
    data |= {"organisation": str(ORGANISATION), DOCUMENT: proposal}
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_decided_proposal_says_the_outcome(cli, tmp_path: Path) -> None:
    path = team_file(tmp_path, behandling={"lamnat": dt.date(2026, 9, 15), "berett": dt.date(2026, 10, 20), "beslutat": dt.date(2026, 11, 10), "utfall": "delvis",
                                           "motivering": "Fristen blir en månad; granskningstiden utreds vidare."})
    assert cli("render", path, "-f", "md", "-o", tmp_path / "ut").exit_code == 0
    (text,) = [p.read_text(encoding="utf-8") for p in (tmp_path / "ut").rglob(f"{DOCUMENT}.md")]
    assert "Beslut: Förslaget bifölls delvis den 10 november 2026." in text
    assert "Fristen blir en månad; granskningstiden utreds vidare." in text
    assert "| Beslut om ändring | Chefsgruppen | 2026-11-10 |" in text


RULES = [
    ({"datum": dt.date(2027, 5, 2), "behandling": None}, "datum: 2027-05-02",
     "revideringsforslag.datum: förslaget lämnas mindre än 3 månader innan versionens giltighetstid löper ut (2027-06-30); "
     "handboken säger att uppdateringen bör påbörjas 3–6 månader innan, så förslaget hinner kanske inte med i nästa version", True),
    ({"datum": dt.date(2027, 8, 1), "behandling": None}, "giltig_till: 2027-06-30",
     "revideringsforslag.handbok.giltig_till: handbokens version 2025:1 gällde bara till och med 2027-06-30; ange den version "
     "som gäller på förslagets datum", True),
    ({"andringar": [{"del": "2.1", "nuvarande": "Teamen planerar året.", "forslag": "Teamen  planerar   året.", "skal": "Tydligare.",
                     "konsekvens": "Ingen."}]}, "  forslag: ",
     "revideringsforslag.andringar[1].forslag: den föreslagna texten är densamma som den nuvarande; skriv ändringen", False),
    ({"behandling": {"lamnat": dt.date(2026, 9, 10)}}, "lamnat: 2026-09-10",
     "revideringsforslag.behandling.lamnat: dagen då förslaget lämnades (2026-09-10) kan inte ligga före förslagets datum (2026-09-14)", False),
    ({"behandling": {"lamnat": dt.date(2026, 9, 15), "beslutat": dt.date(2026, 11, 10), "utfall": "bifall"}}, "  behandling:",
     "revideringsforslag.behandling.berett: ange datumet: handboksansvariga bereder förslaget före beslutet", False),
    ({"behandling": {"lamnat": dt.date(2026, 9, 15), "berett": dt.date(2026, 10, 1), "beslutat": dt.date(2026, 11, 10)}}, "  behandling:",
     "revideringsforslag.behandling.utfall: ange beslutets utfall: bifall, delvis eller avslag", False),
]


@pytest.mark.parametrize(("section", "anchor", "message", "warning"), RULES, ids=[r[2].split(":")[0] + f"-{i}" for i, r in enumerate(RULES)])
def test_each_rule_of_the_proposal_names_the_field(cli, tmp_path: Path, section: dict, anchor: str, message: str, warning: bool) -> None:
    path = team_file(tmp_path, **section)
    result = cli("validate", path)
    expected = f"{path}:{line_of(path, anchor)}: {'varning: ' if warning else ''}{message}"
    assert expected in result.stderr.splitlines(), result.stderr
    assert result.exit_code == (0 if warning else 1)


def test_the_skeletons_section_validates_when_uncommented(cli, tmp_path: Path) -> None:
    from generator.skeleton import skeleton

    target = tmp_path / "team.yaml"
    target.write_text(fill_placeholders(uncomment_section(skeleton("team"), DOCUMENT)), encoding="utf-8")
    result = cli("validate", target)
    assert result.exit_code == 0, result.output
    assert f"giltigt (1 dokument: {DOCUMENT})" in result.stdout
