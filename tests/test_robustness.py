# ruff: noqa: E501  (the exact messages a user sees are compared whole, one per line)
"""Bad input, secrets and hand-edited files: nothing breaks, nothing leaks, nothing is lost.

Every broken input in tests/broken/ gets its exact message and exit status and leaves the output
folder untouched; a hypothesis test throws thousands of generated YAML documents at validate and
render; and the output is checked for what must never be in it: internal fields, unmasked
personnummer, links and requests to places outside the template folders.
"""

from __future__ import annotations

import copy
import datetime as dt
import errno
import functools
import hashlib
import http.server
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import EXAMPLE, EXAMPLES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.leaks import canonical
from generator.plain_text import WORD_JOINER

BROKEN = ROOT / "tests" / "broken"
PROFILE = EXAMPLES / "organisation.yaml"
DOCUMENT = "kallelse-dialogmote"
SUMMARY = re.compile(r"^\d+ fel hittades")


# --- helpers ---------------------------------------------------------------------------------


def invoke(*args: str | Path) -> Result:
    """Run mallgen in-process; an unhandled exception fails the test with its traceback."""
    from generator.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def messages(result: Result) -> list[str]:
    """What the user is told on stderr, without the closing count."""
    return [line for line in result.stderr.splitlines() if not SUMMARY.match(line)]


def snapshot(folder: Path) -> dict[str, Any]:
    """Names, contents and modification times of everything under a folder."""
    if not folder.exists():
        return {}
    state: dict[str, Any] = {".": folder.stat().st_mtime_ns}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        content = "mapp" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
        state[name] = (content, path.stat().st_mtime_ns)
    return state


def trimmed_case() -> dict[str, Any]:
    """The example case cut down to the shared fields and the call-in (what this issue needs)."""
    return copy.deepcopy(_trimmed_case())


@functools.lru_cache(maxsize=1)
def _trimmed_case() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    keep = ["arende", "personer", "vardgivare", "avtal", "avvikelser", "eskalering", "moten",
            "verksamhetsbedomning", "interna_anteckningar", "kallelse_dialogmote"]
    case = {"organisation": str(PROFILE)}
    case.update({key: copy.deepcopy(data[key]) for key in keep if key in data})
    return case


def write_case(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return path


def case_file(tmp_path: Path, name: str = "arende.yaml", change: Any = None) -> Path:
    data = trimmed_case()
    if change is not None:
        change(data)
    return write_case(tmp_path / name, data)


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True).stdout


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def html_text(path: Path) -> str:
    from generator.leaks import html_text as text_of

    return text_of(path.read_text(encoding="utf-8"))


