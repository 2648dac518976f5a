"""A tenant's reports made and delivered through the real job and sensor: two schools' tenants.yaml, their
definitions, the weekly job run for one partition, the report_delivery sensor's run requests, the delivery job, and
the ledger it leaves (the delivery tests and the fault batteries share them; `env` in conftest.py is the source)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg2
from dagster import build_sensor_context

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.definitions import definitions_for
from risk_assets.defs.delivery.job import DELIVERY_JOB, run_config
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.partitions import partition_key
from risk_assets.project import Project
from risk_assets.settings import Settings
from risk_assets_tests.delivery.conftest import WEEK
from risk_assets_tests.tenant_partitions import with_tenants


def tenants(webhook_env: str | None = None) -> TenantsFile:
    slack = {"webhook_env": webhook_env} if webhook_env else {}
    return TenantsFile.model_validate({
        "first_week": dt.date(2026, 10, 5),
        "tenants": [
            {"key": "alpha", "org_id": 601, "name": "알파중학교",
             "delivery": {"email": {"to": ["head@alpha.example.kr"]}, "slack": slack}},
            {"key": "beta", "org_id": 602, "name": "Beta School", "locale": "en",
             "delivery": {"email": {"to": ["office@beta.example.org"], "bcc": ["audit@beta.example.org"]}}},
        ],
    })


def definitions(config_tenants: TenantsFile):
    config = AppConfig(tenants=config_tenants, thresholds=Thresholds(), tenants_path=Path("t"),
                       thresholds_path=Path("t"))
    return definitions_for(Project(config, Settings.from_env()))


def materialize_partition(defs, instance, tenant: str, job_name: str = WEEKLY_JOB):
    """The weekly job for the tenant's partition of WEEK; it must succeed."""
    result = defs.resolve_job_def(job_name).execute_in_process(
        partition_key=partition_key(WEEK, tenant), instance=with_tenants(instance, tenant), raise_on_error=False)
    assert result.success, result
    return result


def ledger(risk_url: str) -> list[tuple]:
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tenant, channel, generation, status, destination, attempts FROM risk.deliveries"
                    " ORDER BY tenant, channel, generation, id")
        return cur.fetchall()


def run_requests(defs, instance, cursor):
    """One tick of the report_delivery sensor: its run requests, its new cursor and its skip message."""
    sensor = defs.resolve_sensor_def("report_delivery")
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    result = sensor.evaluate_tick(context)
    return result.run_requests or [], result.cursor, result.skip_message


def reports_of(request) -> list[str]:
    return request.run_config["ops"]["deliver_reports"]["config"]["reports"]


def deliver(defs, instance, request, **kwargs):
    return defs.resolve_job_def(DELIVERY_JOB).execute_in_process(
        run_config=request.run_config, instance=instance, tags=request.tags, **kwargs)


def deliver_alpha(defs, instance):
    return defs.resolve_job_def(DELIVERY_JOB).execute_in_process(
        run_config=run_config([str(partition_key(WEEK, "alpha"))]), instance=instance, raise_on_error=False)
