"""Template versions with validity: the version valid on a document's date is the one rendered,
and every place that records provenance (manifest, DOCX properties, PDF XMP) names it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import EXAMPLE, ROOT

KALLELSE = ROOT / "mallar" / "kallelse-dialogmote" / "dokument.md"


def versioned_templates(folder: Path) -> Path:
    """A user's template folder where the call-in has a new version 2.0 from 2026-04-01 and keeps
    version 1.0 (valid to 2026-03-31) in versioner/."""
    template = folder / "kallelse-dialogmote"
    (template / "versioner").mkdir(parents=True)
    source = KALLELSE.read_text(encoding="utf-8")
    old = source.replace("giltig_fran: 2026-01-01\n", "giltig_fran: 2026-01-01\ngiltig_till: 2026-03-31\n")
    (template / "versioner" / "1.0.md").write_text(old, encoding="utf-8")
    new = (source.replace('version: "1.0"', 'version: "2.0"').replace("giltig_fran: 2026-01-01", "giltig_fran: 2026-04-01")
           .replace("Välkomna!", "Välkomna till mötet!"))
    (template / "dokument.md").write_text(new, encoding="utf-8")
    return folder


def case_dated(tmp_path: Path, date: str) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["organisation"] = str(ROOT / "examples" / "organisation.yaml")
    section = data["kallelse_dialogmote"]
    section["datum"] = yaml.safe_load(date)
    meeting = yaml.safe_load(date).replace(day=28)
    section["mote"]["datum"] = meeting
    section["svar_senast"] = meeting.replace(day=21)
    for deviation in data["avvikelser"]:  # the call-in lists the deviations known when it is sent
        deviation["upptackt"] = min(deviation["upptackt"], section["datum"].replace(day=1))
    del data["agenda_dialogmote"]  # the meeting moved: the example's agenda, dated for the old one, goes
    path = tmp_path / f"arende-{date}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_documents_lists_every_version_with_its_validity(cli, tmp_path: Path) -> None:
    mallar = versioned_templates(tmp_path / "mallar")
    result = cli("documents", "--mallar", mallar)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("kallelse-dialogmote "))
    assert lines[index].split()[-3:] == ["2.0", "från", "2026-04-01"]
    assert lines[index + 1].split() == ["1.0", "2026-01-01", "–", "2026-03-31"]


@pytest.mark.parametrize(("date", "version", "closing"), [("2026-03-02", "1.0", "Välkomna!"), ("2026-05-04", "2.0", "Välkomna till mötet!")])
def test_the_version_valid_on_the_documents_date_is_rendered(cli, tmp_path: Path, date: str, version: str, closing: str) -> None:
    mallar = versioned_templates(tmp_path / "mallar")
    case = case_dated(tmp_path, date)
    out = tmp_path / "ut"
    result = cli("render", case, "-d", "kallelse-dialogmote", "--mallar", mallar, "-f", "md,docx,pdf", "-o", out)
    assert result.exit_code == 0, result.output
    folder = out / "FU-2026-014"
    text = (folder / "kallelse-dialogmote.md").read_text(encoding="utf-8")
    assert closing in text.splitlines()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["dokument"]["kallelse-dialogmote"]
    assert manifest["mall"] == "kallelse-dialogmote"
    assert manifest["version"] == version
    assert ("giltig_till" in manifest) == (version == "1.0")
    with zipfile.ZipFile(folder / "kallelse-dialogmote.docx") as docx:
        core = docx.read("docProps/core.xml").decode("utf-8")
    assert f"Mall kallelse-dialogmote version {version};" in core
    with pikepdf.open(folder / "kallelse-dialogmote.pdf") as pdf:
        xmp = pdf.open_metadata()
        assert xmp["{urn:mallgen:xmp:1.0/}templateVersion"] == version


def test_a_date_no_version_covers_warns_and_uses_the_current_version(cli, tmp_path: Path) -> None:
    mallar = versioned_templates(tmp_path / "mallar")
    case = case_dated(tmp_path, "2025-11-03")
    result = cli("render", case, "-d", "kallelse-dialogmote", "--mallar", mallar, "-f", "md", "-o", tmp_path / "ut")
    assert result.exit_code == 0, result.output
    line = next(i + 1 for i, text in enumerate(case.read_text(encoding="utf-8").splitlines()) if text.startswith("  datum: 2025-11-03"))
    assert (f"{case}:{line}: varning: kallelse_dialogmote.datum: ingen version av mallen 'kallelse-dialogmote' gäller 2025-11-03 "
            "(versioner: 2.0 (från 2026-04-01); 1.0 (2026-01-01 – 2026-03-31)); dokumentet skapas med version 2.0") in result.stderr.splitlines()
    assert "Välkomna till mötet!" in (tmp_path / "ut" / "FU-2026-014" / "kallelse-dialogmote.md").read_text(encoding="utf-8")


def test_validity_ending_before_it_starts_is_a_template_error(cli, tmp_path: Path) -> None:
    folder = tmp_path / "mallar" / "kallelse-dialogmote"
    folder.mkdir(parents=True)
    text = KALLELSE.read_text(encoding="utf-8").replace("giltig_fran: 2026-01-01\n", "giltig_fran: 2026-01-01\ngiltig_till: 2025-12-31\n")
    (folder / "dokument.md").write_text(text, encoding="utf-8")
    result = cli("documents", "--mallar", tmp_path / "mallar")
    assert result.exit_code == 1
    assert result.stderr == f"Fel: {folder / 'dokument.md'}:8: mallfel: giltig_till är före giltig_fran\n"



REPORT_TEMPLATE = ROOT / "mallar" / "samlad-aterrapportering" / "dokument.md"


@pytest.mark.parametrize(("report_date", "version"), [("2027-02-15", "1.0"), ("2027-04-10", "2.0")])
def test_the_annual_report_uses_the_version_valid_on_its_date(cli, tmp_path: Path, report_date: str, version: str) -> None:
    folder = tmp_path / "mallar" / "samlad-aterrapportering"
    (folder / "versioner").mkdir(parents=True)
    source = REPORT_TEMPLATE.read_text(encoding="utf-8")
    (folder / "versioner" / "1.0.md").write_text(
        source.replace("giltig_fran: 2026-01-01\n", "giltig_fran: 2026-01-01\ngiltig_till: 2027-02-28\n"), encoding="utf-8")
    (folder / "dokument.md").write_text(
        source.replace('version: "1.0"', 'version: "2.0"').replace("giltig_fran: 2026-01-01", "giltig_fran: 2027-03-01"), encoding="utf-8")
    inputs = tmp_path / "rapport"
    import shutil

    shutil.copytree(ROOT / "examples" / "rapport", inputs)
    shutil.copy(ROOT / "examples" / "organisation.yaml", tmp_path / "organisation.yaml")
    settings = inputs / "rapport.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("datum: 2027-02-15", f"datum: {report_date}"), encoding="utf-8")
    out = tmp_path / "ut"
    result = cli("report", "--year", "2026", inputs, "--mallar", tmp_path / "mallar", "-f", "md", "-o", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "rapport-2026" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["dokument"]["samlad-aterrapportering"]["version"] == version
    assert "ingen version" not in result.stderr
