"""What every domain returns: per-student statuses, reason-code flags and the numbers behind them.

Arrays are aligned with the tenant's students sorted by student_id (see `Roster`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risk_assets.vocabulary import CRIT, INSUFFICIENT, OK, WARN, Reason

# A direct-address table is used when the keys span at most this many values (16 MB of int32).
DENSE_SPAN = 1 << 22


def lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Index of each key in an ascending array of unique keys, -1 where absent."""
    if len(sorted_keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    low, span = int(sorted_keys[0]), int(sorted_keys[-1]) - int(sorted_keys[0]) + 1
    if span <= min(DENSE_SPAN, 4 * len(keys) + 1024):
        return _dense_lookup(sorted_keys, keys, low, span)
    pos = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
    return np.where(sorted_keys[pos] == keys, pos, -1)


def _dense_lookup(sorted_keys: np.ndarray, keys: np.ndarray, low: int, span: int) -> np.ndarray:
    """The same through a table indexed by key - low: one gather per key instead of a binary search (item ids
    and student ids are usually dense; 15 million item look-ups take a tenth of the time)."""
    table = np.full(span + 1, -1, dtype=np.int32)  # the last slot answers every key outside the span
    table[sorted_keys - low] = np.arange(len(sorted_keys), dtype=np.int32)
    offset = keys - low
    offset[(offset < 0) | (offset >= span)] = span
    return table[offset].astype(np.int64)


def first_of_each(keys: np.ndarray) -> np.ndarray:
    """Per row: whether it is the first row with its key. A stable sort groups equal keys in row order, so each
    group's first is its first in the rows (7× faster than pandas' hash-based `duplicated` on 14 million keys)."""
    first = np.zeros(len(keys), dtype=bool)
    if len(keys) == 0:
        return first
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.empty(len(keys), dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    first[order[starts]] = True
    return first


@dataclass(frozen=True)
class Roster:
    """The counted students, in output order, and a lookup from student_id to position."""

    student_ids: np.ndarray

    @classmethod
    def from_students(cls, students: pd.DataFrame) -> Roster:
        return cls(np.sort(students["student_id"].to_numpy(dtype=np.int64)))

    def __len__(self) -> int:
        return len(self.student_ids)

    def positions(self, student_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Position of each id in the roster, -1 for students not counted this week."""
        return lookup(self.student_ids, np.asarray(student_ids, dtype=np.int64))

    def count(self, positions: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-student sum of `weights` (or count) over rows whose position is known."""
        keep = positions >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(positions[keep], weights=w, minlength=len(self))


@dataclass
class DomainResult:
    status: np.ndarray
    codes: dict[Reason, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)


def grade(crit: np.ndarray, warn: np.ndarray, insufficient: np.ndarray) -> np.ndarray:
    """CRIT over WARN over INSUFFICIENT over OK."""
    return np.select([crit, warn, insufficient], [CRIT, WARN, INSUFFICIENT], default=OK).astype(object)


def highest(crit_code: Reason, crit: np.ndarray, warn_code: Reason, warn: np.ndarray) -> dict[Reason, np.ndarray]:
    """One measure contributes only its highest-severity code."""
    return {crit_code: crit, warn_code: warn & ~crit}


def nullable(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Float array with NaN (written as an empty cell) where `present` is False."""
    return np.where(present, values, np.nan)