def texts(folder: Path, document: str = DOCUMENT) -> dict[str, str]:
    """What a reader sees in each format of one rendered document."""
    found = {}
    for extension, read in (("md", lambda p: p.read_text(encoding="utf-8")), ("html", html_text), ("docx", docx_text), ("pdf", pdf_text)):
        path = folder / f"{document}.{extension}"
        if path.exists():
            found[extension] = read(path)
    return found


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.fixture(scope="module")
def earlier_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder holding an earlier, valid render: a failed run must leave it as it is."""
    out = tmp_path_factory.mktemp("tidigare")
    source = write_case(tmp_path_factory.mktemp("fall") / "giltig.yaml", trimmed_case())
    result = invoke("render", source, "-f", "md,html", "-o", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def output(tmp_path: Path, earlier_output: Path) -> Path:
    out = tmp_path / "ut"
    shutil.copytree(earlier_output, out)
    return out


# --- broken inputs: exact message, exit status, output untouched -----------------------------

ID_FORM = " har fel form (bokstäver, siffror, bindestreck, punkt och understreck, högst 64 tecken)"
SANDBOX = "otillåten åtgärd: mallen får inte använda attributet '{}'. Mallar körs i en sandlåda utan åtkomst till Python och filsystemet"

# file in tests/broken/ -> every line mallgen prints (besides the closing count), exactly.
EXPECTED: dict[str, list[str]] = {
    "yaml-kolon.yaml": ["yaml-kolon.yaml:7: YAML-fel: kolon på fel ställe: fel indrag, eller ett värde som innehåller ': ' och behöver citattecken."],
    "yaml-citattecken.yaml": ['yaml-citattecken.yaml:43: YAML-fel: ett citattecken (") stängs inte på samma rad.'],
    "yaml-indrag.yaml": ["yaml-indrag.yaml:12: YAML-fel: fel indrag: raden ligger inte i linje med fälten ovanför."],
    "yaml-tabb.yaml": ["yaml-tabb.yaml:21: YAML-fel: tabbtecken är inte tillåtna för indrag; använd mellanslag."],
    "flera-dokument.yaml": ["flera-dokument.yaml:4: YAML-fel: filen innehåller flera YAML-dokument (---); ett ärende per fil."],
    "tom.yaml": ["tom.yaml: filen är tom. Börja från en mall: 'mallgen new fordjupad -o tom.yaml'."],
    "bara-kommentarer.yaml": ["bara-kommentarer.yaml: filen är tom. Börja från en mall: 'mallgen new fordjupad -o bara-kommentarer.yaml'."],
    "binar.yaml": ["binar.yaml: filen är binär, inte YAML-text. Är det rätt fil?"],
    "latin1.yaml": ["latin1.yaml:1: filen är inte UTF-8. Spara den som UTF-8 i din textredigerare."],
    "utf16.yaml": ["utf16.yaml: filen är sparad som UTF-16. Spara den som UTF-8 i din textredigerare."],
    "styrtecken.yaml": ["styrtecken.yaml:7: otillåtet tecken (U+0007) i filen; ta bort det eller skriv om raden i en textredigerare."],
    "lista.yaml": ["lista.yaml:2: filen innehåller en lista, men ärendefilen ska bestå av fält (nyckel: värde)."],
    "skalar.yaml": ["skalar.yaml:2: filen innehåller ett enstaka värde, men ärendefilen ska bestå av fält (nyckel: värde)."],
    "miljard-skratt.yaml": ["miljard-skratt.yaml:2: för många värden (mer än 200000); kontrollera ankare och alias (&, *)"],
    "djup-nastling.yaml": ["djup-nastling.yaml:41: för djup nästling (mer än 40 nivåer)"],
    "tagg.yaml": ["tagg.yaml:2: YAML-fel: okänd tagg (!…); ta bort den."],
    "binar-tagg.yaml": ["binar-tagg.yaml:2: YAML-fel: taggar som !!binary, !!set, !!omap och !!pairs stöds inte; skriv värdet som vanlig text eller lista."],
    "dubbla-falt.yaml": ["dubbla-falt.yaml:7: arende.typ: fältet finns redan på rad 6; ta bort den ena raden"],
    "falt-namn-tal.yaml": ["falt-namn-tal.yaml:22: fältnamnet '2026' är inte text; fältnamn skrivs som ord, t.ex. 'rubrik:'"],
    "okant-falt.yaml": ["okant-falt.yaml:7: arende.rubrk: okänt fält 'rubrk'; menade du 'rubrik'?"],
    "okant-falt-i-lista.yaml": ["okant-falt-i-lista.yaml:32: avvikelser[1].kravv: okänt fält 'kravv'; menade du 'krav'?"],
    "fel-typ.yaml": ["fel-typ.yaml:28: avtal.ersattning_per_ar: ska vara ett heltal"],
    "fel-typ-lista.yaml": ["fel-typ-lista.yaml:49: kallelse_dialogmote.deltagare_region: ska vara en lista (rader som börjar med '-')"],
    "fel-varde.yaml": ["fel-varde.yaml:24: avtal.avtalsform: 'LOW' är inte tillåtet (menade du 'LOV'?); välj bland: LOU, LOV, LOL, LOF, IOP"],
    "omojligt-datum.yaml": ["omojligt-datum.yaml:8: arende.startdatum: datumet 2026-02-30 finns inte"],
    "datum-som-text.yaml": ["datum-som-text.yaml:8: arende.startdatum: ska vara ett datum skrivet ÅÅÅÅ-MM-DD, till exempel 2026-06-10"],
    "orgnr.yaml": ["orgnr.yaml:16: vardgivare.orgnr: ogiltigt organisationsnummer (kontrollsiffran stämmer inte)"],
    "personnummer.yaml": ["personnummer.yaml:13: personer.handlaggare.personnummer: ogiltigt personnummer eller samordningsnummer (kontrollsiffran eller datumet stämmer inte)"],
    "hsa-id.yaml": ["hsa-id.yaml:17: vardgivare.hsa_id: ogiltigt HSA-id (formen är SE<organisationsnummer>-<suffix>, t.ex. SE2321000123-1001)"],
    "falt-saknas.yaml": ["falt-saknas.yaml:3: arende.diarienummer: fältet saknas men krävs"],
    "omvanda-datum.yaml": ["omvanda-datum.yaml:48: kallelse_dialogmote.svar_senast: sista svarsdag måste vara före mötesdagen"],
    "namnd-okand.yaml": ["namnd-okand.yaml:27: avtal.namnd: nämnden 'hsm' finns inte i organisationsprofilen (kända: hsn, rs)"],
    "sekretess-ofullstandig.yaml": ["sekretess-ofullstandig.yaml:9: arende.sekretess.bestammelse: fältet saknas men krävs"],
    "id-utanfor.yaml": ["id-utanfor.yaml:4: arende.id: '../../etc/FU'" + ID_FORM],
    "id-absolut.yaml": ["id-absolut.yaml:4: arende.id: '/tmp/FU'" + ID_FORM],
    "id-tecken.yaml": ["id-tecken.yaml:4: arende.id: 'FU 2026*?'" + ID_FORM],
    "id-punkter.yaml": ["id-punkter.yaml:4: arende.id: '..'" + ID_FORM],
    "organisation-saknas.yaml": [
        f"organisation-saknas.yaml:2: organisation: organisationsprofilen kunde inte läsas: {BROKEN.resolve() / 'finns-inte.yaml'}: filen finns inte. Kontrollera sökvägen."
    ],
}


def test_every_broken_file_has_an_expected_message() -> None:
    on_disk = {p.name for p in BROKEN.glob("*.yaml")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_input(name: str, command: str, output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    before = snapshot(output)
    fresh = tmp_path / "ny-utmapp"
    for out in (output, fresh):
        result = invoke(command, name, *(["-o", out] if command == "render" else []))
        assert result.exit_code == 1
        assert messages(result) == EXPECTED[name]
        assert result.stdout == ""
    assert snapshot(output) == before
    assert not fresh.exists()


def test_too_large_file(tmp_path: Path, output: Path) -> None:
    from generator.case import MAX_BYTES

    big = tmp_path / "stor.yaml"
    big.write_text("rubrik: '" + "x" * MAX_BYTES + "'\n", encoding="utf-8")
    before = snapshot(output)
    for command in (["validate", big], ["render", big, "-o", output]):
        result = invoke(*command)
        assert result.exit_code == 1
        assert messages(result) == [f"{big}: filen är för stor ({big.stat().st_size // 1024} kB, högst {MAX_BYTES // 1024} kB). Är det rätt fil?"]
    assert snapshot(output) == before


def test_escaped_control_character_in_a_value(tmp_path: Path, output: Path) -> None:
    """A double-quoted "\\a" or lone surrogate would break the XML of DOCX and PDF: refused with its line."""
    path = tmp_path / "arende.yaml"
    text = case_file(tmp_path).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  rubrik:).*$", r'\1 "Uppföljning\\a av \\ud800 vårdcentral"', text, count=1)
    path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "Uppföljning\\a" in row)
    result = invoke("render", path, "-o", output)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{line}: otillåtet tecken (U+0007) i värdet; det kan inte stå i ett dokument. Ta bort det"]


# --- bad command lines, files and folders ----------------------------------------------------


def test_missing_input_file(tmp_path: Path, output: Path) -> None:
    before = snapshot(output)
    result = invoke("render", tmp_path / "finns-inte.yaml", "-o", output)
    assert result.exit_code == 1
    assert messages(result) == [f"{tmp_path / 'finns-inte.yaml'}: filen finns inte. Kontrollera sökvägen, eller skapa en ny med 'mallgen new'."]
    assert snapshot(output) == before


def test_folder_or_device_instead_of_input_file(tmp_path: Path) -> None:
    result = invoke("validate", tmp_path)  # a folder is read for case files: here there are none
    assert result.exit_code == 1
    assert messages(result) == [f"{tmp_path}: mappen innehåller inga ärendefiler (.yaml)."]
    result = invoke("validate", "/dev/zero")  # would never end if it were read
    assert result.exit_code == 1
    assert messages(result) == ["/dev/zero: är inte en vanlig fil. Ange sökvägen till ärendefilen."]


def test_unreadable_input_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = case_file(tmp_path)
    real_open = open

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse)  # tests may run as root, where chmod 000 is no barrier
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}: filen kan inte läsas (behörighet saknas)."]


def test_output_folder_is_a_file(tmp_path: Path) -> None:
    path = case_file(tmp_path)
    blocker = tmp_path / "ut"
    blocker.write_text("inte en mapp", encoding="utf-8")
    result = invoke("render", path, "-f", "md", "-o", blocker)
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: {blocker}: mappen för dokumenten kan inte skapas (en del av sökvägen är en fil, inte en mapp). Välj en annan med -o."]
    assert blocker.read_text(encoding="utf-8") == "inte en mapp"


def _refuse(error: int) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(error, os.strerror(error))

    return refuse


@pytest.mark.parametrize("existing", [True, False], ids=["befintlig-utmapp", "ny-utmapp"])
def test_output_folder_cannot_be_written(existing: bool, tmp_path: Path, output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files cannot be created (read-only file system, full quota): nothing is left behind, not
    even the folders mallgen made for the run."""
    path = case_file(tmp_path, change=lambda d: d["kallelse_dialogmote"].update(ovrigt="Ny text."))  # differs from the earlier render
    out = output if existing else tmp_path / "ny" / "ut"
    before = snapshot(out)
    monkeypatch.setattr("tempfile.mkstemp", _refuse(errno.EROFS))
    result = invoke("render", path, "-f", "md", "-o", out)
    assert result.exit_code == 1
    folder = out.resolve() / "FU-2026-014"
    assert messages(result) == [f"Fel: {folder}: kunde inte skriva (filsystemet är skrivskyddat). Kontrollera behörigheten eller välj en annan mapp med -o."]
    assert snapshot(out) == before
    assert existing or not (tmp_path / "ny").exists()


