"""Asset `snapshot`: the tenant's source rows for one report week, stored as Parquet."""

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    MetadataValue,
    MultiPartitionsDefinition,
    RetryPolicy,
    asset,
)

from risk_assets.assets.batching import for_each_partition
from risk_assets.config import AppConfig
from risk_assets.resources import SourceDatabase, Storage
from risk_assets.snapshot import Snapshot, take_snapshot
from risk_assets.snapshot.schema import SNAPSHOT_TABLES
from risk_assets.window import ReportWindow

SOURCE_RETRY = RetryPolicy(max_retries=3, delay=1.0, backoff=Backoff.EXPONENTIAL)
SOURCE_POOL = "source_db"  # concurrency pool: limits simultaneous queries against the platform's database


def snapshot_metadata(snapshot: Snapshot, folder: Path) -> dict[str, object]:
    metadata: dict[str, object] = {
        "tenant": snapshot.tenant,
        "organization": f"{snapshot.org_name} (org_id {snapshot.org_id})",
        "folder": MetadataValue.path(str(folder)),
        **{f"rows/{name}": count for name, count in snapshot.row_counts().items()},
        **{f"window/{name}": text for name, text in snapshot.window.describe().items()},
        "data_quality": MetadataValue.json(dict(sorted(snapshot.quality.items()))),
        "rejected_rows": len(snapshot.rejected),
    }
    if snapshot.is_empty:
        metadata["note"] = "no students enrolled in this week: empty snapshot"
    elif not snapshot.has_activity:
        metadata["note"] = "no item presentations in the 14-day window: no activity"
    return metadata


def build_snapshot_asset(config: AppConfig, partitions: MultiPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="snapshot",
        partitions_def=partitions,
        retry_policy=SOURCE_RETRY,
        pool=SOURCE_POOL,
        backfill_policy=BackfillPolicy.single_run(),
        group_name="weekly_risk",
        kinds={"postgres", "parquet"},
        metadata={f"schema/{t.name}": MetadataValue.md(t.dagster_type.description or "") for t in SNAPSHOT_TABLES},
        description=(
            "The tenant's source rows for the report week: counted students, item presentations in "
            "[C-14d, C) with IRT parameters, θ estimates, school days and attendance in [C-28d, C). "
            "Dirty rows are quarantined and counted."
        ),
    )
    def snapshot(context: AssetExecutionContext, source: SourceDatabase, storage: Storage):
        def take(week, tenant_key) -> dict:
            tenant = config.tenants.get(tenant_key)
            with source.connect() as conn:
                taken = take_snapshot(conn, storage.sql_path, tenant, ReportWindow(week, tenant.timezone))
            folder = storage.snapshots().write(taken)
            context.log.info("snapshot %s week %s: %s", tenant_key, week,
                             ", ".join(f"{n} {t}" for t, n in taken.row_counts().items()))
            return snapshot_metadata(taken, folder)

        yield from for_each_partition(context, take)

    return snapshot
