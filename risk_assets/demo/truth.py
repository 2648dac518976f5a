"""Ground truth per student: scripted group, latent parameters and expected levels.

expected_theta / expected_omit / expected_guess / expected_engagement are the levels the student's group is
scripted to produce (OK for everyone outside that domain's groups): the truth, not a
prediction of what the noisy legacy rules will flag, and not a promise that the domain is
evaluable (a student enrolled last Friday is OK in truth but INSUFFICIENT in any report).

expected_attendance is computed for every student from the attendance rows as generated,
dirty ones included, with the legacy rules of docs/metrics.md: ATTENDANCE for the final report week
(C = last_week + 7): it is INSUFFICIENT where the records imply that (e.g. a student
enrolled in the final week), so its values are OK, WARN, CRIT or INSUFFICIENT.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .attendance import ABSENT, STATUS_NAMES
from .groups import CRIT, OK, SPECS_BY_NAME, WARN, LatentTraits
from .roster import Roster

INSUFFICIENT = "INSUFFICIENT"
GROUND_TRUTH_COLUMNS = (
    "student_id", "org_id", "group", "true_theta_slope_per_week", "true_c", "true_omit_propensity",
    "expected_theta", "expected_omit", "expected_guess", "expected_attendance", "true_rapid_share",
    "expected_engagement",
)
# Legacy attendance rules (docs/metrics.md: ATTENDANCE, profile legacy), as integer percents.
WEEK_CRIT_PCT, WEEK_WARN_PCT, TWO_WEEK_CRIT_PCT, TWO_WEEK_WARN_PCT = 20, 10, 30, 15
WEEK_CRIT_MIN_DAYS = 1
MIN_WEEK_DAYS, MIN_TWO_WEEK_DAYS = 3, 6
STREAK_CRIT = 5
MISSING_MAX_PCT = 20
LOOKBACK_DAYS, WINDOW_DAYS, WEEK_DAYS = 28, 14, 7


def ground_truth_frame(
    org_id: int, roster: Roster, groups: np.ndarray, traits: LatentTraits, attendance_levels: np.ndarray
) -> pd.DataFrame:
    group = pd.Series(groups, dtype=object)
    expected = {
        column: group.map({name: getattr(spec, column) for name, spec in SPECS_BY_NAME.items()})
        for column in ("expected_theta", "expected_omit", "expected_guess", "expected_engagement")
    }
    return pd.DataFrame(
        {
            "student_id": roster.student_ids,
            "org_id": np.full(roster.size, org_id, dtype=np.int64),
            "group": group,
            "true_theta_slope_per_week": traits.theta_step,
            "true_c": traits.person_c,
            "true_omit_propensity": traits.omit_propensity,
            **expected,
            "expected_attendance": attendance_levels,
            "true_rapid_share": traits.rapid_share_week[:, -1],
        },
        columns=list(GROUND_TRUTH_COLUMNS),
    )


def legacy_attendance_levels(
    students: pd.DataFrame, school_days: pd.DataFrame, attendance: pd.DataFrame, cutoff: dt.date
) -> np.ndarray:
    """docs/metrics.md: ATTENDANCE attendance level (legacy profile) per row of `students`, from the source rows."""
    c_date = np.datetime64(cutoff, "D")
    days = np.sort(_dates(school_days["school_date"]))
    days = days[(days >= c_date - LOOKBACK_DAYS) & (days < c_date)]
    enrolled, withdrawn = _dates(students["enrolled_on"]), _dates(students["withdrawn_on"])
    scheduled = (days >= enrolled[:, None]) & ~(days >= withdrawn[:, None])
    codes = _status_codes(students, days, attendance)
    recorded = scheduled & (codes >= 0)
    absent = scheduled & (codes >= ABSENT)
    week, window = days >= c_date - WEEK_DAYS, days >= c_date - WINDOW_DAYS

    s_w, a_w = (recorded & week).sum(axis=1), (absent & week).sum(axis=1)
    s_2, a_2 = (recorded & window).sum(axis=1), (absent & window).sum(axis=1)
    missing = (scheduled & ~recorded & window).sum(axis=1)
    due = (scheduled & window).sum(axis=1)
    streak = _longest_absence_run_in_window(absent, window)

    week_rated, two_week_rated = s_w >= MIN_WEEK_DAYS, s_2 >= MIN_TWO_WEEK_DAYS
    crit = (
        (week_rated & (100 * a_w >= WEEK_CRIT_PCT * s_w) & (a_w >= WEEK_CRIT_MIN_DAYS))
        | (two_week_rated & (100 * a_2 >= TWO_WEEK_CRIT_PCT * s_2))
        | (streak >= STREAK_CRIT)
    )
    warn = (week_rated & (100 * a_w >= WEEK_WARN_PCT * s_w)) | (two_week_rated & (100 * a_2 >= TWO_WEEK_WARN_PCT * s_2))
    too_many_missing = 100 * missing > MISSING_MAX_PCT * due
    too_few_days = ~week_rated & ~two_week_rated
    return np.select(
        [too_many_missing, crit, warn, too_few_days], [INSUFFICIENT, CRIT, WARN, INSUFFICIENT], default=OK
    ).astype(object)


def _dates(column: pd.Series) -> np.ndarray:
    """datetime64[D] from a column of datetime.date (None -> NaT)."""
    return pd.to_datetime(column).to_numpy(dtype="datetime64[D]")


def _status_codes(students: pd.DataFrame, days: np.ndarray, attendance: pd.DataFrame) -> np.ndarray:
    """(students, days) status code of the valid record, -1 where there is none (docs/snapshot.md: Dirty rows)."""
    codes = np.full((len(students), days.size), -1, dtype=np.int8)
    status = attendance["status"].str.strip().str.lower()
    code = status.map({name: i for i, name in enumerate(STATUS_NAMES)})
    row = pd.Index(students["student_id"]).get_indexer(attendance["student_id"])
    date = _dates(attendance["school_date"])
    col = np.clip(np.searchsorted(days, date), 0, days.size - 1)
    usable = code.notna().to_numpy() & (row >= 0) & (days[col] == date)
    codes[row[usable], col[usable]] = code[usable].astype(np.int8)
    return codes


def _longest_absence_run_in_window(absent: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Longest run of consecutive absent scheduled days whose last day is in the window.

    Columns are school days only, so weekends and holidays neither extend nor break a run;
    a day without a valid record is not absent and so breaks it. Any run that reaches a
    window day ends in the window (the window runs to C), hence the max over window days.
    """
    run = np.zeros(absent.shape[0], dtype=np.int64)
    longest = np.zeros_like(run)
    for day in range(absent.shape[1]):
        run = np.where(absent[:, day], run + 1, 0)
        if window[day]:
            longest = np.maximum(longest, run)
    return longest