def test_output_folder_cannot_be_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = case_file(tmp_path)
    out = tmp_path / "ut"
    monkeypatch.setattr(Path, "mkdir", _refuse(errno.EACCES))
    result = invoke("render", path, "-f", "md", "-o", out)
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: {out}: mappen för dokumenten kan inte skapas (behörighet saknas). Välj en annan med -o."]
    assert not out.exists()


def test_case_folder_is_created_only_when_something_is_written(tmp_path: Path) -> None:
    path = case_file(tmp_path)
    out = tmp_path / "ut"
    assert invoke("render", path, "-f", "md", "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    assert sorted(p.name for p in folder.iterdir()) == ["kallelse-dialogmote.md", "manifest.json"]  # no lock file left
    before = snapshot(out)
    result = invoke("render", path, "-f", "md", "-o", out)
    assert result.exit_code == 0
    assert result.stdout == f"FU-2026-014: 0 filer skrivna, 1 oförändrade i {folder.resolve()}\n"
    assert snapshot(out) == before  # an unchanged render touches nothing, not even the manifest


@pytest.mark.parametrize(
    ("arguments", "code", "expected"),
    [
        (["-d", "../../etc/passwd"], 2, "Fel: dokumentet '../../etc/passwd' finns inte (sökte i {mallar}). Se 'mallgen documents'."),
        (["-d", "kallelse-dialogmöte"], 2, "Fel: dokumentet 'kallelse-dialogmöte' finns inte (sökte i {mallar}). Menade du 'kallelse-dialogmote'?"),
        (["-f", "pdf,odt"], 2, "Fel: okänt format: odt; välj bland pdf,docx,html,md"),
        (["--mallar", "finns-inte"], 1, "finns-inte: mallmappen finns inte (angiven med --mallar)."),
    ],
)
def test_bad_command_line(
    arguments: list[str], code: int, expected: str, tmp_path: Path, output: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = case_file(tmp_path)
    before = snapshot(output)
    result = invoke("render", path, "-o", output, *arguments)
    assert result.exit_code == code
    assert messages(result) == [expected.format(mallar=ROOT / "mallar")]
    assert snapshot(output) == before


def test_two_case_files_with_the_same_id(tmp_path: Path, output: Path) -> None:
    first = case_file(tmp_path, "a.yaml")
    second = case_file(tmp_path, "b.yaml")
    before = snapshot(output)
    result = invoke("render", first, second, "-o", output)
    assert result.exit_code == 1
    line = next(n for n, row in enumerate(second.read_text(encoding="utf-8").splitlines(), 1) if row.strip().startswith("id: FU-2026-014"))
    assert messages(result) == [f"{second}:{line}: arende.id: ärende-id 'FU-2026-014' används redan i {first}; två ärenden kan inte dela mapp"]
    assert snapshot(output) == before


# --- templates: syntax errors, undefined names, the sandbox ----------------------------------

FRONT = """---
id: kallelse-dialogmote
titel: Kallelse till dialogmöte
avsnitt: "3.2"
malgrupp: extern
version: "9.9"
giltig_fran: 2026-01-01
---
"""


def user_templates(tmp_path: Path, body: str, css: str | None = None, schema: str | None = None) -> Path:
    """A --mallar folder overriding the call-in (and optionally the style sheet and base schema)."""
    folder = tmp_path / "egna-mallar"
    (folder / DOCUMENT).mkdir(parents=True)
    (folder / DOCUMENT / "dokument.md").write_text(FRONT + body, encoding="utf-8")
    if css is not None:
        (folder / "_layout").mkdir()
        (folder / "_layout" / "stil.css").write_text(css, encoding="utf-8")
    if schema is not None:
        (folder / "bas.yaml").write_text(schema, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        ("# Rubrik\n\n{{ arende.rubrik }\n", 11, "syntaxfel: oväntat '}'; kontrollera klamrarna {{ }} och {% %}"),
        ("# Rubrik\n\n{% for a in avvikelser %}\n{{ a.rubrik }}\n", 12, "syntaxfel: mallen tar slut innan blocket 'for' stängs; lägg till 'endfor' eller 'else'"),
        ("# Rubrik\n\nRad\n{{ arende.rubirk }}\n", 12, "okänd variabel eller fält: fältet 'rubirk' finns inte i värdet; kontrollera stavningen mot schemat"),
        ("# Rubrik\n\n{{ okand_variabel }}\n", 11, "okänd variabel eller fält: 'okand_variabel' finns inte; kontrollera stavningen"),
        ("# Rubrik\n\n{{ arende.rubrik | datum }}\n", 11,
         "mallen kunde inte köras (AssertionError); kontrollera att filter som datum, belopp och klockslag får rätt sorts värde"),
        ("# Rubrik\n\n{{ ''.__class__.__mro__ }}\n", 11,
         SANDBOX.format("__class__")),
        ("# Rubrik\n\n{{ cycler.__init__.__globals__.os.popen('id').read() }}\n", 11,
         SANDBOX.format("__init__")),
        ("# Rubrik\n\n{{ lipsum.__globals__['os'] }}\n", 11,  # lipsum is not there at all (it makes text of any length)
         "okänd variabel eller fält: 'lipsum' finns inte; kontrollera stavningen"),
        ("# Rubrik\n\n{% include '/etc/passwd' %}\n", 11, "mallen '/etc/passwd' finns inte"),
        ("# Rubrik\n\n{% include '../../../../etc/passwd' %}\n", 11, "mallen '../../../../etc/passwd' finns inte"),
    ],
)
def test_broken_user_template(body: str, line: int, expected: str, tmp_path: Path, output: Path) -> None:
    path = case_file(tmp_path)
    templates = user_templates(tmp_path, body)
    before = snapshot(output)
    result = invoke("render", path, "--mallar", templates, "-o", output)
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: {templates / DOCUMENT / 'dokument.md'}:{line}: mallfel: {expected}"]
    assert snapshot(output) == before


def test_template_id_that_is_no_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "mallar" / "Min mall"
    folder.mkdir(parents=True)
    (folder / "dokument.md").write_text(FRONT.replace("id: kallelse-dialogmote", "id: Min mall") + "x\n", encoding="utf-8")
    result = invoke("render", case_file(tmp_path), "--mallar", tmp_path / "mallar", "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: {folder / 'dokument.md'}:2: mallfel: id 'Min mall' får bara innehålla små bokstäver a–z, siffror och bindestreck"]
    assert not (tmp_path / "ut").exists()


INJECTIONS = ["{{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}", "{{ ''.__class__.__mro__ }}", "{# kommentar #}", "${7*7}"]


def test_template_syntax_in_data_is_printed_literally(tmp_path: Path) -> None:
    def inject(data: dict[str, Any]) -> None:
        data["arende"]["rubrik"] = "Rubrik " + INJECTIONS[0]
        data["vardgivare"]["namn"] = INJECTIONS[1]
        data["kallelse_dialogmote"]["mote"]["plats"]["lokal"] = INJECTIONS[2]
        data["avvikelser"][0]["rubrik"] = INJECTIONS[3]
        data["avvikelser"][0]["krav"] = INJECTIONS[4]
        data["avvikelser"][0]["beskrivning"] = "Markdown {{ 7*7 }} och {% raw %}"  # a Markdown field

    path = case_file(tmp_path, change=inject)
    out = tmp_path / "ut"
    result = invoke("render", path, "-o", out)
    assert result.exit_code == 0, result.output
    for extension, text in texts(out / "FU-2026-014").items():
        # The .md keeps a tag from data inert with an invisible word joiner after '<' (generator/plain_text.py):
        # what a reader sees is the text itself, and no backslash.
        assert "\\" not in text, extension
        text = flat(text.replace(WORD_JOINER, "")) if extension == "md" else flat(text)
        for injection in [*INJECTIONS, "Markdown {{ 7*7 }} och {% raw %}"]:
            assert injection in text, (extension, injection)
        assert "Rubrik 49" not in text and "Markdown 49" not in text and "xxx" not in text, extension


# --- links, images and fetches: only http(s)/mailto links, nothing fetched -------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b'body::after { content: "FJARR-RESURS-HAMTAD"; }')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that records every request: nothing may reach it."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _links(folder: Path) -> dict[str, list[str]]:
    """Every link target in the HTML, DOCX and PDF of the document."""
    import pikepdf

    page = (folder / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    html_links = re.findall(r'<a\s[^>]*href="([^"]*)"', page)
    with zipfile.ZipFile(folder / f"{DOCUMENT}.docx") as archive:
        rels = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".rels"))
    docx_links = re.findall(r'Target="([^"]*)"[^>]*TargetMode="External"', rels)
    pdf_links = []
    with pikepdf.open(folder / f"{DOCUMENT}.pdf") as pdf:
        for page_object in pdf.pages:
            for annotation in page_object.get("/Annots", []):
                action = annotation.get("/A")
                if action is not None and "/URI" in action:
                    pdf_links.append(str(action.URI))
    return {"html": html_links, "docx": docx_links, "pdf": pdf_links}


