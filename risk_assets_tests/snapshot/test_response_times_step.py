"""The weekly step reads the 90-day response times only while ENGAGEMENT is on (docs/snapshot.md, Storage): off,
the snapshot has no item_times and the metrics no engagement status; on, both; turned on over a snapshot taken
while it was off, the metrics of that partition fail with the message that says what to do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from dagster import AssetKey, DagsterInstance

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.definitions import definitions_for
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.partitions import partition_key
from risk_assets.project import Project
from risk_assets.resource_types import Storage
from risk_assets.settings import Settings
from risk_assets.window import ReportWindow
from risk_assets_tests.product_env import point_product_at
from risk_assets_tests.source_rows import SourceRows
from risk_assets_tests.tenant_partitions import with_tenants

WEEK = dt.date(2026, 11, 16)
TENANTS = TenantsFile.model_validate({"first_week": dt.date(2026, 10, 5),
                                      "tenants": [{"key": "gamma", "org_id": 701, "name": "감마중학교"}]})
ENGAGEMENT_ON = Thresholds.from_mapping({"engagement": {"enabled": True}})


def run_weekly(instance: DagsterInstance, thresholds: Thresholds, assets: list[str] | None = None):
    config = AppConfig(tenants=TENANTS, thresholds=thresholds, tenants_path=Path("t"), thresholds_path=Path("t"))
    job = definitions_for(Project(config, Settings.from_env())).resolve_job_def(WEEKLY_JOB)
    return job.execute_in_process(partition_key=partition_key(WEEK, "gamma"), instance=with_tenants(instance, "gamma"),
                                  asset_selection=[AssetKey(a) for a in assets] if assets else None,
                                  raise_on_error=False)


def test_response_times_are_read_only_while_engagement_is_on(source_conn, source_url, risk_url, tmp_path,
                                                             monkeypatch):
    point_product_at(monkeypatch, source_url, risk_url, tmp_path)
    rows = SourceRows(source_conn)
    rows.organization(701, "감마중학교")
    cutoff = ReportWindow(WEEK, "Asia/Seoul").cutoff
    item = rows.item()
    for n in range(2):
        sid = rows.student(701, f"학생 {n}")
        rows.presentation(sid, item, cutoff - dt.timedelta(days=1), response_time_ms=4000)
        rows.theta(sid, cutoff - dt.timedelta(days=2), 0.1, 0.2)
    storage = Storage.from_settings(Settings.from_env())
    snapshot = storage.snapshots().folder(WEEK, "gamma")

    with DagsterInstance.ephemeral() as instance:
        assert run_weekly(instance, Thresholds()).success
        assert not (snapshot / "item_times.parquet").exists()
        assert pd.read_parquet(storage.metrics_file(WEEK, "gamma"))["engagement_status"].isna().all()

        metrics_alone = run_weekly(instance, ENGAGEMENT_ON, ["metrics"])
        assert not metrics_alone.success
        failure = str(metrics_alone.failure_data_for_node("weekly_risk"))
        assert "this snapshot holds no per-item response times (it was taken while the domain was off" in failure
        assert "materialise `snapshot` again for this partition" in failure

        assert run_weekly(instance, ENGAGEMENT_ON).success
        item_times = pd.read_parquet(snapshot / "item_times.parquet")
        assert item_times.to_dict("records") == [{"item_id": item, "n_timed": 2, "sum_response_time_ms": 8000}]
        assert pd.read_parquet(storage.metrics_file(WEEK, "gamma"))["engagement_status"].notna().all()
