"""The only stage that touches the output folder: atomic writes, the manifest, the hand-edit guard."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputError, os_reason
from .pipeline import Case, Rendered, manifest_entry, tool_version

MANIFEST = "manifest.json"


@dataclass
class WriteReport:
    """What happened to each file: written, unchanged, or kept because someone edited it."""

    folder: Path
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    unrecorded: list[Path] = field(default_factory=list)  # kept files the manifest does not know at all
    backups: list[Path] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # documents thought current that changed meanwhile: nothing was written


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def case_folder(out_dir: Path, case_id: str) -> Path:
    """`out_dir/<case id>`, refusing any id that would land outside the output folder."""
    root = out_dir.resolve()
    folder = (root / case_id).resolve()
    if folder.parent != root or case_id in ("", ".", "..") or "/" in case_id or "\\" in case_id:
        raise OutputError(f"ärende-id '{case_id}' kan inte användas som mappnamn i {out_dir}")
    return folder


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer per case folder at a time, so parallel renders never interleave.

    The lock file is in the system's temporary folder, named after the case folder, so the output
    holds documents only; filelock locks the same way on Windows and POSIX.
    """
    from filelock import FileLock

    key = hashlib.sha256(os.path.normcase(str(folder.resolve())).encode("utf-8")).hexdigest()[:32]
    with FileLock(Path(tempfile.gettempdir()) / f"mallgen-{key}.lock"):
        yield


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _make_folder(folder: Path, out_dir: Path) -> list[Path]:
    """Create the case folder (and the output folder) only now that something will be written.

    Returns the folders created, deepest first, so a write that fails can take them away again.
    """
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        raise OutputError(f"{out_dir}: mappen för dokumenten kan inte skapas ({os_reason(exc)}). Välj en annan med -o.") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for created in folders:
        with contextlib.suppress(OSError):
            created.rmdir()  # only succeeds while empty


def current_files(folder: Path, manifest: dict[str, Any], entries: Mapping[str, Mapping[str, str]], names: Mapping[str, list[str]]) -> list[str]:
    """The documents (of `entries`: id → the record a render now would write) that need no render:
    the manifest holds the same record for them, and each of their files (`names`: id → file
    names) is on disk exactly as the manifest says. A file edited by hand, deleted or never
    written makes its document stale, so it is rendered (and the edit still kept)."""
    documents: dict[str, Any] = manifest["dokument"] if isinstance(manifest.get("dokument"), dict) else {}
    files: dict[str, Any] = manifest["filer"] if isinstance(manifest.get("filer"), dict) else {}
    current = []
    for doc_id, entry in entries.items():
        if documents.get(doc_id) != entry or not names.get(doc_id):
            continue
        if all(_holds(folder / name, files.get(name)) for name in names[doc_id]):
            current.append(doc_id)
    return current


def _holds(path: Path, digest: Any) -> bool:
    try:
        return isinstance(digest, str) and path.is_file() and sha256(path.read_bytes()) == digest
    except OSError:
        return False


def write_case(case: Case, rendered: list[Rendered], out_dir: Path, force: bool = False, today: dt.date | None = None,
               entries: Mapping[str, Mapping[str, str]] | None = None, current: Mapping[str, list[str]] | None = None) -> WriteReport:
    """Write one case's files and manifest. A file edited by hand is never overwritten silently.

    Every file is written to a temporary name and renamed, so a reader (or a crash) never sees
    half a file; the manifest is rewritten after the documents, also when writing stops halfway,
    so it always describes what is on disk.

    `entries` (document id → record) is what the manifest records for each document; without it,
    the template and data only. `current` names the documents that were not rendered because
    they are up to date (id → their file names): they are checked again under the lock, and if
    one changed meanwhile (another render), nothing is written and `stale` names them.
    """
    folder = case_folder(out_dir, case.id)
    created: list[Path] = []
    if not folder.is_dir():
        if folder.exists() or folder.is_symlink():
            raise OutputError(f"{folder}: finns redan men är inte en mapp. Flytta den eller välj en annan mapp med -o.")
        created = _make_folder(folder, out_dir)
    report = WriteReport(folder)
    try:
        with _locked(folder):
            _write_locked(case, rendered, folder, force, today or dt.date.today(), report, entries, current or {})
    except OSError as exc:
        _remove_empty(created)
        reason = os_reason(exc)
        raise OutputError(f"{folder}: kunde inte skriva ({reason}). Kontrollera behörigheten eller välj en annan mapp med -o.") from None
    except BaseException:
        _remove_empty(created)
        raise
    return report


