"""The metrics step: one tenant-week snapshot in, one row per counted student out (spec v1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import Thresholds
from risk_assets.metrics.attendance import compute_attendance
from risk_assets.metrics.domain import Roster
from risk_assets.metrics.engagement import compute_engagement, switched_off, theta_drop_with_disengagement
from risk_assets.metrics.guessing import compute_guess, guess_items
from risk_assets.metrics.levels import join_codes, student_level
from risk_assets.metrics.omit import compute_omit
from risk_assets.metrics.presentations import Presentations
from risk_assets.metrics.theta import compute_theta
from risk_assets.vocabulary import DOMAINS, ENGAGEMENT, NULLABLE_INTEGER, STUDENT_COLUMNS, Reason, columns_of_kind

if TYPE_CHECKING:
    from risk_assets.snapshot.model import Snapshot



def compute_metrics(snapshot: Snapshot, thresholds: Thresholds) -> pd.DataFrame:
    """Every rule of docs/metrics.md for every counted student, ordered by student_id."""
    students = snapshot.students.sort_values("student_id", kind="mergesort").reset_index(drop=True)
    roster = Roster.from_students(students)
    presentations = Presentations.from_frame(snapshot.presentations, roster)
    theta = compute_theta(snapshot.theta, roster, snapshot.window, thresholds.theta)
    omit = compute_omit(presentations, roster, thresholds.omit)
    guess = compute_guess(
        guess_items(presentations), roster,
        theta.values["theta_ref"], theta.values["theta_ref_se"], thresholds.guess, thresholds.irt.D,
    )
    attendance = compute_attendance(
        students, snapshot.school_days, snapshot.attendance, roster, snapshot.window, thresholds.attendance
    )
    results = dict(zip(DOMAINS, (theta, omit, guess, attendance)))
    no_activity = (omit.values["n_presented"] + omit.values["n_not_reached"]) == 0
    codes = {Reason.NO_ACTIVITY_14D: no_activity}
    if thresholds.engagement.enabled:
        results[ENGAGEMENT] = compute_engagement(presentations, roster, snapshot.item_times, thresholds.engagement)
        codes[Reason.THETA_DROP_WITH_DISENGAGEMENT] = theta_drop_with_disengagement(theta, omit, results[ENGAGEMENT])
    level, coverage = student_level(list(results.values()))
    results.setdefault(ENGAGEMENT, switched_off(roster))
    for result in results.values():
        codes.update(result.codes)

    frame = pd.DataFrame({
        "student_id": students["student_id"].to_numpy(dtype=np.int64),
        "display_name": students["display_name"].to_numpy(dtype=object),
        "class_name": students["class_name"].to_numpy(dtype=object),
        "level": level,
        "coverage": coverage,
        "reason_codes": join_codes(codes, len(roster)),
        **{f"{name}_status": result.status for name, result in results.items()},
        **{k: v for result in results.values() for k, v in result.values.items()},
    })
    for column in columns_of_kind(NULLABLE_INTEGER):
        frame[column] = frame[column].astype("Int64")
    return frame[STUDENT_COLUMNS]
