"""In-memory snapshots for metric fixtures: rows written by hand, typed exactly like the real snapshot."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pandas as pd

from risk_assets.snapshot.hygiene import REJECTED_COLUMNS
from risk_assets.snapshot.model import Snapshot
from risk_assets.snapshot.schema import (
    ATTENDANCE,
    ITEM_TIMES,
    PRESENTATIONS,
    SCHOOL_DAYS,
    STUDENTS,
    THETA,
)
from risk_assets.window import ReportWindow


def weekdays(first: dt.date, last: dt.date, skip: tuple[dt.date, ...] = ()) -> list[dt.date]:
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if d.weekday() < 5 and d not in skip]


class SnapshotBuilder:
    def __init__(self, week: dt.date = dt.date(2026, 11, 16), timezone: str = "Asia/Seoul"):
        self.window = ReportWindow(week, timezone)
        self.zone = ZoneInfo(timezone)
        self._ids = itertools.count(1)
        self.students: list[dict] = []
        self.presentations: list[dict] = []
        self.theta: list[dict] = []
        self.school_days: list[dt.date] = []
        self.attendance: list[dict] = []
        self.item_times: list[dict] = []

    # -- time helpers ------------------------------------------------------------------------
    @property
    def cutoff(self) -> dt.datetime:
        return self.window.cutoff

    def days_before(self, days: int) -> dt.datetime:
        """C - n d: local midnight n calendar days before the cut-off."""
        return self.window.instant(days)

    def local(self, day: dt.date, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=self.zone)

    # -- rows --------------------------------------------------------------------------------
    def student(self, *, enrolled_on: dt.date = dt.date(2026, 1, 1), withdrawn_on: dt.date | None = None,
                name: str = "학생", class_name: str | None = "1-1") -> int:
        sid = 1000 + len(self.students)
        self.students.append(dict(student_id=sid, display_name=name, class_name=class_name,
                                  enrolled_on=enrolled_on, withdrawn_on=withdrawn_on))
        return sid

    def estimate(self, sid: int, at: dt.datetime, theta: float, se: float | None = 0.3,
                 estimate_id: int | None = None) -> int:
        estimate_id = estimate_id or next(self._ids)
        self.theta.append(dict(estimate_id=estimate_id, student_id=sid, estimated_at=at, theta=theta, se=se))
        return estimate_id

    def present(self, sid: int, at: dt.datetime, outcome: str, *, session: int = 1, item_id: int | None = None,
                a: float | None = 1.0, b: float | None = 0.0, c: float | None = 0.2,
                n_options: int | None = 4, seconds_apart: int = 0, response_time_ms: int | None = 15000,
                item_known: bool = True) -> int:
        pid = next(self._ids)
        self.presentations.append(dict(
            presentation_id=pid, student_id=sid, session_id=session, item_id=item_id or pid,
            presented_at=at + dt.timedelta(seconds=seconds_apart), outcome=outcome, response_time_ms=response_time_ms,
            item_known=item_known, a=a, b=b, c=c, n_options=n_options,
        ))
        return pid

    def session(self, sid: int, day: dt.date, outcomes: list[str], *, session: int | None = None) -> None:
        """One practice session: presentations 30 s apart from 10:00 local."""
        session = session or next(self._ids)
        start = self.local(day)
        for i, outcome in enumerate(outcomes):
            self.present(sid, start + dt.timedelta(seconds=30 * i), outcome, session=session)

    def item_history(self, item_id: int, n_timed: int, mean_ms: float) -> None:
        """The item's timed answers over the 90 days before C (snapshot_item_times.sql), as their count and sum."""
        self.item_times.append(dict(item_id=item_id, n_timed=n_timed, sum_response_time_ms=round(n_timed * mean_ms)))

    def calendar(self, days: list[dt.date]) -> None:
        self.school_days.extend(days)

    def attend(self, sid: int, day: dt.date, status: str = "present") -> None:
        self.attendance.append(dict(student_id=sid, school_date=day, status=status))

    # -- result ------------------------------------------------------------------------------
    def build(self) -> Snapshot:
        def frame(table, rows):
            return table.typed(pd.DataFrame(rows, columns=table.column_names), source="fixture")

        return Snapshot(
            tenant="fixture", org_id=1, org_name="Fixture School", window=self.window,
            students=frame(STUDENTS, self.students),
            presentations=frame(PRESENTATIONS, self.presentations),
            theta=frame(THETA, self.theta),
            school_days=frame(SCHOOL_DAYS, [{"school_date": d} for d in sorted(set(self.school_days))]),
            attendance=frame(ATTENDANCE, self.attendance),
            item_times=frame(ITEM_TIMES, self.item_times),
            rejected=pd.DataFrame(columns=REJECTED_COLUMNS),
            quality={},
        )
