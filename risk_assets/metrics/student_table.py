"""The `<tenant>_students.csv` contract: one row per counted student, exact columns, lossless floats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from risk_assets.metrics.engine import STUDENT_COLUMNS


def students_csv_path(reports_dir: Path, week: dt.date, tenant: str) -> Path:
    return Path(reports_dir) / week.isoformat() / f"{tenant}_students.csv"


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with header; NULL as an empty cell; floats as repr (shortest exact form)."""
    return frame[STUDENT_COLUMNS].to_csv(index=False, lineterminator="\n").encode("utf-8")
