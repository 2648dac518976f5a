from __future__ import annotations

import math
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

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


# EAP of 400 random response patterns in a fresh interpreter, printed as the bytes of θ and SE.
_EAP_BYTES = """
import numpy as np
from risk_assets.demo.irt import eap, response_loglik
rng = np.random.default_rng(5)
a, b, c = rng.uniform(0.5, 2.0, 30), rng.normal(0.0, 1.0, 30), rng.uniform(0.0, 0.3, 30)
loglik = np.stack([response_loglik(a, b, c, rng.random(30) < 0.6).sum(axis=0) for _ in range(400)])
theta, se = eap(loglik)
print(theta.tobytes().hex(), se.tobytes().hex())
"""
# OpenBLAS's most basic kernel per architecture: every CPU of that architecture runs it.
_GENERIC_OPENBLAS_CORE = {"x86_64": "Prescott", "aarch64": "ARMV8"}


def _eap_bytes(**environment: str) -> str:
    env = {**os.environ, **environment}
    return subprocess.run([sys.executable, "-c", _EAP_BYTES], env=env, check=True, capture_output=True,
                          text=True, timeout=60).stdout


def test_eap_does_not_depend_on_the_blas_kernel_or_its_threads():
    """The demo's θ is stored source data: the same bits on every machine. A BLAS product (matmul, dot) sums in
    the order of whichever kernel the CPU selects; the grid sums must not go through one."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    core = _GENERIC_OPENBLAS_CORE.get(platform.machine())
    if "openblas" not in blas or core is None:
        pytest.skip(f"numpy uses {blas} on {platform.machine()}: OpenBLAS's kernel cannot be chosen here")
    default = _eap_bytes()
    assert _eap_bytes(OPENBLAS_CORETYPE=core) == default
    assert _eap_bytes(OPENBLAS_NUM_THREADS="1") == default
