"""The weekly job of a few test tenants, run in process on the test's source: what its checks recorded, what it
materialised, and where its files went."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import DagsterInstance, Definitions

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.definitions import definitions_for
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.partitions import partition_key
from risk_assets.project import Project
from risk_assets.settings import Settings
from risk_assets_tests.product_env import point_product_at
from risk_assets_tests.tenant_partitions import with_tenants

WEEK = dt.date(2026, 11, 16)


def weekly_definitions(tenants: list[dict], monkeypatch, source_url: str, risk_url: str, folder: Path) -> Definitions:
    """The product's definitions for these tenants, writing under `folder` (data, reports, outbox)."""
    point_product_at(monkeypatch, source_url, risk_url, folder)
    config = AppConfig(tenants=TenantsFile.model_validate({"first_week": dt.date(2026, 10, 5), "tenants": tenants}),
                       thresholds=Thresholds(), tenants_path=Path("t"), thresholds_path=Path("t"))
    return definitions_for(Project(config, Settings.from_env()))


def run_week(defs: Definitions, instance: DagsterInstance, tenant: str):
    return defs.resolve_job_def(WEEKLY_JOB).execute_in_process(
        partition_key=partition_key(WEEK, tenant), instance=with_tenants(instance, tenant), raise_on_error=False)


def evaluations(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def materializations(result) -> dict:
    return {e.asset_key.path[-1]: e.materialization for e in result.get_asset_materialization_events()}