def test_links_and_images_in_data(tmp_path: Path, local_server: str) -> None:
    def links(data: dict[str, Any]) -> None:
        data["avvikelser"][0]["beskrivning"] = (
            "Se [lokal fil](file:///etc/passwd), [skript](javascript:alert(1)), [data](data:text/html,x), "
            f"[intern tjänst]({local_server}/data), [termbanken](https://termbank.socialstyrelsen.se), "
            f"[e-post](mailto:registrator@regionnorrsund.example), ![bild]({local_server}/bild.png) "
            f"och ![fil](file:///etc/passwd) och <{local_server}/autolank>."
        )

    path = case_file(tmp_path, change=links)
    out = tmp_path / "ut"
    assert invoke("render", path, "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    found = _links(folder)
    for kind, targets in found.items():
        assert all(t.startswith(("http://", "https://", "mailto:", "#")) for t in targets), (kind, targets)
        assert "https://termbank.socialstyrelsen.se" in targets, kind
    page = (folder / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    assert "<img" not in page and 'src="' not in page  # images from data show their alt text
    for extension, text in texts(folder).items():  # a refused link is shown as the text it was
        assert canonical("[lokal fil](file:///etc/passwd)") in canonical(text), extension
    assert _Recorder.requests == []


@pytest.mark.parametrize(("markdown", "html"), [
    ("Svara till anna.lindqvist@regionnorrsund.example.",
     'Svara till <a href="mailto:anna.lindqvist@regionnorrsund.example">anna.lindqvist@regionnorrsund.example</a>.'),
    ("(åsa.öberg@region.example)", '(<a href="mailto:%C3%A5sa.%C3%B6berg@region.example">åsa.öberg@region.example</a>)'),
    (r"per\_ek+avtal@region.example, ", '<a href="mailto:per_ek+avtal@region.example">per_ek+avtal@region.example</a>,'),
    ("**a@b.example**", '<strong><a href="mailto:a@b.example">a@b.example</a></strong>'),
    ("[skriv till oss](mailto:a@b.example)", '<a href="mailto:a@b.example">skriv till oss</a>'),
    ("[a@b.example](https://b.example)", '<a href="https://b.example">a@b.example</a>'),
    ("`a@b.example`", "<code>a@b.example</code>"),
    ("version 2.0@release, a@b, @b.example", "version 2.0@release, a@b, @b.example"),
])
def test_email_addresses_become_mailto_links(markdown: str, html: str) -> None:
    from generator.render import markdown_to_html

    assert markdown_to_html(markdown).strip() == f"<p>{html}</p>"


def _png(path: Path, width: int) -> Path:
    from PIL import Image

    Image.new("RGB", (width, 1), "red").save(path)
    return path


def _image_widths(pdf_path: Path) -> list[int]:
    import pikepdf

    with pikepdf.open(pdf_path) as pdf:
        return sorted(int(o.Width) for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image")


def test_remote_and_local_files_in_a_user_template_and_style_sheet(tmp_path: Path, local_server: str) -> None:
    from weasyprint import HTML

    # Without the restricted fetcher WeasyPrint does fetch these: the checks below can fail.
    HTML(string=f'<p style="background: url({local_server}/kontroll.png)">x</p>').write_pdf()
    assert _Recorder.requests == ["/kontroll.png"]
    _Recorder.requests.clear()

    secret = tmp_path / "hemligt"
    secret.mkdir()
    body = (
        "# Rubrik\n\n"
        f"[lösenord](file:///etc/passwd) ![bild]({local_server}/mall.png) <img src=\"{local_server}/img.png\">\n\n"
        f"<link rel=\"stylesheet\" href=\"{local_server}/mall.css\">\n"
    )
    templates = user_templates(tmp_path, body, css="")
    allowed = _png(templates / "_layout" / "tillaten.png", 7)  # inside the template folder
    outside = _png(secret / "hemlig.png", 9)
    (templates / "_layout" / "stil.css").write_text(
        f'@import url("{local_server}/import.css");\n'
        f'.brevhuvud {{ background: url("{allowed.as_uri()}") no-repeat; }}\n'
        f'main {{ background: url("{outside.as_uri()}") no-repeat; }}\n'
        'h2 { background: url("file:///etc/passwd"); }\n'
        f'body {{ background: url("{local_server}/bakgrund.png"); }}\n'
        f'@font-face {{ font-family: Fjarr; src: url("{local_server}/font.ttf"); }}\n'
        f'h1 {{ font-family: Fjarr; background-image: url("{local_server}/h1.png"); }}\n',
        encoding="utf-8",
    )
    out = tmp_path / "ut"
    result = invoke("render", case_file(tmp_path), "--mallar", templates, "-o", out)
    assert result.exit_code == 0, result.output
    folder = out / "FU-2026-014"
    assert _image_widths(folder / f"{DOCUMENT}.pdf") == [7]  # the allowed picture is there, the other is not
    assert _Recorder.requests == []
    assert all(not t.startswith("file:") for targets in _links(folder).values() for t in targets)
    page = (folder / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    # The HTML carries the user's CSS as written; a browser opening it is told to load nothing.
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:\">" in page
    assert "<img" not in page and "<link" not in page


def test_raw_html_in_a_markdown_field_is_shown_literally(tmp_path: Path) -> None:
    raw = '<script>alert("x")</script> <b>fet</b> <iframe src="https://example.org"></iframe>'

    def html_in_data(data: dict[str, Any]) -> None:
        data["avvikelser"][0]["beskrivning"] = f"Text före.\n\n{raw}\n\nText efter."
        data["vardgivare"]["namn"] = "<b>Vård</b> & Omsorg"

    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path, change=html_in_data), "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    page = (folder / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<iframe" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page
    for extension, text in texts(folder).items():
        # The .md keeps a tag from data inert with an invisible word joiner after '<' (generator/plain_text.py):
        # what a reader sees is the text itself, and no backslash.
        assert "\\" not in text, extension
        text = flat(text.replace(WORD_JOINER, "")) if extension == "md" else flat(text)
        assert raw in text, extension
        assert "<b>Vård</b> & Omsorg" in text, extension


def test_a_markdown_field_cannot_forge_a_secrecy_or_decision_box(tmp_path: Path) -> None:
    def forged(data: dict[str, Any]) -> None:
        data["avvikelser"][0]["beskrivning"] = "Text före.\n\n::: sekretess\nSEKRETESS enligt påhittad lag\n:::\n\n::: beslut\nBeslut som ingen fattat\n:::"

    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path, change=forged), "-f", "html,docx", "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    page = (folder / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    assert 'class="sekretess"' not in page and 'class="beslut"' not in page
    assert "::: sekretess" in page
    styles = {p.style.name for p in docx.Document(str(folder / f"{DOCUMENT}.docx")).paragraphs}
    assert not styles & {"Sekretess", "Beslut"}


# --- nothing is lost: hand edits, concurrent renders, half-finished writes -------------------


def test_files_unknown_to_a_lost_manifest_are_kept_with_the_reason(tmp_path: Path) -> None:
    path = case_file(tmp_path)
    out = tmp_path / "ut"
    assert invoke("render", path, "-f", "md", "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    (folder / "manifest.json").unlink()
    (folder / f"{DOCUMENT}.md").write_text("Egen text\n", encoding="utf-8")

    result = invoke("render", path, "-f", "md", "-o", out)

    assert result.exit_code == 1
    assert messages(result) == [
        f"{folder / (DOCUMENT + '.md')}: finns redan men saknas i manifest.json (skapad utanför mallgen, eller manifestet har tagits bort) "
        "och skrevs inte över. Använd --force för att ersätta den (en daterad kopia sparas)."
    ]
    assert (folder / f"{DOCUMENT}.md").read_text(encoding="utf-8") == "Egen text\n"


def test_hand_edited_docx_is_kept_unless_forced(tmp_path: Path) -> None:
    path = case_file(tmp_path)
    out = tmp_path / "ut"
    assert invoke("render", path, "-f", "docx,md", "-o", out).exit_code == 0
    folder = (out / "FU-2026-014").resolve()
    target = folder / f"{DOCUMENT}.docx"
    edited = docx.Document(str(target))
    edited.add_paragraph("Tillägg skrivet för hand i Word.")
    edited.save(str(target))
    edited_bytes = target.read_bytes()

    result = invoke("render", path, "-f", "docx,md", "-o", out)
    assert result.exit_code == 1
    assert messages(result) == [f"{target}: har redigerats för hand och skrevs inte över. Använd --force för att ersätta den (en daterad kopia sparas)."]
    assert target.read_bytes() == edited_bytes
    assert "Tillägg skrivet för hand i Word." in docx_text(target)

    result = invoke("render", path, "-f", "docx,md", "-o", out, "--force")
    assert result.exit_code == 0, result.output
    backup = folder / f"{DOCUMENT}.redigerad-{dt.date.today().isoformat()}.docx"
    assert messages(result) == [f"{backup}: sparad kopia av det handredigerade dokumentet."]
    assert backup.read_bytes() == edited_bytes
    assert "Tillägg skrivet för hand i Word." not in docx_text(target)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["filer"][target.name] == hashlib.sha256(target.read_bytes()).hexdigest()


def _render_in_process(arguments: list[str]) -> tuple[int, str]:
    from generator.cli import main

    result = CliRunner().invoke(main, arguments, catch_exceptions=True)
    crash = result.exception if result.exception and not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.output + (repr(crash) if crash else "")


def test_concurrent_renders_of_the_same_case(tmp_path: Path) -> None:
    """Four renders at once of two versions of one case into one folder: the files and the
    manifest afterwards all describe one version, completely."""
    first = case_file(tmp_path, "forsta.yaml")
    second = case_file(tmp_path, "andra.yaml", change=lambda d: d["kallelse_dialogmote"].update(ovrigt="Ändrad version."))
    out = tmp_path / "ut"
    jobs = [["render", str(path), "-f", "md,html,docx", "-o", str(out)] for path in (first, second, first, second)]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        results = pool.map(_render_in_process, jobs)
    assert [code for code, _ in results] == [0] * len(jobs), results
    folder = out / "FU-2026-014"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{DOCUMENT}.docx", f"{DOCUMENT}.html", f"{DOCUMENT}.md", "manifest.json"])  # no temp or backup files
    assert set(manifest["filer"]) == set(names) - {"manifest.json"}
    for name, digest in manifest["filer"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    version = "Ändrad version." in (folder / f"{DOCUMENT}.md").read_text(encoding="utf-8")
    assert ("Ändrad version." in docx_text(folder / f"{DOCUMENT}.docx")) == version
    assert ("Ändrad version." in html_text(folder / f"{DOCUMENT}.html")) == version
    assert manifest["dokument"][DOCUMENT]["data"] == manifest["data"]


def test_failure_halfway_leaves_complete_files_and_a_true_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import output as output_module
    from generator.errors import OutputError
    from generator.pipeline import Options, render_document, validate_files

    path = case_file(tmp_path)
    options = Options(formats=("md", "html", "docx"))
    (case,), _ = validate_files([path], options)
    rendered = [item for document in case.documents for item in render_document(case, document, options.formats, options.dirs)]
    real_write, calls = output_module._atomic_write, []

    def disk_full_on_third(target: Path, data: bytes) -> None:
        if target.name != output_module.JOURNAL:  # the third document file, whatever else is written
            calls.append(target.name)
            if len(calls) == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
        real_write(target, data)

    monkeypatch.setattr(output_module, "_atomic_write", disk_full_on_third)
    out = tmp_path / "ut"
    with pytest.raises(OutputError, match="disken är full"):
        output_module.write_case(case, rendered, out)
    folder = out / "FU-2026-014"
    written = {item.extension: item.content for item in rendered[:2]}
    assert {p.name for p in folder.iterdir()} == {f"{DOCUMENT}.{e}" for e in written} | {"manifest.json"}
    for extension, content in written.items():
        assert (folder / f"{DOCUMENT}.{extension}").read_bytes() == content  # complete, not half
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["filer"]) == {f"{DOCUMENT}.{e}" for e in written}

    monkeypatch.setattr(output_module, "_atomic_write", real_write)
    report = output_module.write_case(case, rendered, out)  # the earlier files are not "hand-edited"
    assert report.kept == [] and len(report.unchanged) == 2 and len(report.written) == 1


# --- same input, same bytes ------------------------------------------------------------------


def test_rerender_is_byte_identical_in_every_format(tmp_path: Path) -> None:
    import time

    path = case_file(tmp_path, change=lambda d: d["arende"].update(sekretess={"bestammelse": "25 kap. 1 § OSL"}))
    first, second = tmp_path / "ett", tmp_path / "tva"
    assert invoke("render", path, "-o", first).exit_code == 0
    time.sleep(1.1)  # a timestamp taken from the clock would now differ
    assert invoke("render", path, "-o", second).exit_code == 0
    names = sorted(p.name for p in (first / "FU-2026-014").iterdir())
    assert names == sorted([f"{DOCUMENT}.{e}" for e in ("pdf", "docx", "html", "md")] + ["manifest.json"])
    for name in names:
        assert (first / "FU-2026-014" / name).read_bytes() == (second / "FU-2026-014" / name).read_bytes(), name


# --- nothing leaks: internal fields, personnummer, the secrecy marking -----------------------


def _internal_texts() -> list[str]:
    data = trimmed_case()
    return [data["verksamhetsbedomning"]["motivering"], " ".join(data["interna_anteckningar"].split())]


def test_clean_render_holds_no_internal_value_in_any_format(tmp_path: Path) -> None:
    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path), "-o", out).exit_code == 0
    found = texts(out / "FU-2026-014")
    assert set(found) == {"md", "html", "docx", "pdf"}
    for extension, text in found.items():
        for value in _internal_texts():
            assert value not in flat(text), extension


LEAKING_TEMPLATE = """# Kallelse

Bedömning: {{ verksamhetsbedomning.farg }}

{{ verksamhetsbedomning.motivering }}

{{ interna_anteckningar | md }}
"""


def _schema_without_internal_markers() -> str:
    text = (ROOT / "schema" / "bas.yaml").read_text(encoding="utf-8")
    return re.sub(r",\s*intern: true|\n\s*intern: true", "", text)


def test_leak_scan_stops_a_leaking_user_template(tmp_path: Path, output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user schema drops the `intern` markers and, as if the bundled markers were not kept
    (`schema.keep_markers` switched off: the first line of defence failing), the context lets the
    fields through; the scan of the rendered files still finds them, names the field and writes nothing."""
    monkeypatch.setattr("generator.schema.keep_markers", lambda *args, **kwargs: None)
    path = case_file(tmp_path)
    templates = user_templates(tmp_path, LEAKING_TEMPLATE, schema=_schema_without_internal_markers())
    source = path.read_text(encoding="utf-8").splitlines()
    line_of = {key: next(n for n, row in enumerate(source, 1) if row.startswith(key))
               for key in ("verksamhetsbedomning", "interna_anteckningar")}
    motivering = next(n for n, row in enumerate(source, 1) if row.strip().startswith("motivering:") and n > line_of["verksamhetsbedomning"])
    template = templates / DOCUMENT / "dokument.md"
    before = snapshot(output)
    result = invoke("render", path, "--mallar", templates, "-o", output)
    assert result.exit_code == 1
    assert messages(result) == [
        f"{path}:{motivering}: verksamhetsbedomning.motivering: internt fält står i dokumentet 'kallelse-dialogmote' (extern; pdf, docx, html, md). "
        f"Interna uppgifter får aldrig lämna teamet; ta bort fältet ur mallen {template}",
        f"{path}:{line_of['interna_anteckningar']}: interna_anteckningar: internt fält står i dokumentet 'kallelse-dialogmote' (extern; pdf, docx, html, md). "
        f"Interna uppgifter får aldrig lämna teamet; ta bort fältet ur mallen {template}",
    ]
    assert snapshot(output) == before


def test_leak_scan_sees_what_the_pdf_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan reads a PDF through the HTML page it is made from; pdftotext of the PDF made
    with the scan switched off shows the same internal text, so the proxy is faithful."""
    from generator import leaks

    templates = user_templates(tmp_path, LEAKING_TEMPLATE, schema=_schema_without_internal_markers())
    monkeypatch.setattr(leaks, "check", lambda *args: None)
    monkeypatch.setattr("generator.schema.keep_markers", lambda *args, **kwargs: None)
    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path), "--mallar", templates, "-o", out, "-f", "pdf,docx").exit_code == 0
    folder = out / "FU-2026-014"
    for text in (pdf_text(folder / f"{DOCUMENT}.pdf"), docx_text(folder / f"{DOCUMENT}.docx")):
        assert leaks.canonical(_internal_texts()[0]) in leaks.canonical(text)
        assert leaks.canonical(_internal_texts()[1]) in leaks.canonical(text)


