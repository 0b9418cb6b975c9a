# ruff: noqa: E501  (the exact messages a user sees are compared whole, one per line)
"""Hostile templates and inputs: no template reaches the file system, nothing internal leaks
whatever a user template declares, every template's work is bounded, and no input gives a traceback.

One test per attack class. Each asserts what a user sees (exit status, the Swedish message naming
the file), that the output folder is untouched and that nothing outside it was touched.
"""

from __future__ import annotations

import datetime as dt
import io
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
    assert links and all(str(href).startswith(("https://", "http://", "mailto:", "#")) for href in links), links


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
