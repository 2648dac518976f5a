"""One tenant-week snapshot: the source tables, what was quarantined, and data-quality counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from risk_assets.window import ReportWindow


@dataclass
class Snapshot:
    tenant: str
    org_id: int
    org_name: str
    window: ReportWindow
    students: pd.DataFrame
    presentations: pd.DataFrame
    theta: pd.DataFrame
    school_days: pd.DataFrame
    attendance: pd.DataFrame
    rejected: pd.DataFrame
    quality: dict[str, int]
    # When the source was read: the "data as of" time shown in reports. Re-rendering from the same snapshot
    # therefore gives byte-identical reports, which delivery recognises as already sent.
    taken_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # Per-item response-time statistics (ENGAGEMENT); None in a snapshot stored before they were taken.
    item_times: pd.DataFrame | None = None

    @property
    def week(self) -> dt.date:
        return self.window.week_start

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "students": self.students,
            "presentations": self.presentations,
            "theta": self.theta,
            "school_days": self.school_days,
            "attendance": self.attendance,
            **({} if self.item_times is None else {"item_times": self.item_times}),
        }

    def row_counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables().items()}

    @property
    def is_empty(self) -> bool:
        return self.students.empty

    @property
    def has_activity(self) -> bool:
        return not self.presentations.empty
