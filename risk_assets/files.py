"""Small file-system helpers shared by the steps that write outputs.

Policy for files holding student data (snapshots, metrics, students CSV, summaries, reports, outbox): readable
and writable by the user running the pipeline only (0600). Share them through that user's access, not through
the files' modes."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from risk_assets.errors import UserError

_FIXES: dict[int | None, str] = {  # keyed like OSError.errno, which may be None
    errno.ENOSPC: "the disk is full: free space there, or point RISK_REPORTS_DIR / RISK_DATA_DIR at another disk",
    errno.EDQUOT: "the disk quota is used up: free space, or point RISK_REPORTS_DIR / RISK_DATA_DIR elsewhere",
    errno.EROFS: "the file system is read-only: mount it read-write, or point RISK_REPORTS_DIR / RISK_DATA_DIR "
                 "at a writable folder",
    errno.EACCES: "this user may not write there: fix the folder's owner or mode, or point RISK_REPORTS_DIR / "
                  "RISK_DATA_DIR at a writable folder",
}


def unwritable(path: Path, error: OSError) -> UserError:
    """The error a user can act on: which path, what the system said, what to do."""
    fix = _FIXES.get(error.errno, "check the folder, or point RISK_REPORTS_DIR / RISK_DATA_DIR elsewhere")
    return UserError(f"cannot write {path}: {error.strerror or error}; {fix} (any earlier file there is unchanged)")


def write_atomically(path: Path, data: bytes) -> Path:
    """Write via a temporary file and rename, so a reader never sees a half-written file (mode 0600, from
    mkstemp). A full or read-only disk is a UserError naming the path; the old file stays as it was."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise unwritable(path, error) from None
        raise
    return path


PRIVATE_FILE = 0o600


def make_private(path: Path) -> Path:
    os.chmod(path, PRIVATE_FILE)
    return path
