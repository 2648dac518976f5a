"""The demo history and each tenant's school calendar (local dates).

Named school_calendar rather than calendar so it can never shadow the standard library's
calendar module when a file in this folder is run directly.

History: the `weeks` report weeks ending with `last_week`, local dates
[last_week - 7*(weeks-1), last_week + 7). Day indices 0..7*weeks-1 count from its first
Monday, so `day // 7` is the report week and `day % 7` the weekday (0 = Monday).

School days are Monday-Friday minus one Wednesday holiday per tenant. The holiday falls in
week `weeks - 4 + tenant_index % 4`, so the first four tenants get four different weeks
inside the last four. With the default three tenants the third tenant's holiday lands in
the week where the scripted absence streak ends (see attendance.py): its streak then runs
across the weekend *and* the holiday, on purpose (docs/metrics.md: Edge cases lists both cases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

DAYS_PER_WEEK = 7
SCHOOL_WEEKDAYS = 5
WEDNESDAY = 2
THURSDAY = 3
HOLIDAY_WEEKS_BACK = 4
MIN_WEEKS = 4


@dataclass(frozen=True)
class History:
    last_week: dt.date
    weeks: int

    def __post_init__(self) -> None:
        if isinstance(self.last_week, dt.datetime) or not isinstance(self.last_week, dt.date):
            raise ValueError(f"last_week must be a datetime.date, got {self.last_week!r}")
        if self.last_week.weekday() != 0:
            raise ValueError(
                f"last_week must be a Monday (the start of the final report week), "
                f"got {self.last_week.isoformat()} ({self.last_week.strftime('%A')})"
            )
        if self.weeks < MIN_WEEKS:
            raise ValueError(
                f"weeks must be at least {MIN_WEEKS} (the θ and streak rules look back 28 days), "
                f"got {self.weeks}"
            )

    @property
    def start(self) -> dt.date:
        return self.last_week - dt.timedelta(days=DAYS_PER_WEEK * (self.weeks - 1))

    @property
    def cutoff(self) -> dt.date:
        """C_date: the Monday after the final report week (exclusive end of the history)."""
        return self.last_week + dt.timedelta(days=DAYS_PER_WEEK)

    @property
    def n_days(self) -> int:
        return DAYS_PER_WEEK * self.weeks

    @property
    def dates(self) -> np.ndarray:
        """Every local date of the history as datetime64[D], indexed by day index."""
        return np.datetime64(self.start, "D") + np.arange(self.n_days)

    def day_of(self, date: dt.date) -> int:
        return (date - self.start).days


@dataclass(frozen=True)
class SchoolCalendar:
    history: History
    is_school_day: np.ndarray  # (n_days,) bool, indexed by day index

    @property
    def school_day_indices(self) -> np.ndarray:
        return np.flatnonzero(self.is_school_day)

    @property
    def school_dates(self) -> np.ndarray:
        return self.history.dates[self.is_school_day]

    def school_days_in(self, first_day: int, end_day: int) -> np.ndarray:
        """School-day indices in [first_day, end_day)."""
        days = self.school_day_indices
        return days[(days >= first_day) & (days < end_day)]


def tenant_calendar(history: History, tenant_index: int) -> SchoolCalendar:
    weekday = np.arange(history.n_days) % DAYS_PER_WEEK
    holiday_week = history.weeks - HOLIDAY_WEEKS_BACK + tenant_index % HOLIDAY_WEEKS_BACK
    holiday_day = DAYS_PER_WEEK * holiday_week + WEDNESDAY
    is_school_day = weekday < SCHOOL_WEEKDAYS
    is_school_day[holiday_day] = False
    return SchoolCalendar(history=history, is_school_day=is_school_day)
