"""c_hat internals: the spec's test vector to 1e-12 for every quantity, and the mid-rank percentile."""

from __future__ import annotations

import numpy as np

from risk_assets.config.thresholds import GuessThresholds
from risk_assets.metrics.domain import Roster
from risk_assets.metrics.guessing import GuessItems, compute_guess, item_probabilities, mid_rank_percentile, _Model
from risk_assets_tests.metrics.test_spec_edge_cases import A, B, X


def test_vector_c_hat_se_c_slope_and_se_total():
    a, b, x = np.array(A), np.array(B), np.array(X)
    p, q = item_probabilities(a, b, np.full(30, -0.35))
    model = _Model(pos=np.zeros(30, dtype=np.int64), x1=x == 1, p=p, q=q, scale=a, n_students=1,
                   n0=np.array([float((x == 0).sum())]), alpha=2.0, beta=5.0)
    c_hat = model.solve()
    info, dc_dtheta = model.information(c_hat)
    se_c = 1 / np.sqrt(info)
    se_total = np.sqrt(se_c**2 + (dc_dtheta * 0.30) ** 2)
    assert abs(c_hat[0] - 0.243713725221) < 1e-12
    assert abs(se_c[0] - 0.110672204703) < 1e-12
    assert abs(dc_dtheta[0] - (-0.125811991960)) < 1e-12
    assert abs(se_total[0] - 0.116931244981) < 1e-12


def test_many_students_are_solved_at_once_and_independently():
    """Ten copies of the vector in one call give ten identical answers."""
    n = 10
    items = GuessItems(pos=np.repeat(np.arange(n), 30), x=np.tile(np.array(X, dtype=np.int8), n),
                       a=np.tile(A, n), b=np.tile(B, n), c=np.full(30 * n, 0.2))
    result = compute_guess(items, Roster(np.arange(n, dtype=np.int64)), np.full(n, -0.35), np.full(n, 0.3),
                           GuessThresholds(), 1.0)
    assert np.all(np.abs(result.values["c_hat"] - 0.243713725221) < 1e-12)
    assert np.all(result.values["c_hat_pct"] == 50.0)  # all tied: mid-rank


def test_mid_rank_percentile_with_ties_and_ineligible_students():
    values = np.array([0.1, 0.2, 0.2, 0.4, np.nan])
    among = np.array([True, True, True, True, False])
    pct = mid_rank_percentile(values, among)
    assert pct[:4].tolist() == [12.5, 50.0, 50.0, 87.5]
    assert np.isnan(pct[4])
