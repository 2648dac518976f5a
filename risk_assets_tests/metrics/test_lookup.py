"""`lookup`, the id → position search every domain uses: the direct-address table and the binary search
answer alike, including keys below, above and between the known ones."""

from __future__ import annotations

import numpy as np
import pytest

from risk_assets.metrics import domain
from risk_assets.metrics.domain import lookup


def reference(sorted_keys: np.ndarray, keys: np.ndarray) -> list[int]:
    where = {int(k): i for i, k in enumerate(sorted_keys)}
    return [where.get(int(k), -1) for k in keys]


@pytest.mark.parametrize("sorted_keys", [
    np.array([5, 7, 8, 20], dtype=np.int64),  # dense: a table of 16 slots
    np.array([-3, 0, 2**40], dtype=np.int64),  # a span no table should cover: binary search
    np.array([42], dtype=np.int64),
], ids=["dense", "sparse", "one key"])
def test_positions_and_absent_keys(sorted_keys):
    keys = np.array([5, 20, 4, 6, 21, -3, 0, 2**40, 2**40 + 1, -2**40, 42, 7, 8, 7], dtype=np.int64)
    assert lookup(sorted_keys, keys).tolist() == reference(sorted_keys, keys)


def test_both_paths_agree_on_random_ids(monkeypatch):
    rng = np.random.default_rng(3)
    sorted_keys = np.unique(rng.integers(1, 5000, 1500))
    keys = rng.integers(-10, 5100, 20_000)
    dense = lookup(sorted_keys, keys)
    monkeypatch.setattr(domain, "DENSE_SPAN", 0)
    assert dense.tolist() == lookup(sorted_keys, keys).tolist() == reference(sorted_keys, keys)


def test_no_known_keys():
    assert lookup(np.array([], dtype=np.int64), np.array([1, 2])).tolist() == [-1, -1]
