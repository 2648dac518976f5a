"""Data-quality rules on a snapshot, as plain functions (the asset checks call them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from risk_assets.snapshot.model import Snapshot


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)


def has_students(snapshot: Snapshot, enabled: bool) -> CheckOutcome:
    """An enabled tenant's organisation has students counted in the week. A school without any would get an
    empty report that reads as good news, while the cause is a wrong org_id or a roster that stopped arriving."""
    students = len(snapshot.students)
    metadata = {"students": students, "org_id": snapshot.org_id, "enabled": enabled}
    if not enabled:
        return CheckOutcome(True, "not applicable: tenant disabled", metadata)
    if students == 0:
        return CheckOutcome(False, f"no enrolled students in org {snapshot.org_id} for this window — check org_id "
                                   "in tenants.yaml or the roster", metadata)
    return CheckOutcome(True, f"{students} enrolled students in org {snapshot.org_id}", metadata)


def has_activity(snapshot: Snapshot, enabled: bool) -> CheckOutcome:
    """An enabled tenant with enrolled students must show item presentations in the window (a tenant without
    students is `has_students`'s case)."""
    students, presentations = len(snapshot.students), len(snapshot.presentations)
    metadata = {"students": students, "presentations": presentations, "enabled": enabled}
    if not enabled or students == 0:
        reason = "tenant disabled" if not enabled else "no enrolled students"
        return CheckOutcome(True, f"not applicable: {reason}", metadata)
    if presentations == 0:
        return CheckOutcome(False, f"no activity: {students} enrolled students, 0 item presentations in the "
                                   "14-day window (is the source feed for this school stalled?)", metadata)
    return CheckOutcome(True, f"{presentations} presentations for {students} students", metadata)


def theta_in_range(snapshot: Snapshot, plausible: tuple[float, float]) -> CheckOutcome:
    """Fails when the snapshot had to quarantine θ estimates outside the plausible range (±inf included): the
    students' metrics were computed without them, which the school's data team should fix at the source.
    An estimate without a value is a counted gap (theta_not_finite), not an implausible value."""
    rejected = snapshot.rejected
    quarantined = rejected.loc[(rejected["table"] == "theta") & (rejected["reason"] == "out_of_range")]
    low, high = plausible
    metadata = {"estimates": len(snapshot.theta), "quarantined": len(quarantined),
                "example_estimate_ids": quarantined["row_key"].head(20).tolist(), "range": f"[{low:g}, {high:g}]"}
    if len(quarantined):
        return CheckOutcome(False, f"{len(quarantined)} θ estimate(s) outside [{low:g}, {high:g}] were "
                                   "quarantined (left out of the metrics); fix them in the source "
                                   f"(estimate ids {', '.join(metadata['example_estimate_ids'][:5])})", metadata)
    return CheckOutcome(True, f"all {len(snapshot.theta)} θ estimates within [{low:g}, {high:g}]", metadata)


def unique_attendance(snapshot: Snapshot) -> CheckOutcome:
    duplicated = snapshot.attendance.duplicated(["student_id", "school_date"], keep=False)
    n = int(snapshot.attendance.loc[duplicated, ["student_id", "school_date"]].drop_duplicates().shape[0])
    metadata = {"rows": len(snapshot.attendance), "duplicated_keys": n}
    if n:
        return CheckOutcome(False, f"{n} (student, school_date) pair(s) have more than one attendance row", metadata)
    return CheckOutcome(True, "one attendance row per student and day", metadata)
