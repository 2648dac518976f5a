"""The report window of one (week, tenant): cut-off C and the look-back instants (docs/metrics.md: Time), in tenant
time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

EVALUATION_DAYS = 14
HISTORY_DAYS = 28
# Response times behind the ENGAGEMENT domain's per-item thresholds (docs/metrics.md: ENGAGEMENT).
RESPONSE_TIME_DAYS = 90


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """First instant of a local date. In a DST gap at midnight, fold=0 maps to the transition instant."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class ReportWindow:
    """Week W = [Monday 00:00, next Monday 00:00) local; C is the end of W."""

    week_start: dt.date
    timezone: str

    def __post_init__(self) -> None:
        if self.week_start.weekday() != 0:
            raise ValueError(f"report weeks start on a Monday; {self.week_start} is a {self.week_start:%A}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def cutoff_date(self) -> dt.date:
        return self.week_start + dt.timedelta(days=7)

    def days_before_cutoff(self, days: int) -> dt.date:
        return self.cutoff_date - dt.timedelta(days=days)

    def instant(self, days_before_cutoff: int) -> dt.datetime:
        """`C - n d` in UTC: the first instant of local date C_date - n (calendar days, not 24 h steps)."""
        return local_midnight(self.days_before_cutoff(days_before_cutoff), self.zone)

    @property
    def cutoff(self) -> dt.datetime:
        return self.instant(0)

    @property
    def evaluation_start(self) -> dt.datetime:
        return self.instant(EVALUATION_DAYS)

    @property
    def history_start(self) -> dt.datetime:
        return self.instant(HISTORY_DAYS)

    @property
    def response_time_start(self) -> dt.datetime:
        return self.instant(RESPONSE_TIME_DAYS)

    def query_parameters(self, org_id: int) -> dict[str, object]:
        """Bound parameters shared by every snapshot query (sql/snapshot_*.sql)."""
        return {
            "org_id": org_id,
            "week_start": self.week_start,
            "cutoff_date": self.cutoff_date,
            "history_start_date": self.days_before_cutoff(HISTORY_DAYS),
            "cutoff": self.cutoff,
            "evaluation_start": self.evaluation_start,
            "history_start": self.history_start,
            "response_time_start": self.response_time_start,
        }

    def describe(self) -> dict[str, str]:
        """Window edges in local and UTC time, for metadata and logs."""
        def both(instant: dt.datetime) -> str:
            return f"{instant.astimezone(self.zone).isoformat()} ({instant.isoformat().replace('+00:00', 'Z')})"

        return {
            "timezone": self.timezone,
            "week": f"{self.week_start} – {self.cutoff_date - dt.timedelta(days=1)}",
            "cutoff": both(self.cutoff),
            "evaluation_window": f"[{both(self.evaluation_start)}, {both(self.cutoff)})",
            "history_window": f"[{both(self.history_start)}, {both(self.cutoff)})",
            "response_time_window": f"[{both(self.response_time_start)}, {both(self.cutoff)})",
        }
