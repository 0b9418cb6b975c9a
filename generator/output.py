"""The only stage that touches the output folder: atomic writes, the manifest, the hand-edit guard."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputError, os_reason
from .pipeline import Case, Rendered, tool_version

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


def write_case(case: Case, rendered: list[Rendered], out_dir: Path, force: bool = False, today: dt.date | None = None) -> WriteReport:
    """Write one case's files and manifest. A file edited by hand is never overwritten silently.

    Every file is written to a temporary name and renamed, so a reader (or a crash) never sees
    half a file; the manifest is rewritten after the documents, also when writing stops halfway,
    so it always describes what is on disk.
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
            _write_locked(case, rendered, folder, force, today or dt.date.today(), report)
    except OSError as exc:
        _remove_empty(created)
        reason = os_reason(exc)
        raise OutputError(f"{folder}: kunde inte skriva ({reason}). Kontrollera behörigheten eller välj en annan mapp med -o.") from None
    except BaseException:
        _remove_empty(created)
        raise
    return report


def _write_locked(case: Case, rendered: list[Rendered], folder: Path, force: bool, today: dt.date, report: WriteReport) -> None:
    old = read_manifest(folder)
    recorded: dict[str, str] = old.get("filer", {}) if isinstance(old.get("filer"), dict) else {}
    files = dict(recorded)
    documents: dict[str, Any] = dict(old.get("dokument", {})) if isinstance(old.get("dokument"), dict) else {}
    edited = {item.document.id for item in rendered if _edited(folder / _name(item), recorded, item.content)}
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
            documents[item.document.id] = {
                "mall": item.document.folder.name,  # the template, also when one template makes several files
                "version": item.document.version,
                "giltig_fran": item.document.valid_from.isoformat(),
                **({"giltig_till": item.document.valid_to.isoformat()} if item.document.valid_to else {}),
                "malgrupp": item.document.audience,
                "data": case.data_hash,
            }
            if item.document.parent is not None:  # a registrar files it with its letter, as confidential
                documents[item.document.id] |= {"bilaga_till": item.document.parent, "sekretess": item.document.secrecy}
    finally:
        manifest = {
            "verktyg": tool_version(),
            "arende": case.id,
            "diarienummer": case.diarienummer,
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
