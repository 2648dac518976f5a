from __future__ import annotations

import math

import numpy as np

from risk_assets.demo.irt import GRID, eap, p_correct, response_loglik

A = [1.20, 0.80, 1.50, 0.65, 1.05]
B = [-0.50, 0.30, 1.10, -1.40, 0.00]
C = [0.20, 0.15, 0.25, 0.10, 0.30]
CORRECT = [True, False, True, True, False]


def _reference_eap(a, b, c, correct):
    """Posterior mean and SD on the grid by plain loops, normalised N(0, 1) prior."""
    weights = []
    for theta in GRID:
        likelihood = 1.0
        for ai, bi, ci, xi in zip(a, b, c, correct):
            p = ci + (1.0 - ci) / (1.0 + math.exp(-ai * (theta - bi)))
            likelihood *= p if xi else 1.0 - p
        weights.append(likelihood * math.exp(-theta * theta / 2.0) / math.sqrt(2.0 * math.pi))
    total = math.fsum(weights)
    mean = math.fsum(w * t for w, t in zip(weights, GRID)) / total
    variance = math.fsum(w * (t - mean) ** 2 for w, t in zip(weights, GRID)) / total
    return mean, math.sqrt(variance)


def test_grid():
    assert GRID.size == 81 and GRID[0] == -4.0 and GRID[-1] == 4.0 and GRID[40] == 0.0


def test_eap_matches_a_plain_reference_computation():
    loglik = response_loglik(np.array(A), np.array(B), np.array(C), np.array(CORRECT)).sum(axis=0)
    theta, se = eap(loglik[None, :])
    ref_theta, ref_se = _reference_eap(A, B, C, CORRECT)
    assert abs(theta[0] - ref_theta) < 1e-12
    assert abs(se[0] - ref_se) < 1e-12


def test_eap_is_vectorised_over_students():
    sets = [CORRECT, [False] * 5, [True] * 5, [False, True, False, True, False]]
    loglik = np.stack(
        [response_loglik(np.array(A), np.array(B), np.array(C), np.array(x)).sum(axis=0) for x in sets]
    )
    theta, se = eap(loglik)
    for i, correct in enumerate(sets):
        ref_theta, ref_se = _reference_eap(A, B, C, correct)
        assert abs(theta[i] - ref_theta) < 1e-12 and abs(se[i] - ref_se) < 1e-12
    assert theta[1] < theta[3] < theta[2]


def test_no_responses_give_the_prior():
    theta, se = eap(np.zeros((1, GRID.size)))
    assert abs(theta[0]) < 1e-15
    assert abs(se[0] - 1.0) < 1e-3


def test_response_loglik_is_the_log_of_the_3pl_probability():
    a, b, c = np.array(A), np.array(B), np.array(C)
    right = response_loglik(a, b, c, np.ones(5, bool))
    wrong = response_loglik(a, b, c, np.zeros(5, bool))
    p = p_correct(GRID[None, :], a[:, None], b[:, None], c[:, None])
    np.testing.assert_allclose(np.exp(right), p, rtol=1e-13, atol=0)
    np.testing.assert_allclose(np.exp(wrong), 1 - p, rtol=1e-12, atol=1e-16)
