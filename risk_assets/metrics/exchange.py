"""The snapshot as column files for the R engine: R has no Parquet or Arrow reader here (CRAN is out of reach),
but base R's `readBin` reads a file of raw numbers at disk speed. Formatting 15 million rows as CSV took
longer than 10 % of the R step it feeds; writing a column is one memory copy.

    window.json            the window's edges, computed here in Python (DST included), so both engines use
                           the very same instants
    tables.json            {"<table>": {"rows": n, "columns": {"<column>": {"kind": …, "levels": […]}}}}
    <table>/<column>.f64   kinds number, instant, date: little-endian IEEE 754 doubles, NaN = NULL — ids and
                           counts (exact below 2^53, checked), instants as microseconds since the epoch, dates
                           as days since 1970-01-01, true/false as 1/0
    <table>/<column>.i32   kind text: little-endian 32-bit codes, 1-based into the column's "levels" (the
                           distinct values, in tables.json), R's NA_integer_ (-2^31) = NULL

Tables: students, presentations, theta, school_days, attendance, and item_times (per-item response-time counts
and sums, for ENGAGEMENT) when the snapshot has them. Every column of the snapshot is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from risk_assets.errors import UserError
from risk_assets.window import EVALUATION_DAYS, HISTORY_DAYS

if TYPE_CHECKING:
    from risk_assets.snapshot.model import Snapshot

LAYOUT_FILE = "tables.json"
WINDOW_FILE = "window.json"
_MICROS = 1_000
_NS_PER_DAY = 86_400 * 10**9
_DOUBLE = np.dtype("<f8")
_CODE = np.dtype("<i4")
_R_NA_INTEGER = np.iinfo(np.int32).min
EXACT_INTEGERS = 2**53  # doubles hold every integer below this exactly


class InexactInteger(UserError):
    pass


def window_document(snapshot: Snapshot) -> dict:
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


def export_snapshot(snapshot: Snapshot, folder: Path) -> Path:
    """Write every table's column files, tables.json and window.json into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    layout = {name: write_table(frame, name, folder / name) for name, frame in snapshot.tables().items()}
    (folder / LAYOUT_FILE).write_text(json.dumps(layout, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / WINDOW_FILE).write_text(json.dumps(window_document(snapshot), indent=2), encoding="utf-8")
    return folder


def write_table(frame: pd.DataFrame, table: str, folder: Path) -> dict:
    """Each column of `frame` as a file in `folder`; returns the table's entry of tables.json."""
    folder.mkdir(exist_ok=True)
    columns = {}
    for name in frame.columns:
        spec, values = encode_column(frame[name], where=f"{table}.{name}")
        values.tofile(folder / f"{name}{'.i32' if spec['kind'] == 'text' else '.f64'}")
        columns[name] = spec
    return {"rows": len(frame), "columns": columns}


def encode_column(values: pd.Series, where: str) -> tuple[dict, np.ndarray]:
    """The column's tables.json entry and its values as written (doubles, or codes for text)."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return {"kind": "instant"}, _since_epoch(values, _MICROS)
    if pd.api.types.is_datetime64_dtype(dtype):
        return {"kind": "date"}, _since_epoch(values, _NS_PER_DAY)
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype):
        return _text(values)
    doubles = values.to_numpy(dtype=_DOUBLE, na_value=np.nan)
    if not pd.api.types.is_float_dtype(dtype) and np.nanmax(np.abs(doubles), initial=0) >= EXACT_INTEGERS:
        raise InexactInteger(
            f"{where} holds an integer of 2^53 or more, which the R engine's doubles cannot hold exactly; "
            "compute this tenant's metrics with metrics_engine: python"
        )
    return {"kind": "number"}, doubles


def _since_epoch(values: pd.Series, unit_ns: int) -> np.ndarray:
    """Whole units since the epoch (the snapshot's instants are whole microseconds, its dates whole days)."""
    whole = (values.array.asi8 // unit_ns).astype(_DOUBLE)
    whole[values.isna().to_numpy()] = np.nan
    return whole


def _text(values: pd.Series) -> tuple[dict, np.ndarray]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, levels = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, levels = pd.factorize(values)
    written = np.where(codes >= 0, codes.astype(_CODE) + 1, _R_NA_INTEGER).astype(_CODE)
    return {"kind": "text", "levels": [str(level) for level in levels]}, written
