"""The snapshot as plain files for the R engine (R has no Parquet reader here): CSV + window.json, and
item_times.csv (per-item response-time counts and sums, for ENGAGEMENT) when the snapshot has them.

Timestamps are integer microseconds since the epoch (exact in R's doubles), dates are YYYY-MM-DD, floats
are written in their shortest exact form, NULL is an empty cell. The window's instants are computed here,
in Python, so both engines use the very same edges (DST included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from risk_assets.window import EVALUATION_DAYS, HISTORY_DAYS

if TYPE_CHECKING:
    from risk_assets.snapshot.model import Snapshot

_MICROS = 1_000


def _epoch_micros(values: pd.Series) -> pd.Series:
    return values.astype("datetime64[ns, UTC]").astype("int64") // _MICROS


def _dates(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d")


def window_document(snapshot: "Snapshot") -> dict:
    window = snapshot.window
    instants = {f"c_minus_{days}d": int(pd.Timestamp(window.instant(days)).value // _MICROS)
                for days in range(0, HISTORY_DAYS + 1, 7)}
    return {
        "tenant": snapshot.tenant,
        "week": window.week_start.isoformat(),
        "timezone": window.timezone,
        "cutoff_date": window.cutoff_date.isoformat(),
        "evaluation_start_date": window.days_before_cutoff(EVALUATION_DAYS).isoformat(),
        "week_start_date": window.days_before_cutoff(7).isoformat(),
        "history_start_date": window.days_before_cutoff(HISTORY_DAYS).isoformat(),
        "instants_us": instants,
    }


def export_snapshot(snapshot: "Snapshot", folder: Path) -> Path:
    """Write students, presentations, theta, school_days, attendance, item_times (.csv) and window.json."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "students": snapshot.students.assign(enrolled_on=_dates(snapshot.students["enrolled_on"]),
                                             withdrawn_on=_dates(snapshot.students["withdrawn_on"])),
        "presentations": snapshot.presentations.assign(
            presented_at=_epoch_micros(snapshot.presentations["presented_at"]),
            outcome=snapshot.presentations["outcome"].astype(str),
            item_known=snapshot.presentations["item_known"].astype(int)),
        "theta": snapshot.theta.assign(estimated_at=_epoch_micros(snapshot.theta["estimated_at"])),
        "school_days": snapshot.school_days.assign(school_date=_dates(snapshot.school_days["school_date"])),
        "attendance": snapshot.attendance.assign(school_date=_dates(snapshot.attendance["school_date"]),
                                                 status=snapshot.attendance["status"].astype(str)),
        **({} if snapshot.item_times is None else {"item_times": snapshot.item_times}),
    }
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    (folder / "window.json").write_text(json.dumps(window_document(snapshot), indent=2), encoding="utf-8")
    return folder
