"""Operating it: the weekly schedule's batched requests, and batched runs where one tenant fails."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetKey, DagsterInstance, build_schedule_context

from risk_assets.cli.materialize import run_batch
from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.graph import BATCH_JOB, build_definitions
from risk_assets.schedules.weekly import RANGE_END_TAG, RANGE_START_TAG
from risk_assets.settings import Settings
from risk_assets.window import ReportWindow
from risk_assets_tests.source_rows import SourceRows

KST = ZoneInfo("Asia/Seoul")
WEEK = dt.date(2026, 11, 16)


def config(tenants: list[dict]) -> AppConfig:
    return AppConfig(tenants=TenantsFile.model_validate({"first_week": dt.date(2026, 10, 5), "tenants": tenants}),
                     thresholds=Thresholds(), tenants_path=Path("t"), thresholds_path=Path("t"))


SCHOOLS = [
    {"key": "seoul", "org_id": 1, "name": "Seoul"},
    {"key": "nyc", "org_id": 2, "name": "NYC", "timezone": "America/New_York", "locale": "en"},
    {"key": "busan", "org_id": 3, "name": "Busan"},
    {"key": "off", "org_id": 4, "name": "Off", "enabled": False},
]


def tick(cfg: AppConfig, at: dt.datetime):
    defs = build_definitions(cfg, Settings.from_env())
    schedule = defs.resolve_schedule_def("weekly_risk")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * 1", "Asia/Seoul")
    with DagsterInstance.ephemeral() as instance:
        data = schedule.evaluate_tick(build_schedule_context(instance=instance, scheduled_execution_time=at))
    return data.run_requests or []


@pytest.mark.parametrize("minute", [0, -1])
def test_monday_tick_requests_the_week_that_just_ended_in_one_run_per_zone(minute):
    at = dt.datetime(2026, 11, 23, 6, 0, tzinfo=KST) + dt.timedelta(minutes=minute)
    requests = tick(config(SCHOOLS), at)
    assert [(r.tags["risk/week"], r.tags["risk/tenants"]) for r in requests] == [
        ("2026-11-09", "nyc"),  # New York's week of the 16th ends at Monday 14:00 KST: its newest complete week
        ("2026-11-16", "seoul,busan"),
    ]
    seoul = requests[1]
    assert (seoul.tags[RANGE_START_TAG], seoul.tags[RANGE_END_TAG]) == ("seoul|2026-11-16", "busan|2026-11-16")
    assert seoul.run_key == "2026-11-16|Asia/Seoul|busan,seoul"


def test_disabling_a_tenant_removes_it_from_the_schedule():
    schools = [dict(s, enabled=False) if s["key"] == "busan" else s for s in SCHOOLS]
    requests = tick(config(schools), dt.datetime(2026, 11, 23, 6, 0, tzinfo=KST))
    assert [r.tags["risk/tenants"] for r in requests] == ["nyc", "seoul"]


@pytest.fixture
def batch_env(source_conn, source_url, risk_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATABASE_URL", source_url)
    monkeypatch.setenv("RISK_DATABASE_URL", risk_url)
    for name in ("data", "reports", "outbox"):
        monkeypatch.setenv(f"RISK_{name.upper()}_DIR", str(tmp_path / name))
    rows = SourceRows(source_conn)
    for org in (701, 702):
        rows.organization(org, f"org {org}")
        item = rows.item()
        for week in (WEEK - dt.timedelta(days=14), WEEK - dt.timedelta(days=7), WEEK):
            cutoff = ReportWindow(week, "Asia/Seoul").cutoff
            for n in range(2):
                sid = rows.student(org, f"s{org}{n}{week}")
                rows.presentation(sid, item, cutoff - dt.timedelta(days=1))
                rows.theta(sid, cutoff - dt.timedelta(days=2), 0.0, 0.2)
    return tmp_path


def materialized(instance, asset: str) -> set[str]:
    return set(instance.get_materialized_partitions(AssetKey(asset)))


def test_one_failing_tenant_leaves_the_others_materialised(batch_env):
    cfg = config([{"key": "alpha", "org_id": 701, "name": "A"}, {"key": "ghost", "org_id": 799, "name": "G"},
                  {"key": "beta", "org_id": 702, "name": "B"}])
    defs = build_definitions(cfg, Settings.from_env())
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(BATCH_JOB).execute_in_process(
            instance=instance, raise_on_error=False,
            tags={RANGE_START_TAG: f"alpha|{WEEK}", RANGE_END_TAG: f"beta|{WEEK}"})
        assert not result.success
        [failure] = [e for e in result.all_events if e.is_step_failure]
        assert failure.step_key == "tenant_report"
        description = failure.step_failure_data.user_failure_data.description
        assert description == "failed tenants, left unmaterialised for a retry: ghost (2026-11-16)"
        for asset in ("snapshot", "metrics", "tenant_summary", "tenant_report"):
            assert materialized(instance, asset) == {f"alpha|{WEEK}", f"beta|{WEEK}"}, asset
    assert (batch_env / "reports" / WEEK.isoformat() / "beta_report.html").exists()
    assert not (batch_env / "reports" / WEEK.isoformat() / "ghost_report.html").exists()


def test_backfill_of_three_weeks_of_one_tenant(batch_env):
    cfg = config([{"key": "alpha", "org_id": 701, "name": "A"}, {"key": "beta", "org_id": 702, "name": "B"}])
    defs = build_definitions(cfg, Settings.from_env())
    weeks = [WEEK - dt.timedelta(days=14), WEEK - dt.timedelta(days=7), WEEK]
    with DagsterInstance.ephemeral() as instance:
        success, run_id, error = run_batch(defs, instance, weeks, "alpha")
        assert success, error
        expected = {f"alpha|{w}" for w in weeks}
        for asset in ("snapshot", "metrics", "tenant_summary", "tenant_report"):
            assert materialized(instance, asset) == expected, asset
        assert len(instance.get_runs()) == 1
    newest = json.loads((batch_env / "reports" / WEEK.isoformat() / "alpha_summary.json").read_text(encoding="utf-8"))
    assert newest["week_over_week"]["available"] and newest["week_over_week"]["persistent_available"]
