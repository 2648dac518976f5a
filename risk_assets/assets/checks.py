"""Asset checks, partitioned like their assets: data quality of `snapshot` and coverage of `metrics`."""

from collections.abc import Callable

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MultiPartitionsDefinition,
    asset_check,
)

from risk_assets.config import AppConfig
from risk_assets.partitions import split_partition_key
from risk_assets.resources import Storage
from risk_assets.snapshot import checks
from risk_assets.snapshot.checks import CheckOutcome
from risk_assets.snapshot.model import Snapshot

MAX_INSUFFICIENT_SHARE = 0.5


def _result(outcome: CheckOutcome, severity: AssetCheckSeverity = AssetCheckSeverity.ERROR) -> AssetCheckResult:
    return AssetCheckResult(passed=outcome.passed, severity=severity, description=outcome.description,
                            metadata=outcome.metadata)


def _snapshot_check(name: str, description: str, partitions: MultiPartitionsDefinition, blocking: bool,
                    rule: Callable[[Snapshot, str], CheckOutcome]) -> AssetChecksDefinition:
    @asset_check(asset="snapshot", name=name, description=description, blocking=blocking,
                        partitions_def=partitions)
    def _check(context: AssetCheckExecutionContext, storage: Storage) -> AssetCheckResult:
        week, tenant = split_partition_key(context.partition_key)
        return _result(rule(storage.snapshots().read(week, tenant), tenant))

    return _check


def build_checks(config: AppConfig, partitions: MultiPartitionsDefinition) -> list[AssetChecksDefinition]:
    @asset_check(
        asset="metrics",
        name="insufficient_data_share",
        description=f"At most {MAX_INSUFFICIENT_SHARE:.0%} of students are INSUFFICIENT_DATA (warning).",
        partitions_def=partitions,
    )
    def insufficient_data_share(context: AssetCheckExecutionContext, storage: Storage) -> AssetCheckResult:
        week, tenant = split_partition_key(context.partition_key)
        levels = pd.read_parquet(storage.metrics_file(week, tenant), columns=["level"])["level"]
        share = float((levels == "INSUFFICIENT_DATA").mean()) if len(levels) else 0.0
        return AssetCheckResult(
            passed=share <= MAX_INSUFFICIENT_SHARE,
            severity=AssetCheckSeverity.WARN,
            description=f"{share:.1%} of {len(levels)} students have INSUFFICIENT_DATA",
            metadata={"share": share, "students": len(levels)},
        )

    return [
        _snapshot_check(
            "has_activity",
            "An enabled tenant with enrolled students has item presentations in the window (blocks delivery).",
            partitions, True, lambda snap, tenant: checks.has_activity(snap, config.tenants.get(tenant).enabled),
        ),
        _snapshot_check("theta_in_range", "θ estimates are finite and within [-6, 6].", partitions, False,
                        lambda snap, _tenant: checks.theta_in_range(snap)),
        _snapshot_check("unique_attendance", "No duplicate (student, school_date) attendance rows.", partitions,
                        False, lambda snap, _tenant: checks.unique_attendance(snap)),
        insufficient_data_share,
    ]
