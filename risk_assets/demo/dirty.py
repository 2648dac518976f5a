"""A handful of dirty rows the pipeline must cope with, all in one tenant (org 102).

Every other tenant stays clean. Rows are picked from ordinary students (never from a
scripted group, so no scripted truth changes) and from the period the weekly report reads:
presentations and θ estimates of the final week, attendance of the final four weeks.

item_presentations
  - 2 'correct' rows written ' CORRECT ' and 1 'omitted' row written 'Omitted': valid after
    trimming and lower-casing (docs/snapshot.md: Dirty rows), same meaning as before.
  - 2 answered rows with outcome 'skipped': invalid, so for the pipeline they do not exist.
  - 1 answered row with a negative response_time_ms (its time, negated).
attendance
  - 2 'absent' rows written ' Absent': valid after trim + lower-case.
  - 1 'present' row with status 'unknown': invalid, so that day has no valid record.
theta_estimates
  - 2 extra rows with NULL theta and NULL se, each a copy of a real estimate's student and
    estimated_at with a larger estimate_id: on the tie the larger id would win, but an
    estimate without θ is not an estimate, so the real one must still be used.
  - 1 real estimate with se = 0 (an invalid se: θ stays, its z is NULL).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DIRTY_ORG_ID = 102

DIRTY_ROWS: tuple[str, ...] = (
    "item_presentations: 2 × ' CORRECT ' and 1 × 'Omitted' (valid after trim + lower-case)",
    "item_presentations: 2 answered rows with outcome 'skipped' (invalid)",
    "item_presentations: 1 answered row with negative response_time_ms",
    "attendance: 2 'absent' rows written ' Absent' (valid after trim + lower-case)",
    "attendance: 1 'present' row with status 'unknown' (invalid: the day has no valid record)",
    "theta_estimates: 2 extra rows with NULL theta/se tying a real estimate's time, larger id",
    "theta_estimates: 1 estimate with se = 0 (invalid se)",
)
LOOKBACK_DAYS = 28


def dirty_presentations(
    rng: np.random.Generator, presentations: pd.DataFrame, ordinary_ids: np.ndarray, week_start_utc: pd.Timestamp
) -> pd.DataFrame:
    frame = presentations.copy()
    recent = frame["student_id"].isin(ordinary_ids) & (frame["presented_at"] >= week_start_utc)
    outcome = frame["outcome"]
    upper = _pick(rng, recent & (outcome == "correct"), 2, "final-week correct presentations")
    mixed = _pick(rng, recent & (outcome == "omitted"), 1, "final-week omitted presentations")
    answered = recent & (outcome != "omitted")
    answered.iloc[upper] = False
    skipped, negative = np.split(_pick(rng, answered, 3, "final-week answered presentations"), [2])
    frame.loc[upper, "outcome"] = " CORRECT "
    frame.loc[mixed, "outcome"] = "Omitted"
    frame.loc[skipped, "outcome"] = "skipped"
    frame.loc[negative, "response_time_ms"] = -frame.loc[negative, "response_time_ms"]
    return frame


def dirty_attendance(
    rng: np.random.Generator, attendance: pd.DataFrame, ordinary_ids: np.ndarray, cutoff: pd.Timestamp
) -> pd.DataFrame:
    frame = attendance.copy()
    dates = pd.to_datetime(frame["school_date"])
    ordinary = frame["student_id"].isin(ordinary_ids)
    lookback = ordinary & (dates >= cutoff - pd.Timedelta(days=LOOKBACK_DAYS))
    final_week = ordinary & (dates >= cutoff - pd.Timedelta(days=7))
    absent = _pick(rng, lookback & (frame["status"] == "absent"), 2, "recent absences")
    unknown = _pick(rng, final_week & (frame["status"] == "present"), 1, "final-week present records")
    frame.loc[absent, "status"] = " Absent"
    frame.loc[unknown, "status"] = "unknown"
    return frame


def dirty_estimates(
    rng: np.random.Generator, estimates: pd.DataFrame, ordinary_ids: np.ndarray, week_start_utc: pd.Timestamp
) -> pd.DataFrame:
    frame = estimates.copy()
    recent = frame["student_id"].isin(ordinary_ids) & (frame["estimated_at"] >= week_start_utc)
    duplicated, zero_se = np.split(_pick(rng, recent, 3, "final-week estimates"), [2])
    frame.loc[zero_se, "se"] = 0.0
    ghosts = frame.loc[duplicated].assign(
        estimate_id=frame["estimate_id"].max() + 1 + np.arange(duplicated.size), theta=np.nan, se=np.nan
    )
    return pd.concat([frame, ghosts], ignore_index=True)


def _pick(rng: np.random.Generator, candidates: pd.Series, k: int, what: str) -> np.ndarray:
    """k distinct row labels among the True ones, in ascending order."""
    labels = np.flatnonzero(candidates.to_numpy())
    if labels.size < k:
        raise ValueError(f"too few {what} ({labels.size}) to inject {k} dirty rows; use more students")
    return np.sort(rng.choice(labels, size=k, replace=False))
