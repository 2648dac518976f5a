"""GUESS domain (docs/metrics.md: GUESS): c_hat, the MAP person-level lower asymptote, found for all students at
once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import GuessThresholds
from risk_assets.metrics.domain import DomainResult, Roster, first_of_each, grade, highest, nullable
from risk_assets.metrics.presentations import CORRECT, Presentations
from risk_assets.vocabulary import Reason

C_MAX = 0.5
MAX_NEWTON_STEPS = 100
# Rounding in s(c) makes Newton jitter ~1e-15; the contract allows 1e-12 (docs/metrics.md: GUESS).
ROOT_TOLERANCE = 1e-14


@dataclass(frozen=True)
class GuessItems:
    """The items each student's c_hat uses, in summation order (student, presented_at, item_id)."""

    pos: np.ndarray  # roster position of the student
    x: np.ndarray  # 1 correct, 0 incorrect
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray


def guess_items(presentations: Presentations) -> GuessItems:
    """First answered presentation of each item, kept when n_options >= 3 and a > 0, b are finite."""
    answered = np.flatnonzero(presentations.answered)
    item_code, items = pd.factorize(presentations.item[answered])
    key = presentations.pos[answered].astype(np.int64) * max(len(items), 1) + item_code
    first = answered[first_of_each(key)]
    a, b = presentations.a[first], presentations.b[first]
    with np.errstate(invalid="ignore"):
        usable = (presentations.n_options[first] >= 3) & np.isfinite(a) & (a > 0) & np.isfinite(b)
    used = first[usable]
    return GuessItems(
        pos=presentations.pos[used],
        x=(presentations.outcome[used] == CORRECT).astype(np.int8),
        a=presentations.a[used],
        b=presentations.b[used],
        c=presentations.c[used],
    )


@dataclass(frozen=True)
class _Model:
    """The score function of the students being solved. Only correct answers enter the sums;
    incorrect ones enter through n0."""

    pos: np.ndarray  # dense student index of each correct row
    p: np.ndarray
    q: np.ndarray
    scale: np.ndarray  # D·a
    n0: np.ndarray  # per student: number of incorrect answers
    alpha: float
    beta: float

    @property
    def n_students(self) -> int:
        return len(self.n0)

    def _sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.pos, weights=values, minlength=self.n_students)

    def _prior(self, c: np.ndarray, power: int) -> np.ndarray:
        if self.alpha == 1:
            return np.zeros_like(c)
        with np.errstate(divide="ignore"):
            return (self.alpha - 1) / c**power

    def score(self, c: np.ndarray) -> np.ndarray:
        """s(c) = Σ_{x=1} q/(p + c·q) − (n0 + β − 1)/(1 − c) + (α − 1)/c, strictly decreasing."""
        return (self._sum(self.q / (self.p + c[self.pos] * self.q)) - (self.n0 + self.beta - 1) / (1 - c)
                + self._prior(c, 1))

    def information(self, c: np.ndarray) -> np.ndarray:
        """I(c) = −s'(c) = Σ_{x=1} (q/P)² + (n0 + β − 1)/(1 − c)² + (α − 1)/c², P = p + c·q."""
        ratio = self.q / (self.p + c[self.pos] * self.q)
        return self._sum(ratio**2) + (self.n0 + self.beta - 1) / (1 - c) ** 2 + self._prior(c, 2)

    def slope(self, c: np.ndarray) -> np.ndarray:
        """dĉ/dθ = −[Σ_{x=1} D·a·p·q/P²] / I."""
        big_p = self.p + c[self.pos] * self.q
        return -self._sum(self.scale * self.p * self.q / big_p**2) / self.information(c)

    def solve(self) -> np.ndarray:
        """The contract's root (docs/metrics.md: GUESS): ĉ = 0.5 when s(0.5) >= 0 (with α = 1 also ĉ = 0 when
        s(0) <= 0), else the root of s on (0, 0.5). Safeguarded Newton inside a shrinking bracket reaches the 60-step
        bisection's answer (to rounding) in a handful of passes over the data instead of 60."""
        n = self.n_students
        c_hat = np.full(n, np.nan)
        at_top = self.score(np.full(n, C_MAX)) >= 0
        c_hat[at_top] = C_MAX
        open_ = ~at_top
        if self.alpha == 1:
            at_zero = open_ & (self.score(np.zeros(n)) <= 0)
            c_hat[at_zero] = 0.0
            open_ &= ~at_zero
        lo, hi = np.zeros(n), np.full(n, C_MAX)
        c = np.full(n, C_MAX / 2)
        for _ in range(MAX_NEWTON_STEPS):
            s = self.score(c)
            lo = np.where(s > 0, c, lo)
            hi = np.where(s > 0, hi, c)
            with np.errstate(invalid="ignore", divide="ignore"):
                delta = s / self.information(c)
            converged = (np.abs(delta) <= ROOT_TOLERANCE) | (hi - lo <= ROOT_TOLERANCE)
            newton = c + delta
            inside = (newton >= lo) & (newton <= hi)
            c = np.where(inside | converged, newton, (lo + hi) / 2)
            if converged[open_].all():
                break
        c_hat[open_] = c[open_]
        return c_hat


