"""The metrics engine's array helpers: `lookup` (id → position; the direct-address table and the binary search
answer alike, including keys below, above and between the known ones), `first_of_each`, and `join_codes`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk_assets.metrics import domain
from risk_assets.metrics.domain import first_of_each, lookup
from risk_assets.metrics.levels import join_codes
from risk_assets.vocabulary import Reason


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


def test_first_of_each_marks_each_keys_first_row_in_row_order():
    keys = np.array([7, 3, 7, 7, 3, 9, -1, 9], dtype=np.int64)
    assert first_of_each(keys).tolist() == [True, True, False, False, False, True, True, False]
    assert first_of_each(np.array([], dtype=np.int64)).tolist() == []
    rng = np.random.default_rng(5)
    many = rng.integers(0, 500, 10_000)
    assert first_of_each(many).tolist() == (~pd.Series(many).duplicated(keep="first")).tolist()


def test_reason_codes_join_per_student_in_code_point_order():
    codes = {Reason.THETA_DROP_7D_WARN: np.array([True, False, True, False]),
             Reason.OMIT_CRIT: np.array([True, False, False, False]),
             Reason.NO_ACTIVITY_14D: np.array([False, False, True, True])}
    expected = [";".join(sorted(c.value for c, holds in codes.items() if holds[i])) for i in range(4)]
    assert join_codes(codes, 4).tolist() == expected
    assert expected[1] == "" and expected[0] == "OMIT_CRIT;THETA_DROP_7D_WARN"