def test_leak_scan_sees_through_markup_and_line_breaks() -> None:
    from generator import leaks

    needle = leaks.canonical("Upprepade allvarliga brister i läkarbemanningen")
    assert needle in leaks.canonical(leaks.html_text("<p>Upprepade <strong>allvarliga</strong>\nbrister i läkar&shy;bemanningen</p>"))
    assert needle in leaks.canonical("Upprepade **allvarliga** brister i\\\nläkarbemanningen")
    assert needle not in leaks.canonical("Upprepade allvarliga brister i bemanningen")


def test_internal_text_copied_into_an_external_field_is_a_warning(tmp_path: Path) -> None:
    def copy_note(data: dict[str, Any]) -> None:
        data["kallelse_dialogmote"]["ovrigt"] = "Bakgrund: " + data["verksamhetsbedomning"]["motivering"]

    path = case_file(tmp_path, change=copy_note)
    source = path.read_text(encoding="utf-8").splitlines()
    ovrigt = next(n for n, row in enumerate(source, 1) if row.strip().startswith("ovrigt:"))
    motivering = next(n for n, row in enumerate(source, 1) if row.strip().startswith("motivering:") and "Upprepade" in row)
    result = invoke("validate", path)
    assert result.exit_code == 0
    assert messages(result) == [
        f"{path}:{ovrigt}: varning: kallelse_dialogmote.ovrigt: texten finns också i det interna fältet verksamhetsbedomning.motivering (rad {motivering}); "
        "interna uppgifter får inte lämna teamet – kontrollera att den får stå här"
    ]


