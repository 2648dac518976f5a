"""The weekly job through Dagster on a real source: snapshot → checks → metrics, with metadata."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.definitions import definitions_for
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.metrics import STUDENT_COLUMNS
from risk_assets.partitions import partition_key
from risk_assets.project import Project
from risk_assets.settings import Settings
from risk_assets.window import ReportWindow
from risk_assets_tests.source_rows import SourceRows
from risk_assets_tests.tenant_partitions import with_tenants

WEEK = dt.date(2026, 11, 16)
TENANTS = TenantsFile.model_validate({
    "first_week": dt.date(2026, 10, 5),
    "tenants": [
        {"key": "active", "org_id": 301, "name": "Active School"},
        {"key": "stalled", "org_id": 302, "name": "Stalled School"},
    ],
})
CONFIG = AppConfig(tenants=TENANTS, thresholds=Thresholds(), tenants_path=Path("t"), thresholds_path=Path("t"))
C = ReportWindow(WEEK, "Asia/Seoul").cutoff


@pytest.fixture
def job(source_url, risk_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATABASE_URL", source_url)
    monkeypatch.setenv("RISK_DATABASE_URL", risk_url)
    monkeypatch.setenv("RISK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RISK_REPORTS_DIR", str(tmp_path / "reports"))
    return definitions_for(Project(CONFIG, Settings.from_env())).resolve_job_def(WEEKLY_JOB)


def run(job, tenant: str):
    return job.execute_in_process(partition_key=partition_key(WEEK, tenant),
                                  instance=with_tenants(DagsterInstance.ephemeral(), tenant), raise_on_error=False)


def test_metrics_materialization_writes_the_csv_and_reports_counts(job, source_conn, tmp_path):
    rows = SourceRows(source_conn)
    rows.organization(301, "Active School")
    dropping, steady = rows.student(301, "김하나"), rows.student(301, "이둘")
    item = rows.item()
    for sid in (dropping, steady):
        rows.presentation(sid, item, C - dt.timedelta(days=2))
        rows.theta(sid, C - dt.timedelta(days=9), 0.5, 0.2)
    rows.theta(dropping, C - dt.timedelta(days=2), 0.0, 0.2)
    rows.theta(steady, C - dt.timedelta(days=2), 0.5, 0.2)

    result = run(job, "active")

    assert result.success
    [metrics] = [e.materialization for e in result.get_asset_materialization_events()
                 if e.asset_key.path[-1] == "metrics"]
    metadata = {k: v.value for k, v in metrics.metadata.items()}
    assert metadata["students"] == metadata["dagster/row_count"] == 2
    assert ((metadata["level/CRIT"], metadata["level/WARN"], metadata["level/OK"], metadata["level/OK_PARTIAL"])
            == (1, 0, 0, 1))
    assert (metadata["theta/CRIT"], metadata["theta/OK"], metadata["omit/INSUFFICIENT"]) == (1, 1, 2)
    assert metadata["profile"] == "legacy" and metadata["engine"] == "python" and metadata["spec_version"] == "v1"
    assert f"| {dropping} | CRIT | THETA_DROP_7D_CRIT |" in metadata["top_flagged"]
    assert "김하나" not in metadata["top_flagged"]
    csv = pd.read_csv(tmp_path / "reports" / "2026-11-16" / "active_students.csv")
    assert list(csv.columns) == STUDENT_COLUMNS
    assert csv["student_id"].tolist() == [dropping, steady]
    assert csv["level"].tolist() == ["CRIT", "OK"]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"has_students": True, "has_activity": True, "theta_in_range": True, "unique_attendance": True,
                      "insufficient_data_share": True}


def test_blocking_activity_check_stops_metrics_for_a_stalled_tenant(job, source_conn, tmp_path):
    rows = SourceRows(source_conn)
    rows.organization(302, "Stalled School")
    rows.student(302, "박셋")

    result = run(job, "stalled")

    assert not result.success
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "has_activity"]
    assert not evaluation.passed
    assert evaluation.description.startswith("no activity: 1 enrolled students, 0 item presentations")
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"snapshot"}  # metrics and everything after it held back
    assert not (tmp_path / "reports" / "2026-11-16" / "stalled_students.csv").exists()


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed (`.ci/run` installs it)")
def test_metrics_through_the_r_engine_match_python(source_conn, source_url, risk_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATABASE_URL", source_url)
    monkeypatch.setenv("RISK_DATABASE_URL", risk_url)
    rows = SourceRows(source_conn)
    rows.organization(301, "Active School")
    item = rows.item()
    for n in range(4):
        sid = rows.student(301, f"학생{n}")
        rows.presentation(sid, item, C - dt.timedelta(days=2))
        rows.theta(sid, C - dt.timedelta(days=9), 0.5, 0.2)
        rows.theta(sid, C - dt.timedelta(days=2), 0.5 - 0.2 * n, 0.2)
    outputs = {}
    for engine in ("python", "r"):
        monkeypatch.setenv("RISK_DATA_DIR", str(tmp_path / engine / "data"))
        monkeypatch.setenv("RISK_REPORTS_DIR", str(tmp_path / engine / "reports"))
        config = CONFIG.model_copy(update={"tenants": TENANTS.model_copy(update={"metrics_engine": engine})})
        job = definitions_for(Project(config, Settings.from_env())).resolve_job_def(WEEKLY_JOB)
        result = run(job, "active")
        assert result.success, engine
        [metrics] = [e.materialization for e in result.get_asset_materialization_events()
                     if e.asset_key.path[-1] == "metrics"]
        assert metrics.metadata["engine"].value == engine
        outputs[engine] = pd.read_csv(tmp_path / engine / "reports" / "2026-11-16" / "active_students.csv")
    pd.testing.assert_frame_equal(outputs["python"], outputs["r"], check_exact=False, rtol=0, atol=1e-9)


BROKEN_QUARTO = "#!/bin/sh\necho 'ERROR: cannot load the Deno runtime' >&2\nexit 1\n"


def _active_tenant(source_conn) -> None:
    rows = SourceRows(source_conn)
    rows.organization(301, "Active School")
    sid = rows.student(301, "김하나")
    rows.presentation(sid, rows.item(), C - dt.timedelta(days=2))
    rows.theta(sid, C - dt.timedelta(days=2), 0.5, 0.2)


def _report_logs(instance: DagsterInstance, result) -> list[str]:
    """What the report step wrote to the run's log (context.log lines are log records, not events)."""
    return [entry.user_message for entry in instance.all_logs(result.run_id) if entry.step_key == "weekly_risk"]


