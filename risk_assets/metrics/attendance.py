"""ATTENDANCE domain (docs/metrics.md: ATTENDANCE): absence rates over one and two weeks, and the longest absence
streak."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import AttendanceThresholds
from risk_assets.metrics.domain import DomainResult, Roster, grade, highest, lookup
from risk_assets.vocabulary import Reason
from risk_assets.window import EVALUATION_DAYS, ReportWindow

ABSENT_STATUSES = ("absent", "excused")
_NO_RECORD, _PRESENT, _ABSENT = 0, 1, 2


@dataclass(frozen=True)
class ScheduledDays:
    """Every (student, scheduled day) in [C - 28 d, C), sorted by student then date."""

    pos: np.ndarray
    day: np.ndarray  # datetime64[D]
    state: np.ndarray  # _NO_RECORD / _PRESENT / _ABSENT
    late: np.ndarray


def scheduled_days(students: pd.DataFrame, school_days: pd.DataFrame, attendance: pd.DataFrame,
                   roster: Roster) -> ScheduledDays:
    """Tenant school dates within each student's [enrolled_on, withdrawn_on), with their record."""
    days = np.sort(school_days["school_date"].to_numpy(dtype="datetime64[D]"))
    ordered = students.sort_values("student_id")
    enrolled = ordered["enrolled_on"].to_numpy(dtype="datetime64[D]")
    withdrawn = ordered["withdrawn_on"].to_numpy(dtype="datetime64[D]")
    grid_pos = np.repeat(np.arange(len(roster)), len(days))
    grid_day = np.tile(days, len(roster))
    with np.errstate(invalid="ignore"):
        inside = (grid_day >= enrolled[grid_pos]) & ~(grid_day >= withdrawn[grid_pos])
    grid_pos, grid_day = grid_pos[inside], grid_day[inside]

    state = np.full(len(grid_pos), _NO_RECORD, dtype=np.int8)
    late = np.zeros(len(grid_pos), dtype=bool)
    record_pos = roster.positions(attendance["student_id"])
    record_day = attendance["school_date"].to_numpy(dtype="datetime64[D]")
    # Each (student, day) is a unique key; records on unscheduled days find no match and are ignored.
    match = lookup(_day_keys(grid_pos, grid_day), _day_keys(record_pos, record_day))
    hit = (record_pos >= 0) & (match >= 0)
    status = attendance["status"].to_numpy()
    state[match[hit]] = np.where(np.isin(status[hit], ABSENT_STATUSES), _ABSENT, _PRESENT)
    late[match[hit]] = status[hit] == "late"
    return ScheduledDays(grid_pos, grid_day, state, late)


def _day_keys(pos: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One int64 per (student position, date), ascending in (position, date)."""
    return pos.astype(np.int64) * 1_000_000 + day.astype(np.int64)


def longest_streak_in_window(days: ScheduledDays, n_students: int, window_start: np.datetime64) -> np.ndarray:
    """Longest run of consecutive ABSENT scheduled days whose last day is in the window.

    Runs count with their full length back to C - 28 d; a scheduled day without a record breaks a run,
    days that are not scheduled (weekends, holidays) are not in the sequence at all.
    """
    absent = days.state == _ABSENT
    new_student = np.r_[True, days.pos[1:] != days.pos[:-1]] if len(days.pos) else np.zeros(0, bool)
    starts = absent & (new_student | ~np.r_[False, absent[:-1]])
    run_id = np.cumsum(starts) - 1
    run_len = np.bincount(run_id[absent], minlength=int(starts.sum()))
    ends_run = absent & np.r_[~absent[1:] | new_student[1:], True] if len(absent) else absent
    counted = ends_run & (days.day >= window_start)
    streak = np.zeros(n_students, dtype=np.int64)
    np.maximum.at(streak, days.pos[counted], run_len[run_id[counted]])
    return streak


def compute_attendance(students: pd.DataFrame, school_days: pd.DataFrame, attendance: pd.DataFrame,
                       roster: Roster, window: ReportWindow, rules: AttendanceThresholds) -> DomainResult:
    days = scheduled_days(students, school_days, attendance, roster)
    n = len(roster)
    in_window = days.day >= np.datetime64(window.days_before_cutoff(EVALUATION_DAYS), "D")
    in_week = days.day >= np.datetime64(window.days_before_cutoff(7), "D")
    recorded = days.state != _NO_RECORD
    absent = days.state == _ABSENT

    def per_student(mask: np.ndarray) -> np.ndarray:
        return np.bincount(days.pos[mask], minlength=n).astype(np.int64)

    scheduled_window = per_student(in_window)
    missing = per_student(in_window & ~recorded)
    s_w, a_w = per_student(in_week & recorded), per_student(in_week & absent)
    s_2, a_2 = per_student(in_window & recorded), per_student(in_window & absent)
    n_late = per_student(in_window & days.late)
    streak = longest_streak_in_window(days, n, np.datetime64(window.days_before_cutoff(EVALUATION_DAYS), "D"))

    too_many_missing = 100 * missing > rules.max_missing_pct * scheduled_window
    week_rated = s_w >= rules.min_week_days
    two_week_rated = s_2 >= rules.min_two_week_days
    usable = ~too_many_missing

    week_crit = usable & week_rated & (100 * a_w >= rules.week_crit_pct * s_w) & (a_w >= rules.weekly_crit_min_days)
    week_warn = usable & week_rated & (100 * a_w >= rules.week_warn_pct * s_w)
    two_crit = usable & two_week_rated & (100 * a_2 >= rules.two_week_crit_pct * s_2)
    two_warn = usable & two_week_rated & (100 * a_2 >= rules.two_week_warn_pct * s_2)
    streak_crit = usable & (streak >= rules.streak_crit_days)
    few_days = ~week_rated & ~two_week_rated & ~streak_crit

    insufficient = too_many_missing | few_days
    return DomainResult(
        status=grade(week_crit | two_crit | streak_crit, week_warn | two_warn, insufficient),
        codes={
            **highest(Reason.ABSENCE_WEEK_CRIT, week_crit, Reason.ABSENCE_WEEK_WARN, week_warn),
            **highest(Reason.ABSENCE_2WK_CRIT, two_crit, Reason.ABSENCE_2WK_WARN, two_warn),
            Reason.ABSENCE_STREAK_CRIT: streak_crit,
            Reason.INSUFF_ATT_MISSING_RECORDS: too_many_missing,
            Reason.INSUFF_ATT_FEW_DAYS: few_days,
        },
        values={
            "sched_week": s_w,
            "absent_week": a_w,
            "sched_2wk": s_2,
            "absent_2wk": a_2,
            "att_missing_days": missing,
            "max_streak": streak,
            "n_late": n_late,
        },
    )
