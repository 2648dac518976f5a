"""ENGAGEMENT domain (optional, docs/metrics.md: ENGAGEMENT): answers given faster than the item's rapid-guess
threshold.

An item's threshold is `min(rt_fraction · mean response time, cap)` over the tenant's timed answers to it in the
90 days before the cut-off when there are at least `min_history`, else a default. "Faster than" is decided on
integers — each item's limit is an exact integer ceiling — so both engines agree on every boundary.
Only answered presentations of known items with a response time count (a missing time is not evidence either
way); the rate is rapid answers over those timed answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import EngagementThresholds
from risk_assets.errors import UserError
from risk_assets.metrics.domain import DomainResult, Roster, grade, highest, lookup, nullable
from risk_assets.metrics.presentations import Presentations
from risk_assets.vocabulary import CRIT, WARN, Reason

FLAGGED = (CRIT, WARN)


class MissingResponseTimes(UserError):
    """The snapshot predates the per-item response-time statistics the domain needs."""


def timed_answers(presentations: Presentations) -> np.ndarray:
    """Answered presentations of known items with a response time: what the rapid-guess rate is made of."""
    return presentations.answered & presentations.item_known & ~np.isnan(presentations.response_time_ms)


def item_limits(item_times: pd.DataFrame, rules: EngagementThresholds) -> tuple[np.ndarray, np.ndarray]:
    """(item ids ascending, each item's limit in ms): an answer is rapid when its time is below the limit.

    With n timed answers summing to S, `rt < pct/100 · S/n` is, for a whole number of ms, `rt < ceil(pct·S / 100n)`:
    one integer per item, computed exactly, so each presentation needs one comparison.
    """
    ordered = item_times.sort_values("item_id", kind="mergesort")
    n = ordered["n_timed"].to_numpy(dtype=np.int64)
    scaled_sum, scaled_n = rules.rt_fraction_pct * ordered["sum_response_time_ms"].to_numpy(dtype=np.int64), 100 * n
    ceiling = -(-scaled_sum // np.maximum(scaled_n, 1))
    limits = np.where(n >= rules.min_history, np.minimum(ceiling, rules.rt_cap_ms), rules.default_threshold_ms)
    return ordered["item_id"].to_numpy(dtype=np.int64), limits


def rapid_answers(presentations: Presentations, timed: np.ndarray, item_times: pd.DataFrame,
                  rules: EngagementThresholds) -> np.ndarray:
    """Per presentation: a timed answer faster than its item's limit (the default for an item without history)."""
    ids, limits = item_limits(item_times, rules)
    at = lookup(ids, presentations.item)  # -1: no history row, which reads the appended default
    limit = np.append(limits, rules.default_threshold_ms)[at]
    with np.errstate(invalid="ignore"):  # NaN (no time) compares False, and is not timed anyway
        return timed & (presentations.response_time_ms < limit)


def require_response_times(item_times: pd.DataFrame | None) -> pd.DataFrame:
    """The snapshot's per-item response times, or the error that says how to get them (both engines)."""
    if item_times is None:
        raise MissingResponseTimes(
            "the ENGAGEMENT domain is on (thresholds.yaml engagement.enabled) but this snapshot holds no per-item "
            "response times (it was taken while the domain was off, or before snapshots held them); materialise "
            "`snapshot` again for this partition, or set engagement.enabled: false"
        )
    return item_times


def compute_engagement(presentations: Presentations, roster: Roster, item_times: pd.DataFrame | None,
                       rules: EngagementThresholds) -> DomainResult:
    item_times = require_response_times(item_times)
    pos, timed = presentations.pos, timed_answers(presentations)
    n_timed = roster.count(pos, timed).astype(np.int64)
    n_rapid = roster.count(pos, rapid_answers(presentations, timed, item_times, rules)).astype(np.int64)
    insufficient = n_timed < rules.min_answered
    crit = ~insufficient & (100 * n_rapid >= rules.crit_pct * n_timed)
    warn = ~insufficient & (100 * n_rapid >= rules.warn_pct * n_timed)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = n_rapid / n_timed
    return DomainResult(
        status=grade(crit, warn, insufficient),
        codes={**highest(Reason.RAPID_GUESS_CRIT, crit, Reason.RAPID_GUESS_WARN, warn),
               Reason.INSUFF_ENGAGEMENT_FEW_ITEMS: insufficient},
        values={"n_timed": n_timed, "n_rapid": n_rapid, "rg_rate": nullable(rate, n_timed > 0)},
    )


def switched_off(roster: Roster) -> DomainResult:
    """The domain's columns while it is off: empty, and no codes."""
    n = len(roster)
    return DomainResult(
        status=np.full(n, None, dtype=object),
        values={"n_timed": pd.array([None] * n, dtype="Int64"), "n_rapid": pd.array([None] * n, dtype="Int64"),
                "rg_rate": np.full(n, np.nan)},
    )


def theta_drop_with_disengagement(theta: DomainResult, omit: DomainResult, engagement: DomainResult) -> np.ndarray:
    """A θ flag while the student omitted or rapid-guessed (WARN or CRIT): the drop may be effort, not ability."""
    def flagged(result: DomainResult) -> np.ndarray:
        return np.isin(result.status, FLAGGED)

    return flagged(theta) & (flagged(omit) | flagged(engagement))
