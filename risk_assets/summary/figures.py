"""Tenant figures: level counts, domain counts, Δθ_14 spread, week-over-week, classes, data quality."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk_assets.vocabulary import (
    CRIT,
    ENGAGEMENT,
    FLAGGED_LEVELS,
    INSUFFICIENT,
    LEVEL_INSUFFICIENT,
    LEVEL_OK_PARTIAL,
    OK,
    WARN,
    Reason,
    active_domains,
)
from risk_assets.vocabulary import LEVELS as LEVEL_NAMES
from risk_assets.vocabulary import REPORT_LEVELS as LEVELS

FLAGGED = FLAGGED_LEVELS
SMALL_CELL = 10  # counts below this are shown as "<10" in the class breakdown


@dataclass(frozen=True)
class History:
    """Stored levels of earlier weeks (None: that week was never materialised)."""

    previous: pd.Series | None
    before_previous: pd.Series | None


def display_level(frame: pd.DataFrame) -> pd.Series:
    """OK with coverage below 1 is counted and shown as OK_PARTIAL."""
    return frame["level"].where(~((frame["level"] == OK) & (frame["coverage"] < 1)), LEVEL_OK_PARTIAL)


def _pct(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def level_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Students per report level (OK_PARTIAL apart from OK): what every asset, report and message counts."""
    counts = display_level(frame).value_counts()
    return {level: int(counts.get(level, 0)) for level in LEVELS}


def level_figures(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {level: {"count": count, "pct": _pct(count, len(frame))} for level, count in level_counts(frame).items()}


def domain_figures(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """WARN / CRIT / INSUFFICIENT per domain judged (ENGAGEMENT only when it was on)."""
    out = {}
    for domain in active_domains(frame):
        counts = frame[f"{domain}_status"].value_counts()
        out[domain] = {status: int(counts.get(status, 0)) for status in (WARN, CRIT, INSUFFICIENT)}
    return out


def annotation_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Students whose θ flag came with omitting or rapid guessing (only counted when ENGAGEMENT was on)."""
    if ENGAGEMENT not in active_domains(frame):
        return {}
    code = Reason.THETA_DROP_WITH_DISENGAGEMENT.value
    holds = frame["reason_codes"].str.split(";").map(lambda codes: code in codes)
    return {code: int(holds.sum())}


def delta_theta_spread(frame: pd.DataFrame) -> dict[str, float | None]:
    values = frame["delta_14d"].dropna().to_numpy(dtype=float)
    if len(values) == 0:
        return {"n": 0, "median": None, "q1": None, "q3": None, "iqr": None}
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return {"n": int(len(values)), "median": float(median), "q1": float(q1), "q3": float(q3), "iqr": float(q3 - q1)}


def _flagged_ids(levels: pd.Series | None) -> set[int]:
    return set() if levels is None else set(levels.index[levels.isin(FLAGGED)].astype(int))


def new_this_week(frame: pd.DataFrame, history: History) -> set[int] | None:
    """WARN+ now and not WARN+ (OK, insufficient or absent) in the previous stored week."""
    if history.previous is None:
        return None
    now = set(frame.loc[frame["level"].isin(FLAGGED), "student_id"].astype(int))
    return now - _flagged_ids(history.previous)


def week_over_week(frame: pd.DataFrame, history: History, new: set[int] | None) -> dict:
    if history.previous is None:
        return {"available": False}
    now = set(frame.loc[frame["level"].isin(FLAGGED), "student_id"].astype(int))
    before = _flagged_ids(history.previous)
    counted = set(frame["student_id"].astype(int))
    previous_counts = history.previous.value_counts()
    current_counts = frame["level"].value_counts()
    result = {
        "available": True,
        "new_warn_or_crit": len(new or ()),
        "resolved": len((before & counted) - now),
        "level_change": {level: int(current_counts.get(level, 0)) - int(previous_counts.get(level, 0))
                         for level in LEVEL_NAMES},
        "persistent_available": history.before_previous is not None,
        "persistent": None,
    }
    if history.before_previous is not None:
        result["persistent"] = len(now & before & _flagged_ids(history.before_previous))
    return result


def _small(count: int) -> int | str:
    return f"<{SMALL_CELL}" if count < SMALL_CELL else count


def class_breakdown(frame: pd.DataFrame) -> list[dict]:
    """Per class: students and flagged counts; any count under 10 is shown as "<10"."""
    classes = frame.assign(class_name=frame["class_name"].fillna("—"))
    rows = []
    for name, group in classes.groupby("class_name", sort=True):
        levels = group["level"].value_counts()
        rows.append({
            "class_name": str(name),
            "students": _small(len(group)),
            "crit": _small(int(levels.get(CRIT, 0))),
            "warn": _small(int(levels.get(WARN, 0))),
            "ok": _small(int(levels.get(OK, 0))),
            "insufficient": _small(int(levels.get(LEVEL_INSUFFICIENT, 0))),
        })
    return rows


def tenant_figures(frame: pd.DataFrame, history: History, quality: dict[str, int]) -> dict:
    new = new_this_week(frame, history)
    return {
        "total_students": len(frame),
        "levels": level_figures(frame),
        "domains": domain_figures(frame),
        "annotations": annotation_counts(frame),
        "delta_theta_14d": delta_theta_spread(frame),
        "week_over_week": week_over_week(frame, history, new),
        "new_student_ids": sorted(new) if new is not None else None,
        "classes": class_breakdown(frame),
        "data_quality": dict(sorted(quality.items())),
    }


# Fields of summary.json that say when, not what: a report whose data did not change keeps its identity.
VOLATILE_FIELDS = ("generated_at", "content_id")


def content_id(payload: dict, students_csv: bytes) -> str:
    """The identity of a report's content for delivery (exactly once per content, channel and recipient): the
    summary's figures, names and thresholds and the students table, not the time they were computed."""
    stable = {key: value for key, value in payload.items() if key not in VOLATILE_FIELDS}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    digest.update(students_csv)
    return digest.hexdigest()
