"""Asset `snapshot`: the tenant's source rows for one report week, stored as Parquet (a stage of `weekly_risk`)."""

import datetime as dt
from pathlib import Path

import dagster as dg

from risk_assets.defs.weekly.asset_conventions import COLUMN_SCHEMA, ROW_COUNT, code_version, column_schema, weekly_spec
from risk_assets.project import Project
from risk_assets.resource_types import Storage
from risk_assets.snapshot import Snapshot
from risk_assets.snapshot.build import SnapshotReader
from risk_assets.snapshot.schema import SNAPSHOT_TABLES
from risk_assets.window import ReportWindow


def snapshot_metadata(snapshot: Snapshot, folder: Path) -> dict[str, object]:
    metadata: dict[str, object] = {
        "tenant": snapshot.tenant,
        "organization": f"{snapshot.org_name} (org_id {snapshot.org_id})",
        "folder": dg.MetadataValue.path(str(folder)),
        **{f"rows/{name}": count for name, count in snapshot.row_counts().items()},
        **{f"window/{name}": text for name, text in snapshot.window.describe().items()},
        "data_quality": dg.MetadataValue.json(dict(sorted(snapshot.quality.items()))),
        "rejected_rows": len(snapshot.rejected),
        ROW_COUNT: snapshot.row_counts()["students"],  # the catalog's row count: the students counted
    }
    if snapshot.is_empty:
        metadata["note"] = (f"no students of org {snapshot.org_id} enrolled in this week: empty snapshot (the "
                            "blocking check has_students fails for an enabled tenant)")
    elif not snapshot.has_activity:
        metadata["note"] = "no item presentations in the 14-day window: no activity"
    return metadata


def snapshot_spec(project: Project) -> dg.AssetSpec:
    return weekly_spec(
        "snapshot",
        kinds={"postgres", "parquet"},
        code_version=code_version(files=project.settings.sql_dir.glob("snapshot_*.sql")),
        metadata={
            **{f"schema/{t.name}": dg.MetadataValue.md(t.dagster_type.description or "") for t in SNAPSHOT_TABLES},
            # Every table's columns as `<table>.<column>`, so that the catalog shows the whole snapshot.
            COLUMN_SCHEMA: column_schema((f"{t.name}.{c.name}", c.kind, t.description, c.nullable)
                                         for t in SNAPSHOT_TABLES for c in t.columns),
        },
        description=(
            "The tenant's source rows for the report week: counted students, item presentations in "
            "[C − 14 d, C) with IRT parameters, θ estimates, school days and attendance in [C − 28 d, C), "
            "where C is Monday 00:00 after the week in the tenant's time zone. Dirty rows are quarantined "
            "and counted. Stored as Parquet in `.data/snapshots/week=…/tenant=…/`."
        ),
    )


def take(project: Project, source: SnapshotReader, storage: Storage, week: dt.date,
         tenant_key: str) -> tuple[Snapshot, dict[str, object]]:
    """The partition's snapshot, read from the source and stored; with its materialisation metadata."""
    tenants = project.config.tenants
    tenant = tenants.get(tenant_key)
    # The per-item response times only when the ENGAGEMENT domain will use them (turning it on later asks for the
    # snapshot to be materialised again: docs/metrics.md, ENGAGEMENT).
    taken = source.snapshot(tenant, ReportWindow(week, tenant.timezone), tenants.data_quality,
                            response_times=project.config.thresholds.engagement.enabled)
    folder = storage.snapshots().write(taken)
    return taken, snapshot_metadata(taken, folder)
