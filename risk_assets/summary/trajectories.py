"""Each flagged student's last weeks: level and θ (with its standard error) per week, for the report.

The report week comes from this week's metrics; the earlier weeks from the results database (only the weeks the
school has stored: a week never materialised is a gap, never a guess). A reading says whether the flag is new,
persistent or easing, from the levels of the stored weeks alone.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from risk_assets.summary.figures import display_level
from risk_assets.vocabulary import CRIT, FLAGGED_LEVELS, WARN

TRAJECTORY_WEEKS = 6
PERSISTENT_WEEKS = 3
NEW, PERSISTENT, EASING = "new", "persistent", "easing"


def trajectory_weeks(week: dt.date, n: int = TRAJECTORY_WEEKS) -> list[dt.date]:
    """The report week and the n - 1 weeks before it, oldest first."""
    return [week - dt.timedelta(days=7 * back) for back in range(n - 1, -1, -1)]


def flagged_ids(frame: pd.DataFrame) -> list[int]:
    return sorted(frame.loc[frame["level"].isin(FLAGGED_LEVELS), "student_id"].astype(int))


def _point(level: str, theta: float, se: float) -> list:
    """[report level, θ or None, se or None]: compact, as 300 students × 6 weeks go into summary.json."""
    def number(value) -> float | None:
        return None if pd.isna(value) else float(value)
    return [level, number(theta), number(se)]


def trajectories(frame: pd.DataFrame, week: dt.date, stored_weeks: list[dt.date], earlier: pd.DataFrame) -> dict:
    """{"weeks": the 6 weeks, "stored_weeks": whether the school stored each, "students": {id: [point or None per
    week]}} for every WARN+ student of `frame` (this week's metrics); `earlier` holds stored rows of the weeks
    before."""
    weeks = trajectory_weeks(week)
    position = {w: i for i, w in enumerate(weeks)}
    ids = flagged_ids(frame)
    students: dict[str, list] = {str(sid): [None] * len(weeks) for sid in ids}
    if not earlier.empty:
        levels = display_level(earlier)
        for row, level in zip(earlier.itertuples(index=False), levels):
            points = students.get(str(int(row.student_id)))
            if points is not None and row.week in position:
                points[position[row.week]] = _point(level, row.theta_now, row.se_now)
    now = frame.loc[frame["student_id"].isin(ids)]
    for row, level in zip(now.itertuples(index=False), display_level(now)):
        students[str(int(row.student_id))][-1] = _point(level, row.theta_now, row.se_now)
    stored = set(stored_weeks) | {week}
    return {"weeks": [w.isoformat() for w in weeks], "stored_weeks": [w in stored for w in weeks],
            "students": students}


def reading(points: list, stored_weeks: list[bool]) -> str | None:
    """new (not flagged, or not counted, in the stored week before), persistent (flagged PERSISTENT_WEEKS weeks
    running) or easing (CRIT the week before, WARN now); None when the week before was never stored, or when the
    levels say none of these."""
    levels = [None if point is None else point[0] for point in points]
    if len(levels) < 2 or not stored_weeks[-2]:
        return None
    if levels[-2] not in FLAGGED_LEVELS:  # None too: the student was not counted that week
        return NEW
    if levels[-2] == CRIT and levels[-1] == WARN:
        return EASING
    if all(level in FLAGGED_LEVELS for level in levels[-PERSISTENT_WEEKS:]):
        return PERSISTENT
    return None
