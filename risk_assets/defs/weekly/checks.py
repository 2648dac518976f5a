"""Asset checks, partitioned like their assets: data quality of `snapshot` and coverage of `metrics`.

They are check specs of the one `weekly_risk` step (`pipeline.py`), evaluated for each partition of the step's
run and recorded with that partition, on every path (UI, backfill, schedule, CLI). `has_students` and
`has_activity` are blocking: the metrics, summary, report — and so the delivery — of a school without students or
with a stalled feed are held for that partition alone (docs/orchestration.md). Each rule is one plain function
(the snapshot's in `risk_assets.snapshot.check_rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd

from risk_assets.project import Project
from risk_assets.snapshot import check_rules as rules
from risk_assets.snapshot.check_rules import CheckOutcome
from risk_assets.vocabulary import LEVEL_INSUFFICIENT

MAX_INSUFFICIENT_SHARE = 0.5


@dataclass(frozen=True)
class WeeklyCheck:
    """One check: the asset it checks, its rule on that asset's value (a Snapshot, or the metrics frame) and the
    tenant's `enabled` flag, and whether its failure holds the partition's downstream."""

    asset: str
    name: str
    description: str
    rule: Callable[[Any, bool], CheckOutcome]
    blocking: bool = False
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR

    @property
    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey(self.asset), self.name)

    def spec(self, partitions: dg.PartitionsDefinition) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.asset, description=self.description, blocking=self.blocking,
                                 partitions_def=partitions)

    def evaluation(self, outcome: CheckOutcome, partition: str) -> dg.AssetCheckEvaluation:
        return dg.AssetCheckEvaluation(asset_key=dg.AssetKey(self.asset), check_name=self.name,
                                       passed=outcome.passed, severity=self.severity, description=outcome.description,
                                       metadata=outcome.metadata, blocking=self.blocking, partition=partition)

    def holds(self, outcome: CheckOutcome) -> bool:
        return self.blocking and not outcome.passed


def insufficient_share(levels: pd.Series) -> CheckOutcome:
    share = float((levels == LEVEL_INSUFFICIENT).mean()) if len(levels) else 0.0
    return CheckOutcome(share <= MAX_INSUFFICIENT_SHARE, f"{share:.1%} of {len(levels)} students have "
                        f"{LEVEL_INSUFFICIENT}", {"share": share, "students": len(levels)})


def weekly_checks(project: Project) -> list[WeeklyCheck]:
    low, high = project.config.tenants.data_quality.theta_range
    return [
        WeeklyCheck("snapshot", "has_students", "An enabled tenant's organisation has enrolled students in the "
                    "week. Blocking: without students (a wrong org_id in tenants.yaml, a roster that stopped) the "
                    "partition's metrics, summary, report and delivery are held.", rules.has_students, blocking=True),
        WeeklyCheck("snapshot", "has_activity", "An enabled tenant with enrolled students has item presentations in "
                    "the window. Blocking: without activity the partition's metrics, summary, report and delivery "
                    "are held.", rules.has_activity, blocking=True),
        WeeklyCheck("snapshot", "theta_in_range", f"θ estimates are finite and within [{low:g}, {high:g}] "
                    "(tenants.yaml data_quality); others are quarantined and this check fails (ERROR).",
                    lambda snap, _enabled: rules.theta_in_range(snap, (low, high))),
        WeeklyCheck("snapshot", "unique_attendance", "No duplicate (student, school_date) attendance rows.",
                    lambda snap, _enabled: rules.unique_attendance(snap)),
        WeeklyCheck("metrics", "insufficient_data_share", f"At most {MAX_INSUFFICIENT_SHARE:.0%} of students are "
                    f"{LEVEL_INSUFFICIENT} (a warning).", lambda frame, _enabled: insufficient_share(frame["level"]),
                    severity=dg.AssetCheckSeverity.WARN),
    ]
