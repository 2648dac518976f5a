"""Data-quality rules on a snapshot, as plain functions (the asset checks call them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from risk_assets.snapshot.model import Snapshot

THETA_RANGE = (-6.0, 6.0)


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def has_activity(snapshot: Snapshot, enabled: bool) -> CheckOutcome:
    """An enabled tenant with enrolled students must show item presentations in the window."""
    students, presentations = len(snapshot.students), len(snapshot.presentations)
    metadata = {"students": students, "presentations": presentations, "enabled": enabled}
    if not enabled or students == 0:
        reason = "tenant disabled" if not enabled else "no enrolled students"
        return CheckOutcome(True, f"not applicable: {reason}", metadata)
    if presentations == 0:
        return CheckOutcome(False, f"no activity: {students} enrolled students, 0 item presentations in the "
                                   "14-day window (is the source feed for this school stalled?)", metadata)
    return CheckOutcome(True, f"{presentations} presentations for {students} students", metadata)


def theta_in_range(snapshot: Snapshot) -> CheckOutcome:
    theta = snapshot.theta["theta"].to_numpy(dtype=float)
    low, high = THETA_RANGE
    outside = ~(np.isfinite(theta) & (theta >= low) & (theta <= high))
    bad = snapshot.theta.loc[outside, "estimate_id"].head(20).tolist()
    metadata = {"estimates": len(theta), "outside": int(outside.sum()), "example_estimate_ids": bad}
    if outside.any():
        return CheckOutcome(False, f"{int(outside.sum())} θ estimate(s) outside [{low}, {high}]", metadata)
    return CheckOutcome(True, f"all {len(theta)} θ estimates within [{low}, {high}]", metadata)


def unique_attendance(snapshot: Snapshot) -> CheckOutcome:
    duplicated = snapshot.attendance.duplicated(["student_id", "school_date"], keep=False)
    n = int(snapshot.attendance.loc[duplicated, ["student_id", "school_date"]].drop_duplicates().shape[0])
    metadata = {"rows": len(snapshot.attendance), "duplicated_keys": n}
    if n:
        return CheckOutcome(False, f"{n} (student, school_date) pair(s) have more than one attendance row", metadata)
    return CheckOutcome(True, "one attendance row per student and day", metadata)
