"""c_hat internals: the c_hat test vector of docs/metrics.md, "GUESS" to 1e-12 for every quantity, and the mid-rank
percentile."""

from __future__ import annotations

import numpy as np

from risk_assets.config.thresholds import GuessThresholds
from risk_assets.metrics.domain import Roster
from risk_assets.metrics.guessing import (
    GuessItems,
    _Model,
    compute_guess,
    item_probabilities,
    mid_rank_percentile,
)
from risk_assets_tests.metrics.c_hat_vector import A, B, X


def test_vector_c_hat_se_c_slope_and_se_total():
    a, b, x = np.array(A), np.array(B), np.array(X)
    p, q = item_probabilities(a, b, np.full(30, -0.35))
    correct = x == 1
    model = _Model(pos=np.zeros(int(correct.sum()), dtype=np.int64), p=p[correct], q=q[correct], scale=a[correct],
                   n0=np.array([float((x == 0).sum())]), alpha=2.0, beta=5.0)
    c_hat = model.solve()
    se_c = 1 / np.sqrt(model.information(c_hat))
    dc_dtheta = model.slope(c_hat)
    se_total = np.sqrt(se_c**2 + (dc_dtheta * 0.30) ** 2)
    assert abs(c_hat[0] - 0.243713725221) < 1e-12
    assert abs(se_c[0] - 0.110672204703) < 1e-12
    assert abs(dc_dtheta[0] - (-0.125811991960)) < 1e-12
    assert abs(se_total[0] - 0.116931244981) < 1e-12


def test_newton_lands_on_the_60_step_bisection():
    """The 60-step bisection of docs/metrics.md, "GUESS", written out literally, against the solver, for many random
    students."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        n_items = int(rng.integers(30, 120))
        a, b = rng.lognormal(0, 0.3, n_items), rng.normal(0, 1.2, n_items)
        theta_ref = rng.normal()
        p, q = item_probabilities(a, b, np.full(n_items, theta_ref))
        x = rng.random(n_items) < p + rng.uniform(0, 0.6) * q
        n0 = float((~x).sum())

        def s(c, p=p, q=q, x=x, n0=n0):
            return float(np.sum(q[x] / (p[x] + c * q[x])) - (n0 + 4) / (1 - c) + 1 / c)

        if s(0.5) >= 0:
            expected = 0.5
        else:
            lo, hi = 0.0, 0.5
            for _ in range(60):
                m = (lo + hi) / 2
                lo, hi = (m, hi) if s(m) > 0 else (lo, m)
            expected = (lo + hi) / 2
        model = _Model(pos=np.zeros(int(x.sum()), dtype=np.int64), p=p[x], q=q[x], scale=a[x],
                       n0=np.array([n0]), alpha=2.0, beta=5.0)
        assert abs(model.solve()[0] - expected) < 1e-12


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
