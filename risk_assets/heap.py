"""Handing freed heap memory back to the operating system.

glibc's malloc keeps freed blocks below its mmap threshold (up to 32 MB, raised as large blocks come and go)
for reuse, resident. A large table assembled from many record batches frees a batch-sized piece per column
as it is joined; without a trim those pieces stay in the process's RSS until it exits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (macOS, musl): memory is returned by its own rules
        return None


def release_freed_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
