"""The `snapshot` asset through Dagster: metadata, empty tenants, and an unreachable source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import AssetSelection, DagsterInstance, PipesSubprocessClient, materialize

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.defs.weekly.pipeline import build_weekly_risk
from risk_assets.partitions import partition_key
from risk_assets.project import Project
from risk_assets.resource_types import MetricThresholds, RiskDatabase, SourceDatabase, Storage
from risk_assets.settings import PROJECT_DIR, Settings
from risk_assets.window import ReportWindow
from risk_assets_tests.source_rows import SourceRows
from risk_assets_tests.tenant_partitions import with_tenants

WEEK = dt.date(2026, 11, 16)
TENANTS = TenantsFile.model_validate({
    "first_week": dt.date(2026, 10, 5),
    "tenants": [
        {"key": "seoul", "org_id": 101, "name": "서울", "timezone": "Asia/Seoul"},
        {"key": "nyc", "org_id": 201, "name": "NYC", "timezone": "America/New_York", "locale": "en"},
    ],
})
CONFIG = AppConfig(tenants=TENANTS, thresholds=Thresholds(), tenants_path=Path("tenants.yaml"),
                   thresholds_path=Path("thresholds.yaml"))
ASSET = build_weekly_risk(Project(CONFIG, Settings.from_env()))


def run_snapshot(source_url: str, tmp_path: Path, tenant: str):
    return materialize(
        [ASSET],
        selection=AssetSelection.assets("snapshot").without_checks(),
        partition_key=partition_key(WEEK, tenant),
        resources={
            "source": SourceDatabase(url=source_url),
            "risk_db": RiskDatabase(url="postgresql+psycopg2://unused/not-connected-by-a-snapshot"),
            "thresholds": MetricThresholds.of(Thresholds(), Path("thresholds.yaml")),
            "pipes_subprocess_client": PipesSubprocessClient(),
            "storage": Storage(data_dir=str(tmp_path), sql_dir=str(PROJECT_DIR / "sql"),
                               reports_dir=str(tmp_path / "reports"), outbox_dir=str(tmp_path / "outbox")),
        },
        instance=with_tenants(DagsterInstance.ephemeral(), tenant),
        raise_on_error=False,
    )


def materialization_metadata(result) -> dict:
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_materialization_reports_rows_window_and_quality(source_conn, source_url, tmp_path):
    rows = SourceRows(source_conn)
    rows.organization(201, "Bridge Academy")
    sid = rows.student(201, "Ada Lovelace", class_name="Grade 8 - C")
    cutoff = ReportWindow(WEEK, "America/New_York").cutoff
    rows.presentation(sid, rows.item(), cutoff - dt.timedelta(days=1), "correct")
    rows.presentation(sid, rows.item(), cutoff - dt.timedelta(days=1, seconds=-30), "bogus")

    result = run_snapshot(source_url, tmp_path, "nyc")

    assert result.success
    metadata = materialization_metadata(result)
    assert metadata["rows/students"] == metadata["dagster/row_count"] == 1
    assert metadata["rows/presentations"] == 1
    assert metadata["rejected_rows"] == 1
    assert metadata["data_quality"]["presentations_unknown_outcome"] == 1
    assert metadata["window/cutoff"] == "2026-11-23T00:00:00-05:00 (2026-11-23T05:00:00Z)"
    assert metadata["window/timezone"] == "America/New_York"
    assert metadata["folder"] == str(tmp_path / "snapshots" / "week=2026-11-16" / "tenant=nyc")
    assert "note" not in metadata
    assert (tmp_path / "snapshots" / "week=2026-11-16" / "tenant=nyc" / "presentations.parquet").exists()


def test_tenant_without_activity_is_an_empty_snapshot_with_a_note(source_conn, source_url, tmp_path):
    rows = SourceRows(source_conn)
    rows.organization(101, "서울")
    rows.student(101, "홍길동")

    result = run_snapshot(source_url, tmp_path, "seoul")

    assert result.success
    metadata = materialization_metadata(result)
    assert metadata["rows/presentations"] == 0
    assert metadata["note"] == "no item presentations in the 14-day window: no activity"


def test_unreachable_source_fails_after_retries_naming_host_not_password(tmp_path):
    url = "postgresql://alice:s3cret-pw@127.0.0.1:1/platform"

    result = run_snapshot(url, tmp_path, "seoul")

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert (f"- seoul|{WEEK}: cannot connect to the source database (host 127.0.0.1, port 1, database platform, "
            "user alice)") in description
    assert "(tried 4 times)" in description  # the first try + 3 retries, inside the step: a batch retries that school
    everything = " ".join(str(e) for e in result.all_events)
    assert "s3cret-pw" not in everything


def test_unknown_org_fails_without_retrying(source_url, tmp_path):
    result = run_snapshot(source_url, tmp_path, "seoul")
    assert not result.success
    assert not [e for e in result.all_events if e.event_type_value == "STEP_RESTARTED"]
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "tenant 'seoul' has org_id 101, which is not in the source's organizations table" in (
        failure.step_failure_data.user_failure_data.description
    )
