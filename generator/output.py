"""The only stage that touches the output folder: atomic writes, the manifest, the hand-edit guard."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputError
from .pipeline import Case, Rendered, tool_version

MANIFEST = "manifest.json"


@dataclass
class WriteReport:
    """What happened to each file: written, unchanged, or kept because someone edited it."""

    folder: Path
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def case_folder(out_dir: Path, case_id: str) -> Path:
    """`out_dir/<case id>`, refusing any id that would land outside the output folder."""
    root = out_dir.resolve()
    folder = (root / case_id).resolve()
    if folder.parent != root or case_id in ("", ".", ".."):
        raise OutputError(f"ärende-id '{case_id}' kan inte användas som mappnamn i {out_dir}")
    return folder


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer per case folder at a time, so parallel renders never interleave."""
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_case(case: Case, rendered: list[Rendered], out_dir: Path, force: bool = False, today: dt.date | None = None) -> WriteReport:
    """Write one case's files and manifest. A file edited by hand is never overwritten silently."""
    folder = case_folder(out_dir, case.id)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: mappen kan inte skapas ({exc.strerror}). Välj en annan med -o.") from None
    report = WriteReport(folder)
    try:
        with _locked(folder):
            manifest = read_manifest(folder)
            recorded: dict[str, str] = manifest.get("filer", {})
            files = dict(recorded)
            documents: dict[str, Any] = manifest.get("dokument", {})
            edited = {item.document.id for item in rendered if _edited(folder / _name(item), recorded, item.content)}
            for item in rendered:
                name = _name(item)
                path = folder / name
                digest = sha256(item.content)
                if item.document.id in edited and not force:
                    if _edited(path, recorded, item.content):
                        report.kept.append(path)
                    continue  # nothing of a hand-edited document is rewritten
                if path.exists():
                    if sha256(path.read_bytes()) == digest:
                        report.unchanged.append(path)
                        files[name] = digest
                        continue
                    if _edited(path, recorded, item.content):
                        stamp = (today or dt.date.today()).isoformat()
                        backup = _free_name(folder / f"{item.document.id}.redigerad-{stamp}.{item.extension}")
                        os.replace(path, backup)
                        report.backups.append(backup)
                _atomic_write(path, item.content)
                files[name] = digest
                report.written.append(path)
                documents[item.document.id] = {"mall": item.document.id, "version": item.document.version, "giltig_fran": item.document.valid_from.isoformat(), "malgrupp": item.document.audience, "data": case.data_hash}
            manifest = {
                "verktyg": tool_version(),
                "arende": case.id,
                "diarienummer": case.data["arende"]["diarienummer"],
                "data": case.data_hash,
                "dokument": dict(sorted(documents.items())),
                "filer": dict(sorted(files.items())),
            }
            _atomic_write(folder / MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"{folder}: kunde inte skriva ({exc.strerror}). Kontrollera behörigheten eller välj en annan mapp med -o.") from None
    return report


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
