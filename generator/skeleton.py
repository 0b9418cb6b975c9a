"""`mallgen new`: commented skeleton case files to start from (mallar/_nytt/<typ>.yaml)."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import OutputError
from .resources import bundled


def skeleton(kind: str) -> str:
    return (bundled("mallar") / "_nytt" / f"{kind}.yaml").read_text(encoding="utf-8")


def write_skeleton(kind: str, path: Path) -> None:
    """Write the skeleton, never over an existing file (it may hold someone's case)."""
    try:
        with open(path, "x", encoding="utf-8") as stream:
            stream.write(skeleton(kind))
    except FileExistsError:
        raise OutputError(f"{path}: filen finns redan och skrivs inte över. Välj ett annat namn med -o.") from None
    except OSError as exc:
        raise OutputError(f"{path}: kan inte skriva filen ({exc.strerror}).") from None
    os.chmod(path, 0o644)
