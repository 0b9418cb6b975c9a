"""`mallgen preview`: the document on localhost, reloaded in a real (headless) Chromium when the
template, the data or the schema changes, with errors shown in the page instead of ending it."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_conformance import Chromium

DOC = "kallelse-dialogmote"


@pytest.fixture
def own(tmp_path: Path) -> Path:
    folder = tmp_path / "egna"
    shutil.copytree(ROOT / "mallar" / DOC, folder / DOC)
    return folder


class Served:
    """`mallgen preview` running as its own process, as a handbook owner starts it."""

    def __init__(self, *args: str | Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator.cli", "preview", *map(str, args), "--port", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        ready, _, _ = select.select([self.process.stdout], [], [], 30)
        assert ready, "the preview did not start"
        assert self.process.stdout is not None
        self.line = self.process.stdout.readline()
        assert self.line.startswith(f"Förhandsgranskning av {DOC}: http://127.0.0.1:"), self.line + self.process.stderr.read()
        self.url = self.line.split(": ", 1)[1].split()[0]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str | Path) -> Served:
        served = Served(*args)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if binary is None:
        pytest.fail("chromium is missing: apt-get install chromium (scripts/test installs it)")
    chromium = Chromium(binary)
    yield chromium
    chromium.close()


def text_of(browser: Chromium, selector: str) -> Any:
    """The element's text, or None while a reload is under way."""
    try:
        return browser.evaluate(f"(document.querySelector({selector!r}) || {{}}).innerText || null")
    except RuntimeError:  # the page is being replaced
        return None


def wait_for(browser: Chromium, selector: str, check: Callable[[str], bool], seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = text_of(browser, selector)
        if isinstance(last, str) and check(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"{selector} never matched; last seen: {last!r}")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_edit_the_template_and_the_page_changes(serve, browser: Chromium, own: Path) -> None:
    served = serve(DOC, "--mallar", own)
    browser.send("Page.navigate", {"url": served.url}, session=True)
    assert wait_for(browser, "h1", lambda t: t == "Kallelse till dialogmöte")
    assert "Rehabcentrum Älvstranden" in wait_for(browser, "main", bool)  # the bundled sample's data
    source = own / DOC / "dokument.md"

    edit(source, "# Kallelse till dialogmöte", "# Kallelse till dialogmöte om bemanningen")
    assert wait_for(browser, "h1", lambda t: t.endswith("om bemanningen")) == "Kallelse till dialogmöte om bemanningen"

    # A broken template shows its file and line in the page; the server goes on.
    edit(source, "{{ arende.rubrik }}", "{{ arende.rubrik }")
    line = next(n for n, text in enumerate(source.read_text(encoding="utf-8").splitlines(), 1) if "{{ arende.rubrik }" in text)
    shown = wait_for(browser, "main", lambda t: "kunde inte skapas" in t)
    assert f"{source}:{line}: mallfel: syntaxfel: oväntat '}}'" in shown
    edit(source, "{{ arende.rubrik }", "{{ arende.rubrik }}")
    assert wait_for(browser, "h1", lambda t: t.startswith("Kallelse")) == "Kallelse till dialogmöte om bemanningen"

    # The data: the sample beside the template.
    edit(own / DOC / "exempel.yaml", "Ta gärna med bemanningslistor", "Ta med schemat")
    assert "Ta med schemat för mars och april 2026." in wait_for(browser, "main", lambda t: "Ta med schemat" in t)
    assert served.process.poll() is None


def test_a_given_case_and_a_schema_change_reload_the_page(serve, browser: Chromium, own: Path, tmp_path: Path) -> None:
    case = tmp_path / "arende.yaml"
    shutil.copy(ROOT / "examples" / "arenden" / "fordjupad-vardcentral.yaml", case)
    edit(case, "organisation: ../organisation.yaml", f"organisation: {ROOT / 'examples' / 'organisation.yaml'}")
    schema = own / "kallelse-dialogmote.yaml"
    schema.write_text((ROOT / "schema" / "kallelse-dialogmote.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    served = serve(DOC, case, "--mallar", own)
    browser.send("Page.navigate", {"url": served.url}, session=True)
    assert "Vårdcentralen Norrsund Centrum" in wait_for(browser, "main", lambda t: "Vårdcentralen" in t)

    # The schema now demands a field the case lacks: the page says so, with the case file's line.
    edit(schema, "  ovrigt: {type: string, meta: {fritext: true", "  agenda: {type: string, required: true}\n  ovrigt: {type: string, meta: {fritext: true")
    shown = wait_for(browser, "main", lambda t: "kunde inte skapas" in t)
    assert "kallelse_dialogmote.agenda: fältet saknas men krävs" in shown
    assert f"{case}:" in shown

    edit(case, "  datum: 2026-03-30\n", "  datum: 2026-03-30\n  agenda: Bemanningen\n")
    assert wait_for(browser, "h1", lambda t: t.startswith("Kallelse")) == "Kallelse till dialogmöte"


def test_the_page_is_local_only_and_states_its_policy(serve, own: Path) -> None:
    served = serve(DOC, "--mallar", own)
    assert served.url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(served.url, timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        page = response.read().decode("utf-8")
    assert "connect-src 'self'" in policy and "script-src 'nonce-" in policy
    assert 'new EventSource("/andringar")' in page
    assert page.count("<h1>") == 1 and "<title>Kallelse till dialogmöte – " in page


def test_unknown_document_and_busy_port_are_usage_errors(cli, own: Path) -> None:
    result = cli("preview", "kalelse-dialogmote", "--mallar", own)
    assert result.exit_code == 2
    assert "Menade du 'kallelse-dialogmote'?" in result.stderr
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("preview", DOC, "--port", str(port))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Fel: porten {port} kan inte användas (")
