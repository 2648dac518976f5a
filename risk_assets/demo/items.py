"""The item bank shared by every tenant: 3PL items with a few incomplete rows.

a ~ LogNormal(0, 0.3), b ~ N(0, 1.2²), c ~ U(0.10, 0.30), four options. About 1 % of the
items have NULL n_options (constructed response: still presented, but outside c_hat) and
about 0.5 % NULL a or b (never presented: the practice engine cannot target or score them,
but the pipeline must cope with them in `items`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ITEM_ID_BASE = 1_000_000
N_OPTIONS = 4
NULL_OPTIONS_SHARE = 0.01
NULL_AB_SHARE = 0.005
MIN_ITEMS = 200


@dataclass(frozen=True)
class UsableItems:
    """Items the practice engine can present, sorted by difficulty for nearest-b lookups."""

    item_id: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray

    @property
    def size(self) -> int:
        return self.item_id.size


def build_item_bank(rng: np.random.Generator, n_items: int) -> pd.DataFrame:
    if n_items < MIN_ITEMS:
        # Below this a student's 7-day no-repeat window could exhaust the usable bank.
        raise ValueError(f"n_items must be at least {MIN_ITEMS}, got {n_items}")
    a = rng.lognormal(0.0, 0.3, n_items)
    b = rng.normal(0.0, 1.2, n_items)
    c = rng.uniform(0.10, 0.30, n_items)
    n_null_options = max(1, round(NULL_OPTIONS_SHARE * n_items))
    n_null_ab = max(2, round(NULL_AB_SHARE * n_items))
    incomplete = rng.choice(n_items, size=n_null_options + n_null_ab, replace=False)
    null_options, null_a, null_b = np.split(incomplete, [n_null_options, n_null_options + n_null_ab // 2])
    a[null_a] = np.nan
    b[null_b] = np.nan
    n_options = pd.array(np.full(n_items, N_OPTIONS), dtype="Int64")
    n_options[null_options] = pd.NA
    return pd.DataFrame(
        {
            "item_id": ITEM_ID_BASE + 1 + np.arange(n_items, dtype=np.int64),
            "a": a,
            "b": b,
            "c": c,
            "n_options": n_options,
        }
    )


def usable_items(bank: pd.DataFrame) -> UsableItems:
    usable = bank[np.isfinite(bank["a"]) & np.isfinite(bank["b"])].sort_values(["b", "item_id"])
    return UsableItems(
        item_id=usable["item_id"].to_numpy(),
        a=usable["a"].to_numpy(),
        b=usable["b"].to_numpy(),
        c=usable["c"].to_numpy(),
    )