PNR = "19121212-1212"


def _with_personnummer(data: dict[str, Any]) -> None:
    data["avvikelser"][0]["beskrivning"] += f"\n\nPatienten med personnummer {PNR} väntade i sex veckor."
    data["arende"]["rubrik"] += f" (patient {PNR})"


def test_personnummer_are_masked_in_every_format_and_the_document_is_marked(tmp_path: Path) -> None:
    out = tmp_path / "ut"
    result = invoke("render", case_file(tmp_path, change=_with_personnummer), "-o", out)
    assert result.exit_code == 0, result.output
    for extension, text in texts(out / "FU-2026-014").items():
        text = flat(text)
        assert PNR not in text and "121212-1212" not in text, extension
        assert "19XXXXXX-XXXX väntade" in text, extension
        assert "SEKRETESS enligt 25 kap. 1 § offentlighets- och sekretesslagen (2009:400)" in text, extension
        assert "Datum: 2026-03-30" in text, extension
        assert "Myndighet: Hälso- och sjukvårdsnämnden, Region Norrsund" in text, extension
    core = zipfile.ZipFile(out / "FU-2026-014" / f"{DOCUMENT}.docx").read("docProps/core.xml").decode("utf-8")
    assert PNR not in core and "19XXXXXX-XXXX" in core


