"""`mallgen preview`: one document as HTML on localhost, reloaded in the browser on every change.

The standard library is enough: `http.server` serves the page and a server-sent events stream
(`/andringar`); a thread polls the files the page is made from (the template search path, the
schemas, the data and what the data names) and, when one changes, forgets every cached template
and schema and tells each open page to reload. A broken template or case shows in the page, with
file and line, and the server keeps running so the next save can fix it.
"""

from __future__ import annotations

import html
import re
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .errors import DataError, MallgenError, UsageError
from .resources import bundled

EVENTS = "/andringar"
POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15
_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\s*', re.I)


class Preview:
    """The state of one preview: what to render, what to watch, and the change counter."""

    def __init__(self, document_id: str, data_file: Path | None, user_dir: Path | None) -> None:
        from .templates import find_template, template_dirs

        self.document_id = document_id
        self.data_file = data_file
        self.user_dir = user_dir
        self.dirs = tuple(template_dirs(user_dir))
        try:
            self.template = find_template(document_id, self.dirs)  # an unknown document is a usage error, now
        except MallgenError as exc:
            raise UsageError(str(exc)) from None
        if data_file is not None and not data_file.is_file():
            raise UsageError(f"{data_file}: filen finns inte")
        self.generation = 0
        self.changed = threading.Condition()
        self.stopping = False
        self._signature = self._files_signature()

    # --- what the page is made from ---------------------------------------------------------------

    def watched(self) -> Iterator[Path]:
        """Every file a change to which can change the page."""
        from .samples import sample_path
        from .schema import schema_dirs

        for folder in (*self.dirs, *schema_dirs(self.user_dir)):
            yield from (p for p in folder.rglob("*") if p.is_file())
        data = self.data_file or sample_path(self.template)
        yield data
        yield from data.parent.glob("*.yaml")  # the organisation profile beside a case
        examples = bundled("examples")
        yield examples / "organisation.yaml"
        if self.template.source == "arsrapport" and data.is_file():
            yield from self._report_inputs(data)

    def _report_inputs(self, spec: Path) -> Iterator[Path]:
        import yaml

        try:
            inputs = (yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("indata") or []
        except (OSError, yaml.YAMLError, AttributeError):
            return
        for item in inputs:
            path = (spec.parent / str(item)).resolve()
            yield from ([p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path])

    def _files_signature(self) -> dict[str, tuple[int, int]]:
        signature = {}
        for path in self.watched():
            try:
                info = path.stat()
            except OSError:
                continue
            signature[str(path)] = (info.st_mtime_ns, info.st_size)
        return signature

    def poll(self) -> bool:
        """True (and every open page told) when a watched file changed since the last poll."""
        current = self._files_signature()
        if current == self._signature:
            return False
        self._signature = current
        _forget_caches()
        with self.changed:
            self.generation += 1
            self.changed.notify_all()
        return True

    def wait(self, seen: int, timeout: float) -> None:
        """Block until the generation moves past `seen`, the preview stops, or `timeout` passes."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen or self.stopping, timeout=timeout)

    # --- the page ---------------------------------------------------------------------------------

    def page(self, nonce: str) -> str:
        """The document as HTML, or a page that shows why it could not be made."""
        from .samples import render_sample
        from .templates import find_template

        try:
            self.template = find_template(self.document_id, self.dirs)
            rendered = render_sample(self.template, self.user_dir, ("html",), self.data_file)
            page = next(content for _, extension, content in rendered.outputs if extension == "html").decode("utf-8")
            warnings = [str(p) for p in rendered.warnings]
        except DataError as exc:
            return _error_page(self.document_id, [*exc.failures, *(str(p) for p in exc.problems)], nonce)
        except MallgenError as exc:
            return _error_page(self.document_id, [str(exc)], nonce)
        page = _CSP_META.sub("", page, count=1)
        if warnings:
            notes = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
            banner = f'<aside class="mallgen-forhandsgranskning" style="{_BOX}"><p>Varningar:</p><ul>{notes}</ul></aside>'
            page = page.replace("<main>", banner + "<main>", 1)
        return _with_reload(page, nonce)


_BOX = "border:2px solid #8a4b00;background:#fff4e5;color:#222;padding:0.5em 1em;margin:1em 0;font-family:sans-serif"


def _forget_caches() -> None:
    from . import schema, templates

    templates.reset_caches()
    schema.reset_caches()


def _reload_script(nonce: str) -> str:
    return (f'<script nonce="{nonce}">new EventSource("{EVENTS}").addEventListener("andring", '
            "function () { location.reload(); });</script>")


def _with_reload(page: str, nonce: str) -> str:
    script = _reload_script(nonce)
    return page.replace("</body>", script + "</body>", 1) if "</body>" in page else page + script


def _error_page(document_id: str, messages: list[str], nonce: str) -> str:
    items = "\n".join(f'<li><pre style="white-space:pre-wrap;margin:0.3em 0">{html.escape(m)}</pre></li>' for m in messages)
    return f"""<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><title>Fel i {html.escape(document_id)} – förhandsgranskning</title></head>
<body style="font-family:sans-serif;margin:2em">
<main>
<h1>{html.escape(document_id)} kunde inte skapas</h1>
<p>Rätta felet och spara; sidan laddas om av sig själv.</p>
<ul class="fel" style="{_BOX}">
{items}
</ul>
</main>
{_reload_script(nonce)}
</body>
</html>
"""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal stays for the URL and Ctrl+C

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._page()
        elif path == EVENTS:
            self._events()
        else:
            self.send_error(404, "Finns inte")

    def _page(self) -> None:
        nonce = secrets.token_urlsafe(16)
        body = self.server.preview.page(nonce).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
                         f"script-src 'nonce-{nonce}'; connect-src 'self'")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        preview = self.server.preview
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = preview.generation
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            while not preview.stopping:
                preview.wait(seen, KEEPALIVE_SECONDS)
                if preview.stopping:
                    return
                if preview.generation != seen:
                    seen = preview.generation
                    self.wfile.write(f"event: andring\ndata: {seen}\n\n".encode())
                else:
                    self.wfile.write(b": ping\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return  # the page was closed or reloaded


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    preview: Preview


class PreviewServer:
    """The preview on 127.0.0.1: `start()` serves in the background, `stop()` ends it."""

    def __init__(self, preview: Preview, port: int = 0) -> None:
        try:
            self.httpd = _Server(("127.0.0.1", port), _Handler)
        except OSError as exc:
            raise UsageError(f"porten {port} kan inte användas ({exc.strerror}); välj en annan med --port") from None
        self.httpd.preview = preview
        self.preview = preview
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def start(self) -> None:
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        watch = threading.Thread(target=self._watch, daemon=True)
        self._threads = [serve, watch]
        for thread in self._threads:
            thread.start()

    def _watch(self) -> None:
        while not self.preview.stopping:
            time.sleep(POLL_SECONDS)
            try:
                self.preview.poll()
            except OSError:
                continue  # a file half-saved or moved away: the next poll sees it settled

    def stop(self) -> None:
        self.preview.stopping = True
        with self.preview.changed:
            self.preview.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def serve(document_id: str, data_file: Path | None, user_dir: Path | None, port: int, announce: Any) -> None:
    """Serve until Ctrl+C; `announce(url)` is told where."""
    server = PreviewServer(Preview(document_id, data_file, user_dir), port)
    server.start()
    announce(server.url)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
