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
