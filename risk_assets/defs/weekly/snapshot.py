"""Asset `snapshot`: the tenant's source rows for one report week, stored as Parquet."""

from pathlib import Path

import dagster as dg

from risk_assets.defs.weekly.asset_conventions import code_version, weekly_asset
from risk_assets.failures import reported_to_dagster
from risk_assets.partitions import week_and_tenant
from risk_assets.project import Project, current_project
from risk_assets.resources import SourceDatabase, Storage
from risk_assets.snapshot import Snapshot, take_snapshot
from risk_assets.snapshot.schema import SNAPSHOT_TABLES
from risk_assets.window import ReportWindow

SOURCE_RETRY = dg.RetryPolicy(max_retries=3, delay=1.0, backoff=dg.Backoff.EXPONENTIAL)
SOURCE_POOL = "source_db"  # concurrency pool: limits simultaneous queries against the platform's database


def snapshot_metadata(snapshot: Snapshot, folder: Path) -> dict[str, object]:
    metadata: dict[str, object] = {
        "tenant": snapshot.tenant,
        "organization": f"{snapshot.org_name} (org_id {snapshot.org_id})",
        "folder": dg.MetadataValue.path(str(folder)),
        **{f"rows/{name}": count for name, count in snapshot.row_counts().items()},
        **{f"window/{name}": text for name, text in snapshot.window.describe().items()},
        "data_quality": dg.MetadataValue.json(dict(sorted(snapshot.quality.items()))),
        "rejected_rows": len(snapshot.rejected),
    }
    if snapshot.is_empty:
        metadata["note"] = (f"no students of org {snapshot.org_id} enrolled in this week: empty snapshot (the "
                            "blocking check has_students fails for an enabled tenant)")
    elif not snapshot.has_activity:
        metadata["note"] = "no item presentations in the 14-day window: no activity"
    return metadata


def build_snapshot_asset(project: Project) -> dg.AssetsDefinition:
    tenants = project.config.tenants

    @weekly_asset(
        project.partitions,
        "snapshot",
        retry_policy=SOURCE_RETRY,
        pool=SOURCE_POOL,
        kinds={"postgres", "parquet"},
        code_version=code_version(files=project.settings.sql_dir.glob("snapshot_*.sql")),
        metadata={f"schema/{t.name}": dg.MetadataValue.md(t.dagster_type.description or "") for t in SNAPSHOT_TABLES},
        description=(
            "The tenant's source rows for the report week: counted students, item presentations in "
            "[C − 14 d, C) with IRT parameters, θ estimates, school days and attendance in [C − 28 d, C), "
            "where C is Monday 00:00 after the week in the tenant's time zone. Dirty rows are quarantined "
            "and counted. Stored as Parquet in `.data/snapshots/week=…/tenant=…/`."
        ),
    )
    def snapshot(context: dg.AssetExecutionContext, source: SourceDatabase, storage: Storage) -> dg.MaterializeResult:
        week, tenant_key = week_and_tenant(context)
        tenant = tenants.get(tenant_key)
        with reported_to_dagster():
            taken = take_snapshot(source.url, storage.sql_path, tenant, ReportWindow(week, tenant.timezone),
                                  tenants.data_quality)
            folder = storage.snapshots().write(taken)
        context.log.info("snapshot %s week %s: %s", tenant_key, week,
                         ", ".join(f"{n} {t}" for t, n in taken.row_counts().items()))
        return dg.MaterializeResult(metadata=snapshot_metadata(taken, folder))

    return snapshot


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_snapshot_asset(current_project())])