def test_a_broken_quarto_falls_back_on_auto_and_fails_clearly_when_forced(source_conn, source_url, risk_url,
                                                                          tmp_path, monkeypatch):
    quarto = tmp_path / "bin" / "quarto"
    quarto.parent.mkdir()
    quarto.write_text(BROKEN_QUARTO)
    quarto.chmod(0o755)
    for name, value in (("SOURCE_DATABASE_URL", source_url), ("RISK_DATABASE_URL", risk_url),
                        ("RISK_DATA_DIR", str(tmp_path / "data")), ("RISK_REPORTS_DIR", str(tmp_path / "reports")),
                        ("RISK_QUARTO_BIN", str(quarto))):
        monkeypatch.setenv(name, value)
    _active_tenant(source_conn)
    report = tmp_path / "reports" / "2026-11-16" / "active_report.html"

    instance = with_tenants(DagsterInstance.ephemeral(), "active")
    fallback = definitions_for(Project(CONFIG, Settings.from_env())).resolve_job_def(WEEKLY_JOB).execute_in_process(
        partition_key=partition_key(WEEK, "active"), instance=instance, raise_on_error=False)

    assert fallback.success
    assert (f"report renderer: built-in, because {quarto} --version failed (exit status 1: ERROR: cannot load the "
            "Deno runtime): reinstall Quarto or point RISK_QUARTO_BIN at a working one"
            in _report_logs(instance, fallback))
    assert 'content="risk_assets built-in renderer"' in report.read_text(encoding="utf-8")
    before = report.read_bytes()

    monkeypatch.setenv("RISK_REPORT_RENDERER", "quarto")
    forced = run(definitions_for(Project(CONFIG, Settings.from_env())).resolve_job_def(WEEKLY_JOB), "active")

    assert not forced.success
    [failure] = [e for e in forced.all_events if e.is_step_failure]
    assert failure.step_key == "weekly_risk"
    assert failure.step_failure_data.user_failure_data.description == (
        f"report.renderer is quarto, but {quarto} --version failed (exit status 1: ERROR: cannot load the Deno "
        "runtime): reinstall Quarto or point RISK_QUARTO_BIN at a working one; or set report.renderer: auto "
        "(or RISK_REPORT_RENDERER=builtin) to use the built-in renderer")
    assert report.read_bytes() == before