def test_personnummer_refused_where_the_profile_says_so(tmp_path: Path, output: Path) -> None:
    profile = tmp_path / "organisation.yaml"
    profile.write_text(PROFILE.read_text(encoding="utf-8").replace("personnummer: maskera", "personnummer: vagra"), encoding="utf-8")

    def refuse(data: dict[str, Any]) -> None:
        _with_personnummer(data)
        data["organisation"] = str(profile)

    path = case_file(tmp_path, change=refuse)
    source = path.read_text(encoding="utf-8").splitlines()
    rubrik = next(n for n, row in enumerate(source, 1) if row.strip().startswith("rubrik:") and PNR in row)
    beskrivning = next(n for n, row in enumerate(source, 1) if row.strip().startswith("beskrivning:") and n > rubrik)
    before = snapshot(output)
    result = invoke("render", path, "-o", output)
    assert result.exit_code == 1
    refusal = "personnummer får inte stå i ett dokument som lämnar teamet (organisationsprofilen: vagra); ta bort det"
    assert messages(result) == [f"{path}:{rubrik}: arende.rubrik: {refusal}", f"{path}:{beskrivning}: avvikelser[1].beskrivning: {refusal}"]
    assert snapshot(output) == before


def test_personnummer_written_into_a_template_is_caught(tmp_path: Path, output: Path) -> None:
    templates = user_templates(tmp_path, f"# Kallelse\n\nTestpatient {PNR}.\n")
    before = snapshot(output)
    result = invoke("render", case_file(tmp_path), "--mallar", templates, "-o", output, "-f", "md,html")
    assert result.exit_code == 1
    assert messages(result) == [
        f"{templates / DOCUMENT / 'dokument.md'}:11: dokumentet 'kallelse-dialogmote' (extern; md, html) innehåller ett personnummer som inte är maskerat; "
        "personnummer ska maskeras i dokument som lämnar teamet; kontrollera mallen och fälten den skriver ut"
    ]
    assert snapshot(output) == before


def test_explicit_secrecy_marking_with_date_and_authority(tmp_path: Path) -> None:
    marking = {"bestammelse": "21 kap. 1 § OSL", "datum": dt.date(2026, 3, 31), "myndighet": "Regionstyrelsen, Region Norrsund"}
    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path, change=lambda d: d["arende"].update(sekretess=marking)), "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    for extension, text in texts(folder).items():
        expected = ("SEKRETESS enligt 21 kap. 1 § offentlighets- och sekretesslagen (2009:400) "
                    "Datum: 2026-03-31 Myndighet: Regionstyrelsen, Region Norrsund")
        assert expected in flat(text.replace("\\", "")), extension
    page = (folder / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    main = page[page.index("<main>"):]
    assert main.index('class="sekretess"') < main.index('class="mottagare"')  # at the top of the body
    document = docx.Document(str(folder / f"{DOCUMENT}.docx"))
    text = [p for p in document.paragraphs if p.style.name != "Brevhuvud"]  # the body after page 1's letterhead
    marked = [p for p in text if p.text.startswith("SEKRETESS")]
    assert marked and marked[0].style.name == "Sekretess"


def test_no_marking_without_confidential_data(tmp_path: Path) -> None:
    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path), "-o", out, "-f", "md,html").exit_code == 0
    for text in texts(out / "FU-2026-014").values():
        assert "SEKRETESS" not in text


