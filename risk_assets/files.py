"""Small file-system helpers shared by the steps that write outputs.

Policy for files holding student data (snapshots, metrics, students CSV, summaries, reports, outbox): readable
and writable by the user running the pipeline only (0600). Share them through that user's access, not through
the files' modes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> Path:
    """Write via a temporary file and rename, so a reader never sees a half-written file (mode 0600, from
    mkstemp)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


PRIVATE_FILE = 0o600


def make_private(path: Path) -> Path:
    os.chmod(path, PRIVATE_FILE)
    return path
