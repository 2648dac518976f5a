"""tenant_summary: figures, week-over-week from stored weeks, PostgreSQL rows replaced per partition."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import psycopg2
import pytest
from dagster import DagsterInstance

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.definitions import definitions_for
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.partitions import partition_key
from risk_assets.project import Project
from risk_assets.settings import Settings
from risk_assets.summary.figures import History, class_breakdown, tenant_figures
from risk_assets.window import ReportWindow
from risk_assets_tests.source_rows import SourceRows
from risk_assets_tests.tenant_partitions import with_tenants

WEEKS = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
TENANTS = TenantsFile.model_validate({
    "first_week": dt.date(2026, 10, 5),
    "tenants": [{"key": "alpha", "org_id": 501, "name": "Alpha"}, {"key": "beta", "org_id": 502, "name": "Beta"}],
})
CONFIG = AppConfig(tenants=TENANTS, thresholds=Thresholds(), tenants_path=Path("t"), thresholds_path=Path("t"))


def frame(levels: dict[int, str], classes: dict[int, str] | None = None) -> pd.DataFrame:
    ids = sorted(levels)
    return pd.DataFrame({
        "student_id": ids, "level": [levels[i] for i in ids], "coverage": 1.0,
        "class_name": [(classes or {}).get(i, "1-1") for i in ids],
        **{f"{d}_status": "OK" for d in ("theta", "omit", "guess", "attendance")},
        "delta_14d": [0.1 * i for i in range(len(ids))],
    })


def test_new_resolved_and_persistent_against_stored_weeks():
    now = frame({1: "CRIT", 2: "WARN", 3: "OK", 4: "WARN", 5: "CRIT"})
    previous = pd.Series({1: "WARN", 2: "OK", 3: "CRIT", 4: "INSUFFICIENT_DATA"})  # 5 was not counted
    before = pd.Series({1: "CRIT", 2: "WARN", 3: "CRIT"})
    figures = tenant_figures(now, History(previous, before), {})
    wow = figures["week_over_week"]
    assert figures["new_student_ids"] == [2, 4, 5]
    assert (wow["new_warn_or_crit"], wow["resolved"], wow["persistent"]) == (3, 1, 1)
    assert wow["level_change"] == {"CRIT": 1, "WARN": 1, "OK": 0, "INSUFFICIENT_DATA": -1}


def test_week_over_week_not_available_without_stored_weeks():
    figures = tenant_figures(frame({1: "CRIT"}), History(None, None), {})
    assert figures["week_over_week"] == {"available": False}
    assert figures["new_student_ids"] is None
    partial = tenant_figures(frame({1: "CRIT"}), History(pd.Series({1: "OK"}), None), {})["week_over_week"]
    assert partial["persistent_available"] is False and partial["persistent"] is None


def test_small_class_cells_are_suppressed():
    levels = {i: ("CRIT" if i < 12 else "OK") for i in range(30)}
    classes = {i: ("A" if i < 25 else "B") for i in range(30)}
    rows = {r["class_name"]: r for r in class_breakdown(frame(levels, classes))}
    assert rows["A"] == {"class_name": "A", "students": 25, "crit": 12, "warn": "<10", "ok": 13, "insufficient": "<10"}
    assert rows["B"]["students"] == "<10" and rows["B"]["ok"] == "<10"


@pytest.fixture
def job(source_url, risk_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATABASE_URL", source_url)
    monkeypatch.setenv("RISK_DATABASE_URL", risk_url)
    monkeypatch.setenv("RISK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RISK_REPORTS_DIR", str(tmp_path / "reports"))
    return definitions_for(Project(CONFIG, Settings.from_env())).resolve_job_def(WEEKLY_JOB), risk_url


def _seed(conn) -> dict[str, list[int]]:
    rows = SourceRows(conn)
    students = {}
    for org, key in ((501, "alpha"), (502, "beta")):
        rows.organization(org, key.title())
        item = rows.item()
        students[key] = [rows.student(org, f"{key}-{n}") for n in range(3)]
        for week in WEEKS:
            cutoff = ReportWindow(week, "Asia/Seoul").cutoff
            for n, sid in enumerate(students[key]):
                rows.presentation(sid, item, cutoff - dt.timedelta(days=1, minutes=n))
                # student 0 drops sharply every week: CRIT each week
                rows.theta(sid, cutoff - dt.timedelta(days=2), -0.5 * WEEKS.index(week) if n == 0 else 0.0, 0.2)
    return students


def _rows(risk_url: str, sql: str, params=()) -> list[tuple]:
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_three_weeks_oldest_first_then_rematerialize(job, source_conn, tmp_path):
    job, risk_url = job
    students = _seed(source_conn)
    for week in WEEKS:
        for tenant in ("alpha", "beta"):
            result = job.execute_in_process(partition_key=partition_key(week, tenant),
                                            instance=with_tenants(DagsterInstance.ephemeral(), tenant),
                                            raise_on_error=False)
            assert result.success, tenant
    again = job.execute_in_process(partition_key=partition_key(WEEKS[-1], "alpha"),
                                   instance=with_tenants(DagsterInstance.ephemeral(), "alpha"))
    assert again.success

    counts = _rows(risk_url, "SELECT week, tenant, count(*) FROM risk.student_results GROUP BY 1, 2 ORDER BY 1, 2")
    assert counts == [(w, t, 3) for w in WEEKS for t in ("alpha", "beta")]
    assert _rows(risk_url, "SELECT count(*) FROM risk.tenant_weeks") == [(6,)]
    migrations = _rows(risk_url, "SELECT version FROM risk.schema_migrations ORDER BY version")
    assert migrations == [(1,), (2,), (3,), (4,), (5,)]

    week_dir = tmp_path / "reports" / "2026-11-16"
    summary = json.loads((week_dir / "alpha_summary.json").read_text(encoding="utf-8"))
    assert summary["week_over_week"]["available"] is True
    assert summary["week_over_week"]["persistent_available"] is True
    assert summary["tenant"] == "alpha" and summary["locale"] == "ko"
    # The trajectory of the student who drops every week: three stored weeks of the six, θ from the database.
    trajectory = summary["trajectories"]
    assert trajectory["weeks"] == ["2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]
    assert trajectory["stored_weeks"] == [False, False, False, True, True, True]
    points = trajectory["students"][str(students["alpha"][0])]
    assert points[:3] == [None, None, None]
    assert [(p[1], p[2]) for p in points[3:]] == [(0.0, 0.2), (-0.5, 0.2), (-1.0, 0.2)]
    assert set(trajectory["students"]) <= {str(sid) for sid in students["alpha"]}
    first = json.loads((tmp_path / "reports" / "2026-11-02" / "alpha_summary.json").read_text(encoding="utf-8"))
    assert first["week_over_week"] == {"available": False}
    csv = pd.read_csv(week_dir / "summary.csv")
    assert csv["tenant"].tolist() == ["alpha", "beta"]
    assert list(csv.columns) == ["tenant", "org_name", "total_students", "crit_count", "crit_pct", "warn_count",
                                 "warn_pct", "ok_count", "insufficient_count", "new_warn_or_crit", "generated_at"]
    assert csv["total_students"].tolist() == [3, 3]
    # Tenant isolation in the database: alpha's rows hold only alpha's students.
    alpha_ids = {r[0] for r in _rows(risk_url, "SELECT student_id FROM risk.student_results WHERE tenant = 'alpha'")}
    assert alpha_ids == set(students["alpha"])