# --- property-based: generated YAML never gets an unhandled exception ------------------------

ODD_STRINGS = [
    "{{ 7*7 }}", "{% for x in y %}", "{{ ''.__class__.__mro__ }}", "<script>alert(1)</script>", "[x](file:///etc/passwd)",
    "![x](http://127.0.0.1:9/x.png)", PNR, "121212-1212", "\u202eRTL", "\u00a0", "a\nb\n- c", "# rubrik", "| a | b |", "---",
    "::: sekretess\nx\n:::", "\\", "*" * 50, "x" * 3000, "2026-02-30", "13:00", "no", "~", "&x", "😀", "\t", "a\r\nb", "", " ",
    "../../etc/passwd", "%s%n", "\u2028", "\ufeff", "SE5591234561-1001", "559123-4561", "HSN 2026-00123",
]
TOP_KEYS = list(trimmed_case()) + ["anmodan_om_rattelse", "kontrollplan", "overlamning", "okand"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20), st.dates(),
    st.sampled_from(ODD_STRINGS),
)
keys = st.one_of(st.sampled_from(TOP_KEYS + ["id", "namn", "datum", "typ", "rubrik", "mote", "plats"]), st.text(min_size=1, max_size=10))


def nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5))


values = st.recursive(scalars, nested, max_leaves=12)
random_documents = st.dictionaries(st.sampled_from(TOP_KEYS) | st.text(min_size=1, max_size=8), values, max_size=8)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@st.composite
def mutated_cases(draw: st.DrawFn) -> dict[str, Any]:
    """The example case with a few of its fields dropped, retyped or replaced by odd strings."""
    data = trimmed_case()
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(data))))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["drop", "odd", "value", "wrap"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "odd":
            parent[path[-1]] = draw(st.sampled_from(ODD_STRINGS))
        elif action == "value":
            parent[path[-1]] = draw(values)
        else:
            parent[path[-1]] = [parent[path[-1]]] if draw(st.booleans()) else {"x": parent[path[-1]]}
    return data


@functools.lru_cache(maxsize=1)
def _trimmed_text() -> str:
    return yaml.safe_dump(_trimmed_case(), allow_unicode=True, sort_keys=False, width=1000)


@st.composite
def mangled_text(draw: st.DrawFn) -> str:
    """The example case's text with characters cut, inserted or swapped."""
    text = _trimmed_text()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["cut", "insert", "indent"]))
        if action == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif action == "insert":
            piece = draw(st.sampled_from([":", "- ", '"', "'", "&a ", "*a", "\t", "  ", "\n", "{", "[", "!!", "#", "|", ">", "? "]))
            text = text[:at] + piece + text[at:]
        else:
            line_start = text.rfind("\n", 0, at) + 1
            text = text[:line_start] + " " + text[line_start:]
    return text


# About 1 800 documents in about a minute: most of the time goes to parsing YAML and to
# Cerberus, so the cheap kinds (random text) get the most examples.
HYPOTHESIS = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)


def _throw(text: str, folder: Path) -> None:
    """validate and render (md, html) one document: the result is a clean success or a clean error."""
    path = folder / "arende.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = folder / "ut"
    for command in (["validate", path], ["render", path, "-f", "md,html", "-o", out]):
        result = invoke(*command)
        assert result.exit_code in (0, 1, 2), result.output
        if result.exit_code:
            assert result.stderr.strip(), "a failure without a message"
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hypothesis")


@settings(HYPOTHESIS, max_examples=700)
@given(document=random_documents)
def test_random_yaml_documents(document: dict[str, Any], scratch: Path) -> None:
    _throw(yaml.safe_dump(document, allow_unicode=True), scratch)


@settings(HYPOTHESIS, max_examples=800)
@given(text=st.text(max_size=300))
def test_random_text(text: str, scratch: Path) -> None:
    _throw(text, scratch)


@settings(HYPOTHESIS, max_examples=120)
@given(data=mutated_cases())
def test_mutated_example_case(data: dict[str, Any], scratch: Path) -> None:
    _throw(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), scratch)


@settings(HYPOTHESIS, max_examples=150)
@given(text=mangled_text())
def test_mangled_example_text(text: str, scratch: Path) -> None:
    _throw(text, scratch)


def _parsed(text: str, libyaml: bool) -> tuple[Any, ...]:
    """What parse_yaml makes of a text with or without libyaml: data and lines, or the message."""
    from unittest import mock

    from generator import case
    from generator.errors import InputError

    with mock.patch.object(case, "_libyaml_usable", lambda: libyaml):
        try:
            source = case.parse_yaml(text, "arende.yaml")
        except InputError as exc:
            return ("fel", str(exc))
    return ("ok", repr(source.data), source.lines)


@settings(HYPOTHESIS, max_examples=300)
@given(text=st.one_of(st.text(max_size=300), mangled_text(), random_documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True))))
def test_libyaml_and_pure_python_read_the_same(text: str) -> None:
    """libyaml is only faster: the same data, the same line of every field, the same message."""
    from generator import case

    if not case._libyaml_usable():
        pytest.skip("PyYAML is installed without libyaml")
    assert _parsed(text, libyaml=True) == _parsed(text, libyaml=False)


def test_libyaml_refuses_deep_nesting_as_the_pure_loader_does() -> None:
    for depth in (39, 40, 41, 2000):
        for text in ("[" * depth + "]" * depth, "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v\n",
                     "a: &a " + "[" * 30 + "1" + "]" * 30 + "\nb: " + "[" * (depth - 30 if depth > 30 else 1) + "*a" + "]" * (depth - 30 if depth > 30 else 1) + "\n"):
            assert _parsed(text, libyaml=True) == _parsed(text, libyaml=False), (depth, text[:40])


def test_the_bundled_schemas_read_fast_are_the_schemas_read_as_a_user_file() -> None:
    """`validate` reads mallgen's own schemas without lines or checks (generator.case.read_bundled):
    the data is the same as the careful reading a user's schema gets, and the checks find nothing."""
    from generator.case import read_bundled, read_yaml
    from generator.schema import _rule_problems, bundled_schemas

    paths = sorted(bundled_schemas().glob("*.yaml"))
    assert len(paths) > 40
    for path in paths:
        careful = read_yaml(path, what="schemat").data
        assert read_bundled(path).data == careful, path.name
        assert list(_rule_problems(careful, path, ())) == [], path.name