def _write_locked(case: Case, rendered: list[Rendered], folder: Path, force: bool, today: dt.date, report: WriteReport,
                  entries: Mapping[str, Mapping[str, str]] | None, current: Mapping[str, list[str]]) -> None:
    old = read_manifest(folder)
    if current:
        still = current_files(folder, old, {d: (entries or {})[d] for d in current}, current)
        report.stale = [d for d in current if d not in still]
        if report.stale:
            return
        report.unchanged += [folder / name for d in current for name in current[d]]
    recorded: dict[str, str] = old.get("filer", {}) if isinstance(old.get("filer"), dict) else {}
    files = dict(recorded)
    documents: dict[str, Any] = dict(old.get("dokument", {})) if isinstance(old.get("dokument"), dict) else {}
    edited = {item.document.id for item in rendered if _edited(folder / _name(item), recorded, item.content)}
    done = {item.document.id: item.document for item in rendered}
    try:
        for item in rendered:
            name = _name(item)
            path = folder / name
            digest = sha256(item.content)
            if item.document.id in edited and not force:
                if _edited(path, recorded, item.content):
                    report.kept.append(path)
                    if path.name not in recorded:
                        report.unrecorded.append(path)
                continue  # nothing of a hand-edited document is rewritten
            if path.exists():
                if not path.is_file():
                    raise OutputError(f"{path}: finns redan men är inte en fil. Flytta den och kör igen.")
                if sha256(path.read_bytes()) == digest:
                    report.unchanged.append(path)
                    files[name] = digest
                    continue
                if _edited(path, recorded, item.content):
                    backup = _free_name(folder / f"{item.document.id}.redigerad-{today.isoformat()}.{item.extension}")
                    os.replace(path, backup)
                    report.backups.append(backup)
            _atomic_write(path, item.content)
            files[name] = digest
            report.written.append(path)
    finally:
        # A document's record changes only once all its files are as rendered: one kept for a hand
        # edit, or cut off halfway, keeps its old record, so the next run renders it again.
        finished = {*report.written, *report.unchanged}
        for doc_id, document in done.items():
            if all(folder / _name(item) in finished for item in rendered if item.document.id == doc_id):
                documents[doc_id] = dict(entries[doc_id]) if entries is not None and doc_id in entries else manifest_entry(document, case.data_hash)
        manifest = {
            "verktyg": tool_version(),
            "arende": case.id,
            "diarienummer": case.data["arende"]["diarienummer"],
            "data": case.data_hash,
            "dokument": dict(sorted(documents.items())),
            "filer": dict(sorted(files.items())),
        }
        text = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        if text != _manifest_bytes(folder):  # an unchanged render leaves the folder untouched
            _atomic_write(folder / MANIFEST, text)


def _manifest_bytes(folder: Path) -> bytes | None:
    try:
        return (folder / MANIFEST).read_bytes()
    except OSError:
        return None


def _name(item: Rendered) -> str:
    return f"{item.document.id}.{item.extension}"


def _edited(path: Path, recorded: dict[str, str], new: bytes) -> bool:
    """The file differs both from what we last wrote there and from what we would write now."""
    if not path.exists():
        return False
    current = sha256(path.read_bytes())
    return current != sha256(new) and recorded.get(path.name) != current


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
