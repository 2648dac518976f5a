"""3PL response model and grid EAP ability estimates (D = 1).

P(correct | θ) = c + (1 - c) / (1 + exp(-a(θ - b))). EAP uses an 81-point grid on [-4, 4]
with an N(0, 1) prior; the SE is the posterior standard deviation.
"""

from __future__ import annotations

import numpy as np

GRID = np.linspace(-4.0, 4.0, 81)
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
    log_post = loglik + LOG_PRIOR
    weight = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    total = weight.sum(axis=1)
    theta = weight @ GRID / total
    variance = (weight * (GRID - theta[:, None]) ** 2).sum(axis=1) / total
    return theta, np.sqrt(variance)
