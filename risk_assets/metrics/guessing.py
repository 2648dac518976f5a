"""GUESS domain (spec §5): c_hat, the MAP person-level lower asymptote, found for all students at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import GuessThresholds
from risk_assets.metrics.domain import DomainResult, Roster, grade, highest, nullable
from risk_assets.metrics.omit import PRESENTATION_ORDER

C_MAX = 0.5
BISECTION_STEPS = 60


@dataclass(frozen=True)
class GuessItems:
    """The items each student's c_hat uses, in summation order (student, presented_at, item_id)."""

    pos: np.ndarray  # roster position of the student
    x: np.ndarray  # 1 correct, 0 incorrect
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray


def guess_items(presentations: pd.DataFrame, roster: Roster) -> GuessItems:
    """First answered presentation of each item, kept when n_options >= 3 and a > 0, b are finite."""
    ordered = presentations.sort_values(["student_id", *PRESENTATION_ORDER], kind="mergesort")
    answered = ordered.loc[ordered["outcome"].isin(["correct", "incorrect"])]
    first = answered.drop_duplicates(["student_id", "item_id"], keep="first")
    a = first["a"].to_numpy(dtype=float)
    b = first["b"].to_numpy(dtype=float)
    options = first["n_options"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        usable = (options >= 3) & np.isfinite(a) & (a > 0) & np.isfinite(b)
    pos = roster.positions(first["student_id"])
    usable &= pos >= 0
    used = first.loc[usable]
    return GuessItems(
        pos=pos[usable],
        x=(used["outcome"] == "correct").to_numpy(dtype=np.int8),
        a=a[usable],
        b=b[usable],
        c=used["c"].to_numpy(dtype=float),
    )


@dataclass(frozen=True)
class _Model:
    """Item probabilities at each student's θ_ref, restricted to the rows being solved."""

    pos: np.ndarray  # dense index into the solved students
    x1: np.ndarray  # bool, correct
    p: np.ndarray
    q: np.ndarray
    scale: np.ndarray  # D·a
    n_students: int
    n0: np.ndarray  # per solved student: incorrect count
    alpha: float
    beta: float

    def _sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.pos, weights=values, minlength=self.n_students)

    def _prior_term(self, c: np.ndarray) -> np.ndarray:
        if self.alpha == 1:
            return np.zeros_like(c)
        with np.errstate(divide="ignore"):
            return (self.alpha - 1) / c

    def score(self, c: np.ndarray) -> np.ndarray:
        """s(c) = Σ_{x=1} q/(p + c·q) − (n0 + β − 1)/(1 − c) + (α − 1)/c, strictly decreasing."""
        q_row = np.where(self.x1, self.q, 0.0)
        correct = self._sum(q_row / (self.p + c[self.pos] * self.q))
        return correct - (self.n0 + self.beta - 1) / (1 - c) + self._prior_term(c)

    def solve(self) -> np.ndarray:
        """The spec's exact algorithm: bound checks, then 60 bisection steps on [0, 0.5]."""
        c_hat = np.full(self.n_students, np.nan)
        at_top = self.score(np.full(self.n_students, C_MAX)) >= 0
        c_hat[at_top] = C_MAX
        open_ = ~at_top
        if self.alpha == 1:
            at_zero = open_ & (self.score(np.zeros(self.n_students)) <= 0)
            c_hat[at_zero] = 0.0
            open_ &= ~at_zero
        lo = np.zeros(self.n_students)
        hi = np.full(self.n_students, C_MAX)
        for _ in range(BISECTION_STEPS):
            mid = (lo + hi) / 2
            positive = self.score(mid) > 0
            lo = np.where(positive, mid, lo)
            hi = np.where(positive, hi, mid)
        c_hat[open_] = ((lo + hi) / 2)[open_]
        return c_hat

    def information(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Observed information I at ĉ and dĉ/dθ."""
        big_p = self.p + c[self.pos] * self.q
        info = (
            self._sum(np.where(self.x1, (self.q / big_p) ** 2, 0.0))
            + (self.n0 + self.beta - 1) / (1 - c) ** 2
            + (0.0 if self.alpha == 1 else (self.alpha - 1) / c**2)
        )
        slope = self._sum(np.where(self.x1, self.scale * self.p * self.q / big_p**2, 0.0))
        return info, -slope / info


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
    model = _Model(
        pos=dense[items.pos[rows]],
        x1=items.x[rows] == 1,
        p=p[rows],
        q=q[rows],
        scale=scale[rows],
        n_students=len(solved),
        n0=np.bincount(dense[items.pos[rows]], weights=(items.x[rows] == 0).astype(float), minlength=len(solved)),
        alpha=rules.prior_alpha,
        beta=rules.prior_beta,
    )
    c_hat_solved = model.solve()
    info, dc_dtheta = model.information(c_hat_solved)
    se_c = 1 / np.sqrt(info)
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
            **highest("GUESS_CRIT", crit, "GUESS_WARN", warn),
            "INSUFF_GUESS_NO_THETA_REF": ~has_ref,
            "INSUFF_GUESS_FEW_ITEMS": few_items,
            "INSUFF_GUESS_FEW_HARD_ITEMS": few_hard,
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
