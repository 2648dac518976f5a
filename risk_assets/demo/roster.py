"""Students of one tenant: ids, names, classes and enrolment dates.

Ids are org_id * 100_000 + n (n = 1..students), unique across tenants. Roles decided here:
about 2 % enrol mid-period (on a school day inside the history, half of them in the final
two weeks) and exactly one student withdraws during the final week, on Tuesday-Friday so
that the metrics still count them (docs/metrics.md: Time) in that week. Everyone else enrolled 1-57 weeks before the
history starts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .names import CLASS_LETTERS, GRADES, class_names, display_names
from .school_calendar import DAYS_PER_WEEK, SchoolCalendar
from .tenants import DemoTenant

ID_BLOCK = 100_000
MIN_STUDENTS = 30
CLASS_SIZE = 30
MIN_CLASSES = 2
# Large benchmark tenants get bigger classes rather than more than the names allow.
MAX_CLASSES = GRADES * len(CLASS_LETTERS)
MID_PERIOD_SHARE = 0.02
MIN_MID_PERIOD = 2
ENROLLED_BEFORE_DAYS = (7, 400)
FINAL_TWO_WEEKS = 2 * DAYS_PER_WEEK


@dataclass(frozen=True)
class Roster:
    student_ids: np.ndarray  # int64
    display_names: np.ndarray  # object (str)
    class_names: np.ndarray  # object (str)
    enrolled_on: np.ndarray  # datetime64[D]
    withdrawn_on: np.ndarray  # datetime64[D], NaT while enrolled
    mid_period: np.ndarray  # bool: enrolled inside the history
    withdrawn: np.ndarray  # bool: withdrew during the final week

    @property
    def size(self) -> int:
        return self.student_ids.size

    def scheduled(self, calendar: SchoolCalendar) -> np.ndarray:
        """(students, days) bool: school days within [enrolled_on, withdrawn_on) (docs/metrics.md: ATTENDANCE)."""
        dates = calendar.history.dates
        enrolled = dates >= self.enrolled_on[:, None]
        gone = dates >= self.withdrawn_on[:, None]  # always False against NaT
        return calendar.is_school_day & enrolled & ~gone

    def frame(self, org_id: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "student_id": self.student_ids,
                "org_id": np.full(self.size, org_id, dtype=np.int64),
                "display_name": self.display_names,
                "class_name": self.class_names,
                "enrolled_on": self.enrolled_on.astype(object),
                "withdrawn_on": self.withdrawn_on.astype(object),
            }
        )


def build_roster(rng: np.random.Generator, tenant: DemoTenant, calendar: SchoolCalendar, n: int) -> Roster:
    if not MIN_STUDENTS <= n < ID_BLOCK:
        raise ValueError(f"students_per_tenant must be in [{MIN_STUDENTS}, {ID_BLOCK}), got {n}")
    history = calendar.history
    names = display_names(rng, tenant.locale, n)
    n_classes = min(MAX_CLASSES, max(MIN_CLASSES, round(n / CLASS_SIZE)))
    classes = class_names(tenant.locale, n_classes)[rng.permutation(np.arange(n) % n_classes)]

    order = rng.permutation(n)
    n_mid = max(MIN_MID_PERIOD, round(MID_PERIOD_SHARE * n))
    mid, leaver = order[:n_mid], order[n_mid]

    enrolled_on = np.datetime64(history.start, "D") - rng.integers(*ENROLLED_BEFORE_DAYS, n)
    enrolled_on[mid] = history.dates[_mid_period_days(rng, calendar, n_mid)]
    withdrawn_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    leave_day = history.day_of(history.last_week) + rng.integers(1, 5)
    withdrawn_on[leaver] = history.dates[leave_day]

    return Roster(
        student_ids=tenant.org_id * ID_BLOCK + 1 + np.arange(n, dtype=np.int64),
        display_names=names,
        class_names=classes,
        enrolled_on=enrolled_on,
        withdrawn_on=withdrawn_on,
        mid_period=np.isin(np.arange(n), mid),
        withdrawn=np.arange(n) == leaver,
    )


def _mid_period_days(rng: np.random.Generator, calendar: SchoolCalendar, n_mid: int) -> np.ndarray:
    """School days to enrol on: half in the final two weeks, the rest after the first week."""
    end = calendar.history.n_days
    late = calendar.school_days_in(end - FINAL_TWO_WEEKS, end)
    early = calendar.school_days_in(DAYS_PER_WEEK, end - FINAL_TWO_WEEKS)
    n_late = n_mid // 2
    return np.concatenate([rng.choice(late, n_late), rng.choice(early, n_mid - n_late)])

