"""Asset checks, partitioned like their assets: data quality of `snapshot` and coverage of `metrics`.

Every run covers one partition, so every check is evaluated for every partition on every path (UI, backfill,
schedule, CLI). `has_students` and `has_activity` are blocking: the metrics, summary, report — and so the
delivery — of a school without students or with a stalled feed are held for that partition alone. Each rule is
one plain function (the snapshot's in `risk_assets.snapshot.checks`).
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from risk_assets.partitions import week_and_tenant
from risk_assets.project import Project, current_project
from risk_assets.resources import Storage
from risk_assets.snapshot import checks
from risk_assets.snapshot.checks import CheckOutcome
from risk_assets.snapshot.model import Snapshot
from risk_assets.vocabulary import LEVEL_INSUFFICIENT

MAX_INSUFFICIENT_SHARE = 0.5


def _result(outcome: CheckOutcome, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=outcome.passed, severity=severity, description=outcome.description,
                               metadata=outcome.metadata)


def _snapshot_check(project: Project, name: str, description: str, blocking: bool,
                    rule: Callable[[Snapshot, bool], CheckOutcome]) -> dg.AssetChecksDefinition:
    tenants = project.config.tenants

    @dg.asset_check(asset="snapshot", name=name, description=description, blocking=blocking,
                    partitions_def=project.partitions)
    def _check(context: dg.AssetCheckExecutionContext, storage: Storage) -> dg.AssetCheckResult:
        week, tenant = week_and_tenant(context)
        return _result(rule(storage.snapshots().read(week, tenant), tenants.get(tenant).enabled))

    return _check


def insufficient_share(levels: pd.Series) -> CheckOutcome:
    share = float((levels == LEVEL_INSUFFICIENT).mean()) if len(levels) else 0.0
    return CheckOutcome(share <= MAX_INSUFFICIENT_SHARE, f"{share:.1%} of {len(levels)} students have "
                        f"{LEVEL_INSUFFICIENT}", {"share": share, "students": len(levels)})


def build_checks(project: Project) -> list[dg.AssetChecksDefinition]:
    low, high = project.config.tenants.data_quality.theta_range
    @dg.asset_check(
        asset="metrics",
        name="insufficient_data_share",
        description=f"At most {MAX_INSUFFICIENT_SHARE:.0%} of students are {LEVEL_INSUFFICIENT} (a warning).",
        partitions_def=project.partitions,
    )
    def insufficient_data_share(context: dg.AssetCheckExecutionContext, storage: Storage) -> dg.AssetCheckResult:
        week, tenant = week_and_tenant(context)
        levels = pd.read_parquet(storage.metrics_file(week, tenant), columns=["level"])["level"]
        return _result(insufficient_share(levels), dg.AssetCheckSeverity.WARN)

    return [
        _snapshot_check(project, "has_students", "An enabled tenant's organisation has enrolled students in the "
                        "week. Blocking: without students (a wrong org_id in tenants.yaml, a roster that stopped) "
                        "the partition's metrics, summary, report and delivery are held.", True, checks.has_students),
        _snapshot_check(project, "has_activity", "An enabled tenant with enrolled students has item presentations "
                        "in the window. Blocking: without activity the partition's metrics, summary, report and "
                        "delivery are held.", True, checks.has_activity),
        _snapshot_check(project, "theta_in_range", f"θ estimates are finite and within [{low:g}, {high:g}] "
                        "(tenants.yaml data_quality); others are quarantined and this check fails (ERROR).", False,
                        lambda snap, _enabled: checks.theta_in_range(snap, (low, high))),
        _snapshot_check(project, "unique_attendance", "No duplicate (student, school_date) attendance rows.", False,
                        lambda snap, _enabled: checks.unique_attendance(snap)),
        insufficient_data_share,
    ]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=build_checks(current_project()))
