"""Item presentations as plain arrays in the metrics' order, for the OMIT, GUESS and ENGAGEMENT domains.

Order: (student, presented_at, item_id, presentation_id). The snapshot query already returns that
order, so sorting is skipped when a linear check confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk_assets.metrics.domain import Roster
from risk_assets.snapshot.hygiene import VALID_OUTCOMES

CORRECT, INCORRECT, OMITTED = (VALID_OUTCOMES.index(o) for o in ("correct", "incorrect", "omitted"))


@dataclass(frozen=True)
class Presentations:
    pos: np.ndarray  # roster position of the student
    session: np.ndarray
    item: np.ndarray
    outcome: np.ndarray  # int8 code: CORRECT, INCORRECT or OMITTED
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    n_options: np.ndarray  # float, NaN for NULL
    item_known: np.ndarray  # bool: the item has a row in `items`
    response_time_ms: np.ndarray  # float, NaN where unknown (NULL, or negative in the source)

    def __len__(self) -> int:
        return len(self.pos)

    @property
    def answered(self) -> np.ndarray:
        return self.outcome != OMITTED

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, roster: Roster) -> Presentations:
        """Rows of counted students with a valid outcome, in the metrics' order."""
        pos = roster.positions(frame["student_id"].to_numpy())
        outcome = pd.Categorical(frame["outcome"], categories=VALID_OUTCOMES).codes
        keep = (pos >= 0) & (outcome >= 0)
        at = frame["presented_at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        item = frame["item_id"].to_numpy(dtype=np.int64)
        pid = frame["presentation_id"].to_numpy(dtype=np.int64)
        order = _canonical_order(pos, at, item, pid, keep)

        def take(values: np.ndarray) -> np.ndarray:
            # The usual case — every row kept, already in order — shares the frame's memory.
            return values if order is None else values[order]

        return cls(
            pos=take(pos),
            session=take(frame["session_id"].to_numpy(dtype=np.int64)),
            item=take(item),
            outcome=take(outcome.astype(np.int8)),
            a=take(frame["a"].to_numpy(dtype=float)),
            b=take(frame["b"].to_numpy(dtype=float)),
            c=take(frame["c"].to_numpy(dtype=float)),
            n_options=take(frame["n_options"].to_numpy(dtype=float, na_value=np.nan)),
            item_known=take(frame["item_known"].to_numpy(dtype=bool)),
            response_time_ms=take(frame["response_time_ms"].to_numpy(dtype=float, na_value=np.nan)),
        )


def _canonical_order(pos, at, item, pid, keep) -> np.ndarray | None:
    """Indices of the kept rows sorted by (pos, at, item, pid); None when that is every row as given."""
    if keep.all():
        keys = [pos, at, item, pid]
        if _is_sorted(keys):
            return None
        return np.lexsort(keys[::-1])
    kept = np.flatnonzero(keep)
    keys = [k[kept] for k in (pos, at, item, pid)]
    return kept if _is_sorted(keys) else kept[np.lexsort(keys[::-1])]


def _is_sorted(keys: list[np.ndarray]) -> bool:
    """Lexicographic non-decreasing order of consecutive rows, checked in one pass per key."""
    if len(keys[0]) < 2:
        return True
    tied = np.ones(len(keys[0]) - 1, dtype=bool)  # equal on every key so far
    for key in keys:
        step = np.diff(key)
        if (tied & (step < 0)).any():
            return False
        tied &= step == 0
    return True
