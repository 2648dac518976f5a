"""3PL response model and grid EAP ability estimates (D = 1).

P(correct | θ) = c + (1 - c) / (1 + exp(-a(θ - b))). EAP uses an 81-point grid on [-4, 4]
with an N(0, 1) prior; the SE is the posterior standard deviation.

The demo's estimates are stored source data, the same bits on every machine: sums over the grid are added one
grid point after another. A BLAS product (`weight @ GRID`) would sum in the order of whichever kernel the CPU
selects, which moves the last bits of θ (by up to 61 units in the last place between OpenBLAS's Haswell and
Sandybridge kernels). exp and log still differ between math libraries (glibc, Apple's, numpy's AVX-512 code) by
an ulp or so, which no summation order removes: the stored values are rounded (STORED_DECIMALS), so such noise
reaches them only for a value within about 1e-15 of a rounding boundary (odds near 1e-9 per value).
"""

from __future__ import annotations

import numpy as np

GRID = np.linspace(-4.0, 4.0, 81)
# θ and SE as the platform stores them: 6 decimals, far finer than any SE (about 0.2-1.0).
STORED_DECIMALS = 6
# The prior's normalising constant cancels in the posterior, so it is left out.
LOG_PRIOR = -0.5 * GRID**2


def p_correct(theta: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return c + (1.0 - c) / (1.0 + np.exp(-a * (theta - b)))


def response_loglik(a: np.ndarray, b: np.ndarray, c: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """(responses, grid) log-likelihood of each scored response at every grid point."""
    z = a[:, None] * (GRID - b[:, None])
    c = np.broadcast_to(c[:, None], z.shape)
    loglik = np.empty_like(z)
    right, wrong = correct, ~correct
    loglik[right] = np.log(c[right] + (1.0 - c[right]) / (1.0 + np.exp(-z[right])))
    # 1 - P = (1 - c)·(1 - logistic(z)), written so it never cancels when P is near 1.
    loglik[wrong] = np.log1p(-c[wrong]) - np.log1p(np.exp(z[wrong]))
    return loglik


def eap(loglik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EAP θ and posterior SD per row of a (students, grid) summed log-likelihood."""
    # One contiguous row per grid point, so that the sums over the grid add whole rows, one after another.
    log_post = np.ascontiguousarray((loglik + LOG_PRIOR).T)
    weight = np.exp(log_post - log_post.max(axis=0))
    total = _sum_in_grid_order(weight)
    theta = _sum_in_grid_order(weight * GRID[:, None]) / total
    variance = _sum_in_grid_order(weight * (GRID[:, None] - theta) ** 2) / total
    return theta, np.sqrt(variance)


def _sum_in_grid_order(rows: np.ndarray) -> np.ndarray:
    """Σ over the grid points of a (grid, students) array, the first point to the last: one fixed order whatever
    the numpy version, CPU or BLAS library."""
    total = rows[0].copy()
    for row in rows[1:]:
        total += row
    return total
