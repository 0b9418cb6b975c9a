"""The only stage that touches the output folder: atomic writes, the manifest, the hand-edit guard."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
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
    try:
        root = out_dir.resolve()
        folder = (root / case_id).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        raise OutputError(f"{out_dir}: mappen för dokumenten kan inte användas (en symbolisk länk pekar på sig själv, "
                          "eller sökvägen är för lång). Välj en annan med -o.") from None
    if folder.parent != root or case_id in ("", ".", "..") or "/" in case_id or "\\" in case_id:
        raise OutputError(f"ärende-id '{case_id}' kan inte användas som mappnamn i {out_dir}")
    return folder


LOCK_SECONDS = 120  # writing a case's files takes seconds; a lock held longer belongs to a hung or stopped process


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer per case folder at a time, so parallel renders never interleave.

    The lock file is in the system's temporary folder, named after the case folder, so the output
    holds documents only; filelock locks the same way on Windows and POSIX. Another process holding
    it longer than LOCK_SECONDS is an error with a message, not a wait without end.
    """
    from filelock import FileLock, Timeout

    key = hashlib.sha256(os.path.normcase(str(folder.resolve())).encode("utf-8")).hexdigest()[:32]
    lock = FileLock(Path(tempfile.gettempdir()) / f"mallgen-{key}.lock")
    try:
        lock.acquire(timeout=LOCK_SECONDS)
    except Timeout:
        raise OutputError(f"{folder}: en annan mallgen skriver i mappen och har inte blivit klar på {LOCK_SECONDS} sekunder. "
                          "Vänta tills den är klar, eller avsluta den, och kör igen.") from None
    try:
        yield
    finally:
        lock.release()


@functools.cache
def file_mode() -> int:
    """The permissions a file created now gets (0666 less the umask): documents holding patient data
    are as readable as the user's other files, never more. Read once: os.umask can only be read by
    setting it, and the process sets it back at once."""
    mask = os.umask(0o077)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic_write(path: Path, data: bytes, before_replace: Callable[[], None] | None = None) -> None:
    """`data` to a temporary file beside `path`, then renamed over it: a reader or a crash never sees
    half a file. `before_replace` runs once the data is safely on disk (a backup of the old file is
    made only then, so a full disk never moves a file aside without writing its replacement)."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, file_mode())  # mkstemp makes 0600; a new file gets what the user's umask gives
        if before_replace is not None:
            before_replace()
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


TEMP_SUFFIX = ".tmp"
JOURNAL = ".mallgen-skrivning.json"  # what a write is about to do; present only while one runs or after one was stopped
MAX_OWN_FILE = 1024 * 1024 * 1024  # a document mallgen wrote is far smaller; a larger file is compared by size only


def regular_file(path: Path) -> bool:
    """True for a regular file (not a link, folder, FIFO or device): only such a file is read here,
    so a FIFO or a link to /dev/zero in the output folder never blocks a render holding the lock."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def file_digest(path: Path) -> str | None:
    """SHA-256 of a regular file, read in pieces; None when it is missing or no regular file."""
    if not regular_file(path):
        return None
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(1024 * 1024):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def read_manifest(folder: Path, name: str = MANIFEST) -> dict[str, Any]:
    """The folder's manifest (or journal) as a dict, or {} when it is missing, no regular file or no JSON object."""
    path = folder / name
    if not regular_file(path) or path.stat().st_size > 64 * 1024 * 1024:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # unreadable, not JSON, or nested past any real manifest
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
    return isinstance(digest, str) and file_digest(path) == digest


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


