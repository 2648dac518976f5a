"""The snapshot as plain files for the R engine (R has no Parquet reader here): CSV + window.json, and
item_times.csv (per-item response-time counts and sums, for ENGAGEMENT) when the snapshot has them.

The CSV files are written by Arrow's CSV writer, a slice of rows at a time: pandas' writer formats every
value in Python (71 s for a 100,000-student school) and a whole-table conversion would be a second copy of
the presentations. Timestamps are integer microseconds since the epoch (exact in R's doubles), dates are
YYYY-MM-DD, floats are written in their shortest exact form, NULL is an empty cell, text is quoted. The
window's instants are computed here, in Python, so both engines use the very same edges (DST included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv

from risk_assets.window import EVALUATION_DAYS, HISTORY_DAYS

if TYPE_CHECKING:
    from risk_assets.snapshot.model import Snapshot

_MICROS = 1_000
# Rows converted to Arrow and written at a time.
SLICE_ROWS = 1_000_000

Encoder = Callable[[pd.Series], pa.Array]


def _epoch_micros(values: pd.Series) -> pa.Array:
    micros = values.astype("datetime64[ns, UTC]").array.asi8 // _MICROS
    return pa.array(micros, mask=values.isna().to_numpy())


def _dates(values: pd.Series) -> pa.Array:
    return pa.array(values, from_pandas=True).cast(pa.date32())


def _text(values: pd.Series) -> pa.Array:
    return pa.array(values, from_pandas=True).cast(pa.string())


def _flag(values: pd.Series) -> pa.Array:
    return pa.array(values.to_numpy(dtype="int8"))


_ENCODERS: dict[str, dict[str, Encoder]] = {
    "students": {"enrolled_on": _dates, "withdrawn_on": _dates},
    "presentations": {"presented_at": _epoch_micros, "outcome": _text, "item_known": _flag},
    "theta": {"estimated_at": _epoch_micros},
    "school_days": {"school_date": _dates},
    "attendance": {"school_date": _dates, "status": _text},
    "item_times": {},
}


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
    for name, frame in snapshot.tables().items():
        write_csv(frame, _ENCODERS[name], folder / f"{name}.csv")
    (folder / "window.json").write_text(json.dumps(window_document(snapshot), indent=2), encoding="utf-8")
    return folder


def write_csv(frame: pd.DataFrame, encoders: dict[str, Encoder], path: Path) -> None:
    """The frame as CSV with a header, SLICE_ROWS rows converted at a time."""
    starts = range(0, max(len(frame), 1), SLICE_ROWS)
    slices = (_arrow_slice(frame.iloc[start:start + SLICE_ROWS], encoders) for start in starts)
    first = next(slices)
    with arrow_csv.CSVWriter(str(path), first.schema) as writer:
        writer.write_table(first)
        for part in slices:
            writer.write_table(part)


def _arrow_slice(frame: pd.DataFrame, encoders: dict[str, Encoder]) -> pa.Table:
    columns = {name: encoders.get(name, _plain)(frame[name]) for name in frame.columns}
    return pa.table(columns)


def _plain(values: pd.Series) -> pa.Array:
    """Numbers as they are; Python objects (names, classes) as text, also when every one is NULL."""
    return _text(values) if values.dtype == object else pa.array(values, from_pandas=True)
