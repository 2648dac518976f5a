"""Attendance: what happened on each scheduled day, and which days have a record.

Ordinary days: present 92 %, late 4 %, absent 3 %, excused 1 %, independently per day.
Students of the attendance scripts (groups.ATTENDANCE_GROUPS) are present on every
scheduled day except the scripted absences, so the scripted pattern is the only signal:
- absence_streak: absent on the 5 school days starting Thursday of week `weeks - 3`
  (Thu, Fri, Mon, Tue, Wed; where the tenant's Wednesday holiday falls in that week the
  run continues to Thursday, so it spans the weekend and the holiday). The run ends in
  the final two weeks, i.e. inside the evaluation window [C - 14 d, C).
- absence_2days: absent on 2 random school days of the final week.
- missing_record: one random school day of the final week has no row. The student did
  attend (and practised) that day; only the record is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .groups import ABSENCE_2DAYS, ABSENCE_STREAK, ATTENDANCE_GROUPS, MISSING_RECORD
from .roster import Roster
from .school_calendar import DAYS_PER_WEEK, THURSDAY, SchoolCalendar

NOT_SCHEDULED, PRESENT, LATE, ABSENT, EXCUSED = -1, 0, 1, 2, 3
STATUS_NAMES = np.array(["present", "late", "absent", "excused"], dtype=object)
STATUS_SHARES = np.array([0.92, 0.04, 0.03, 0.01])
STREAK_LENGTH = 5
STREAK_START_WEEKS_BACK = 3
SCRIPTED_FINAL_WEEK_ABSENCES = 2


@dataclass(frozen=True)
class AttendancePlan:
    status: np.ndarray  # (students, days) int8: what happened; NOT_SCHEDULED off schedule
    recorded: np.ndarray  # (students, days) bool: the school keeps a row for that day

    @property
    def attends(self) -> np.ndarray:
        """(students, days) bool: in school (present or late), so a practice session happens."""
        return (self.status == PRESENT) | (self.status == LATE)

    def frame(self, roster: Roster, calendar: SchoolCalendar) -> pd.DataFrame:
        rows, days = np.nonzero(self.recorded)
        return pd.DataFrame(
            {
                "student_id": roster.student_ids[rows],
                "school_date": calendar.history.dates[days].astype(object),
                "status": STATUS_NAMES[self.status[rows, days]],
            }
        )


def streak_days(calendar: SchoolCalendar) -> np.ndarray:
    """Day indices of the scripted absence streak."""
    history = calendar.history
    start = DAYS_PER_WEEK * (history.weeks - STREAK_START_WEEKS_BACK) + THURSDAY
    return calendar.school_days_in(start, history.n_days)[:STREAK_LENGTH]


def plan_attendance(
    rng: np.random.Generator, calendar: SchoolCalendar, scheduled: np.ndarray, groups: np.ndarray
) -> AttendancePlan:
    drawn = np.searchsorted(np.cumsum(STATUS_SHARES)[:-1], rng.random(scheduled.shape), side="right")
    scripted = np.isin(groups, ATTENDANCE_GROUPS)
    drawn[scripted] = PRESENT
    status = np.where(scheduled, drawn, NOT_SCHEDULED).astype(np.int8)
    recorded = scheduled.copy()

    history = calendar.history
    final_week = calendar.school_days_in(history.n_days - DAYS_PER_WEEK, history.n_days)
    status[np.ix_(np.flatnonzero(groups == ABSENCE_STREAK), streak_days(calendar))] = ABSENT
    two_days = np.flatnonzero(groups == ABSENCE_2DAYS)
    status[two_days[:, None], _distinct_days(rng, final_week, two_days.size, SCRIPTED_FINAL_WEEK_ABSENCES)] = ABSENT
    missing = np.flatnonzero(groups == MISSING_RECORD)
    recorded[missing[:, None], _distinct_days(rng, final_week, missing.size, 1)] = False
    return AttendancePlan(status=status, recorded=recorded)


def _distinct_days(rng: np.random.Generator, days: np.ndarray, n_students: int, k: int) -> np.ndarray:
    """(n_students, k) distinct days per student, drawn from `days`."""
    return days[np.argsort(rng.random((n_students, days.size)), axis=1)[:, :k]]
