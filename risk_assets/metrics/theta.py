"""THETA domain (docs/metrics.md: THETA): ability change over 7 and 14 days and the 3-week decline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import ThetaThresholds
from risk_assets.metrics.domain import DomainResult, Roster, grade, highest
from risk_assets.vocabulary import Reason
from risk_assets.window import ReportWindow


@dataclass(frozen=True)
class Estimate:
    """θ and se per student at one look-up (NaN where there is none)."""

    theta: np.ndarray
    se: np.ndarray

    @property
    def exists(self) -> np.ndarray:
        return ~np.isnan(self.theta)


def sort_estimates(theta: pd.DataFrame) -> pd.DataFrame:
    """Order by (estimated_at, estimate_id): on equal timestamps the larger estimate_id is the later one."""
    return theta.sort_values(["student_id", "estimated_at", "estimate_id"], kind="mergesort")


def theta_at(estimates: pd.DataFrame, roster: Roster, start: pd.Timestamp, end: pd.Timestamp) -> Estimate:
    """The last estimate with start <= estimated_at < end, per student (`estimates` sorted)."""
    at = estimates["estimated_at"]
    inside = estimates.loc[(at >= start) & (at < end)]
    last = inside.drop_duplicates("student_id", keep="last")
    theta = np.full(len(roster), np.nan)
    se = np.full(len(roster), np.nan)
    pos = roster.positions(last["student_id"])
    keep = pos >= 0
    theta[pos[keep]] = last["theta"].to_numpy(dtype=float)[keep]
    se[pos[keep]] = last["se"].to_numpy(dtype=float)[keep]
    return Estimate(theta, se)


def theta_at_days(estimates: pd.DataFrame, roster: Roster, window: ReportWindow, days_before_cutoff: int,
                  max_age_days: int) -> Estimate:
    """theta_at(C - n d, max_age) with calendar-day instants in tenant time."""
    end = pd.Timestamp(window.instant(days_before_cutoff))
    start = pd.Timestamp(window.instant(days_before_cutoff + max_age_days))
    return theta_at(estimates, roster, start, end)


def z_score(delta: np.ndarray, se_a: np.ndarray, se_b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return delta / np.sqrt(se_a**2 + se_b**2)


def _drop(delta: np.ndarray, z: np.ndarray, threshold: float, rules: ThetaThresholds, gated: bool) -> np.ndarray:
    """cond_h(thr): Δ exists, Δ < thr, and (ungated or z <= z_max). NaN comparisons are False."""
    with np.errstate(invalid="ignore"):
        fires = delta < threshold
        if gated:
            fires &= z <= rules.z_max
    return fires


def compute_theta(theta: pd.DataFrame, roster: Roster, window: ReportWindow, rules: ThetaThresholds) -> DomainResult:
    estimates = sort_estimates(theta)
    now = theta_at_days(estimates, roster, window, 0, 7)
    base_7 = theta_at_days(estimates, roster, window, 7, 14)
    base_14 = theta_at_days(estimates, roster, window, 14, 14)

    delta_7 = now.theta - base_7.theta
    delta_14 = now.theta - base_14.theta
    z_7 = z_score(delta_7, now.se, base_7.se)
    z_14 = z_score(delta_14, now.se, base_14.se)

    gated = rules.gate == "z"
    crit_7 = _drop(delta_7, z_7, rules.delta_7d_crit, rules, gated)
    warn_7 = _drop(delta_7, z_7, rules.delta_7d_warn, rules, gated)
    crit_14 = _drop(delta_14, z_14, rules.delta_14d_crit, rules, gated)
    warn_14 = _drop(delta_14, z_14, rules.delta_14d_warn, rules, gated)

    weekly = [now] + [theta_at_days(estimates, roster, window, 7 * k, 7) for k in (1, 2, 3)]
    streak_known = np.logical_and.reduce([w.exists for w in weekly])
    decline = _three_week_decline(weekly, streak_known, rules)

    insufficient = ~now.exists | (np.isnan(delta_7) & np.isnan(delta_14))
    crit = crit_7 | crit_14
    status = grade(crit, warn_7 | warn_14 | decline, insufficient)
    evaluated = ~insufficient
    codes = {
        **highest(Reason.THETA_DROP_7D_CRIT, crit_7, Reason.THETA_DROP_7D_WARN, warn_7),
        **highest(Reason.THETA_DROP_14D_CRIT, crit_14, Reason.THETA_DROP_14D_WARN, warn_14),
        Reason.THETA_DECLINE_3WK: decline,
    }
    codes = {code: flags & evaluated for code, flags in codes.items()}
    codes.update({
        Reason.INSUFF_THETA_NO_RECENT: ~now.exists,
        Reason.INSUFF_THETA_NO_BASELINE_7D: ~base_7.exists,
        Reason.INSUFF_THETA_NO_BASELINE_14D: ~base_14.exists,
        Reason.INSUFF_THETA_STREAK: ~streak_known,
    })
    return DomainResult(
        status=status,
        codes=codes,
        values={
            "theta_now": now.theta,
            "se_now": now.se,
            "delta_7d": delta_7,
            "delta_14d": delta_14,
            "z_7d": z_7,
            "z_14d": z_14,
            "theta_ref": base_14.theta,
            "theta_ref_se": base_14.se,
        },
    )


def _three_week_decline(weekly: list[Estimate], known: np.ndarray, rules: ThetaThresholds) -> np.ndarray:
    """WARN when θ fell in each of the last three weekly steps by more than streak_eps."""
    with np.errstate(invalid="ignore"):
        falls = np.logical_and.reduce(
            [(weekly[j].theta - weekly[j + 1].theta) < -rules.streak_eps for j in range(3)]
        )
        if rules.streak_gate == "z":
            falls &= z_score(weekly[0].theta - weekly[3].theta, weekly[0].se, weekly[3].se) <= rules.z_max
    return falls & known