def item_probabilities(scale: np.ndarray, b: np.ndarray, theta_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p = 1/(1+exp(-z)) and q = 1/(1+exp(z)), each computed directly (never 1 - p)."""
    z = scale * (theta_ref - b)
    return 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(z))


def compute_guess(items: GuessItems, roster: Roster, theta_ref: np.ndarray, se_ref: np.ndarray,
                  rules: GuessThresholds, D: float) -> DomainResult:
    n = len(roster)
    n_items = np.bincount(items.pos, minlength=n)
    has_ref = np.isfinite(theta_ref)
    scale = D * items.a
    p, q = item_probabilities(scale, items.b, theta_ref[items.pos])
    with np.errstate(invalid="ignore"):
        n_hard = np.bincount(items.pos, weights=(p < rules.hard_p).astype(float), minlength=n).astype(np.int64)

    few_items = n_items < rules.min_items
    few_hard = has_ref & (n_hard < rules.min_hard_items)
    evaluated = has_ref & ~few_items & ~few_hard

    solved = np.flatnonzero(evaluated)
    dense = np.full(n, -1)
    dense[solved] = np.arange(len(solved))
    rows = evaluated[items.pos]
    correct = rows & (items.x == 1)
    model = _Model(
        pos=dense[items.pos[correct]],
        p=p[correct],
        q=q[correct],
        scale=scale[correct],
        n0=np.bincount(dense[items.pos[rows & (items.x == 0)]], minlength=len(solved)).astype(float),
        alpha=rules.prior_alpha,
        beta=rules.prior_beta,
    )
    c_hat_solved = model.solve()
    se_c = 1 / np.sqrt(model.information(c_hat_solved))
    dc_dtheta = model.slope(c_hat_solved)
    se_total = np.sqrt(se_c**2 + (dc_dtheta * se_ref[solved]) ** 2)
    c_ref = _mean_item_c(items, rows, dense, len(solved))
    z_c = (c_hat_solved - c_ref) / se_total

    c_hat, c_se, c_z = (np.full(n, np.nan) for _ in range(3))
    c_hat[solved], c_se[solved], c_z[solved] = c_hat_solved, se_total, z_c

    with np.errstate(invalid="ignore"):
        gate = (c_z >= rules.z_min) if rules.gate == "z" else np.ones(n, dtype=bool)
        crit = evaluated & (c_hat >= rules.crit) & gate
        warn = evaluated & (c_hat >= rules.warn) & gate
    return DomainResult(
        status=grade(crit, warn, ~evaluated),
        codes={
            **highest(Reason.GUESS_CRIT, crit, Reason.GUESS_WARN, warn),
            Reason.INSUFF_GUESS_NO_THETA_REF: ~has_ref,
            Reason.INSUFF_GUESS_FEW_ITEMS: few_items,
            Reason.INSUFF_GUESS_FEW_HARD_ITEMS: few_hard,
        },
        values={
            "c_hat": c_hat,
            "c_hat_se": c_se,
            "c_hat_z": c_z,
            "c_hat_pct": mid_rank_percentile(c_hat, evaluated),
            "n_guess_items": n_items.astype(np.int64),
            "n_guess_hard": nullable(n_hard.astype(float), has_ref),
        },
    )


def _mean_item_c(items: GuessItems, rows: np.ndarray, dense: np.ndarray, n_solved: int) -> np.ndarray:
    """Mean of the finite item c of the items used; NaN when none is finite."""
    c = items.c[rows]
    finite = np.isfinite(c)
    pos = dense[items.pos[rows]]
    total = np.bincount(pos, weights=np.where(finite, c, 0.0), minlength=n_solved)
    count = np.bincount(pos, weights=finite.astype(float), minlength=n_solved)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def mid_rank_percentile(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    """100·(#{v_j < v} + 0.5·#{v_j = v}) / N over the students in `among`; NaN for the others."""
    pool = np.sort(values[among])
    below = np.searchsorted(pool, values, side="left")
    equal = np.searchsorted(pool, values, side="right") - below
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100 * (below + 0.5 * equal) / len(pool)
    return np.where(among, pct, np.nan)