def recover(folder: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """Finish what a stopped write left (kill, a closed terminal, a crash, a full disk): its
    temporary files are removed, and every file its journal lists that is on disk exactly as the
    journal says counts as written by mallgen. Returns those files' digests and their documents'
    manifest entries; the journal itself goes once a new manifest holds them."""
    for leftover in folder.glob(f".*{TEMP_SUFFIX}"):
        if regular_file(leftover) and leftover.name.count(".") >= 3:  # .<name>.<random>.tmp, as _atomic_write names them
            with contextlib.suppress(OSError):
                leftover.unlink()
    journal = read_manifest(folder, JOURNAL)
    planned = _recorded_files(journal, folder, check=False)
    written = {name: digest for name, digest in planned.items() if file_digest(folder / name) == digest}
    entries = journal.get("dokument")
    documents = {doc: entry for doc, entry in (entries.items() if isinstance(entries, dict) else [])
                 if isinstance(entry, dict) and any(name.startswith(f"{doc}.") for name in written)}
    return written, documents


def _write_locked(case: Case, rendered: list[Rendered], folder: Path, force: bool, today: dt.date, report: WriteReport,
                  entries: Mapping[str, Mapping[str, str]] | None, current: Mapping[str, list[str]]) -> None:
    """Every file, then the manifest, as one recoverable step: a journal names what is about to be
    written before anything is, and goes when the manifest holds it (see `recover`)."""
    recovered, recovered_documents = recover(folder)
    old = read_manifest(folder)
    if current:
        still = current_files(folder, old, {d: (entries or {})[d] for d in current}, current)
        report.stale = [d for d in current if d not in still]
        if report.stale:
            return
        report.unchanged += [folder / name for d in current for name in current[d]]
    recorded = {**_recorded_files(old, folder), **recovered}
    files = dict(recorded)
    known = old.get("dokument")
    documents: dict[str, Any] = {k: v for k, v in known.items() if isinstance(v, dict)} if isinstance(known, dict) else {}
    documents.update(recovered_documents)

    def entry(document: Any) -> dict[str, Any]:
        return dict(entries[document.id]) if entries is not None and document.id in entries else manifest_entry(document, case.data_hash)

    on_disk = {_name(item): file_digest(folder / _name(item)) for item in rendered}
    for item in rendered:
        path = folder / _name(item)
        if (path.exists() or path.is_symlink()) and not regular_file(path):
            raise OutputError(f"{path}: finns redan men är ingen vanlig fil (en mapp, en länk, en FIFO eller en enhet). "
                              "Flytta den och kör igen.")
    edited = {item.document.id for item in rendered if _edited(on_disk[_name(item)], recorded.get(_name(item)), item.content)}
    planned = [item for item in rendered if force or item.document.id not in edited]
    journal = {"filer": {_name(item): sha256(item.content) for item in planned},
               "dokument": {item.document.id: entry(item.document) for item in planned}}
    done = {item.document.id: item.document for item in rendered}
    journaled = False
    finished = False
    try:
        for item in rendered:
            name = _name(item)
            path = folder / name
            digest = sha256(item.content)
            on_file = on_disk[name]
            if item.document.id in edited and not force:
                if _edited(on_file, recorded.get(name), item.content):
                    report.kept.append(path)
                    if name not in recorded:
                        report.unrecorded.append(path)
                continue  # nothing of a hand-edited document is rewritten
            if on_file == digest:
                report.unchanged.append(path)
                files[name] = digest
                continue
            if not journaled:
                _atomic_write(folder / JOURNAL, (json.dumps(journal, ensure_ascii=False) + "\n").encode("utf-8"))
                journaled = True
            backup: list[Path] = []

            def move_aside(path: Path = path, item: Rendered = item, backup: list[Path] = backup) -> None:
                target = _free_name(folder / f"{item.document.id}.redigerad-{today.isoformat()}.{item.extension}")
                os.replace(path, target)
                backup.append(target)
                report.backups.append(target)

            edited_here = on_file is not None and _edited(on_file, recorded.get(name), item.content)
            if edited_here:
                _atomic_write(path, item.content, move_aside)
            else:
                _atomic_write(path, item.content)
            files[name] = digest
            report.written.append(path)
        finished = True
    finally:
        # A document's record changes only once all its files are as rendered: one kept for a hand
        # edit, or cut off halfway, keeps its old record, so the next run renders it again.
        complete = {*report.written, *report.unchanged}
        for doc_id, document in done.items():
            if all(folder / _name(item) in complete for item in rendered if item.document.id == doc_id):
                documents[doc_id] = entry(document)
        manifest = {
            "verktyg": tool_version(),
            "arende": case.id,
            "diarienummer": case.diarienummer,
            "data": case.data_hash,
            "dokument": dict(sorted(documents.items())),
            "filer": dict(sorted((name, digest) for name, digest in files.items() if (folder / name).is_file())),
        }
        text = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        interrupted = False
        for _ in range(2):  # Ctrl+C (or kill) while the small manifest is written: finish it, then stop
            try:
                _finish(folder, text, journaled or bool(recovered))
                break
            except KeyboardInterrupt:
                interrupted = True
            except OSError:
                if finished:
                    raise
                # The first error (the one that stopped the writing) is the one to report; the
                # journal stays, and the next render finishes the manifest from it.
                break
        if interrupted:
            raise KeyboardInterrupt


def _finish(folder: Path, manifest: bytes, journaled: bool) -> None:
    """Write the manifest (when it changed) and then drop the journal it now holds."""
    if manifest != _manifest_bytes(folder):  # an unchanged render leaves the folder untouched
        _atomic_write(folder / MANIFEST, manifest)
    if journaled or (folder / JOURNAL).exists():
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / JOURNAL)


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _recorded_files(manifest: dict[str, Any], folder: Path, check: bool = True) -> dict[str, str]:
    """The manifest's `filer` as far as they can be true: a plain file name in this folder, with a
    SHA-256. An entry naming another folder ("../x"), a missing file or no digest is dropped, so a
    hostile or stale manifest.json neither steers the hand-edit guard nor survives into the next one."""
    entries = manifest.get("filer")
    if not isinstance(entries, dict):
        return {}
    return {
        name: digest for name, digest in entries.items()
        if isinstance(name, str) and isinstance(digest, str) and _DIGEST.fullmatch(digest) and name not in ("", ".", "..", MANIFEST)
        and not name.startswith(".") and "/" not in name and "\\" not in name and (not check or regular_file(folder / name))
    }


def _manifest_bytes(folder: Path) -> bytes | None:
    if not regular_file(folder / MANIFEST):
        return None
    try:
        return (folder / MANIFEST).read_bytes()
    except OSError:
        return None


def _name(item: Rendered) -> str:
    return f"{item.document.id}.{item.extension}"


def _edited(current: str | None, recorded: str | None, new: bytes) -> bool:
    """The file (its digest `current`, None when absent) differs both from what we last wrote there
    (`recorded`) and from what we would write now."""
    return current is not None and current != sha256(new) and recorded != current


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
