"""Dirty source data is counted, never turned into confident flags (issue 12, items 12 and 13).

The source here is a platform replica without the keys of sql/source_schema.sql: a student id may then
exist in two organisations, and a presentation or θ row may be repeated under the same id.
"""

from __future__ import annotations

import datetime as dt

import pytest

from risk_assets.config import Tenant, Thresholds
from risk_assets.metrics import compute_metrics
from risk_assets.settings import PROJECT_DIR
from risk_assets.snapshot import take_snapshot
from risk_assets.window import ReportWindow
from risk_assets_tests.source_rows import SourceRows

SQL_DIR = PROJECT_DIR / "sql"
WEEK = dt.date(2026, 11, 16)
BUSAN = Tenant(key="busan", org_id=102, name="부산", timezone="Asia/Seoul")
NYC = Tenant(key="nyc", org_id=201, name="NYC", timezone="America/New_York")
C = ReportWindow(WEEK, "Asia/Seoul").cutoff


@pytest.fixture
def keyless_source(source_conn) -> SourceRows:
    """The source's keys dropped, as on a replica or an export that never had them."""
    with source_conn.cursor() as cur:
        for table in ("item_presentations", "theta_estimates", "attendance", "students"):
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_pkey CASCADE")
    source_conn.commit()
    rows = SourceRows(source_conn)
    rows.organization(102, "부산해양고등학교")
    rows.organization(201, "Bridge Academy")
    return rows


def _insert(conn, sql: str, values: tuple) -> None:
    with conn.cursor() as cur:
        cur.execute(sql, values)
    conn.commit()


def test_a_student_id_of_two_organisations_mixes_neither_school(keyless_source, source_conn, source_url):
    rows = keyless_source
    nyc_student = rows.student(201, "Jamie Doe")
    _insert(source_conn, "INSERT INTO students (student_id, org_id, display_name, class_name, enrolled_on) "
                         "VALUES (%s, 102, '김민준', '1-1', '2026-01-01')", (nyc_student,))
    busan_only = rows.student(102, "이서연")
    item = rows.item()
    for _ in range(136):
        rows.presentation(nyc_student, item, C - dt.timedelta(days=2))
    rows.presentation(busan_only, item, C - dt.timedelta(days=2))
    rows.theta(nyc_student, C - dt.timedelta(days=2), 3.5, 0.2)

    busan = take_snapshot(source_url, SQL_DIR, BUSAN, ReportWindow(WEEK, BUSAN.timezone))
    nyc = take_snapshot(source_url, SQL_DIR, NYC, ReportWindow(WEEK, NYC.timezone))

    assert busan.students["student_id"].tolist() == [busan_only]
    assert set(busan.presentations["student_id"]) == {busan_only} and len(busan.presentations) == 1
    assert busan.theta.empty
    assert busan.quality["students_id_used_by_another_org"] == 1
    assert busan.rejected[["table", "reason", "row_key", "value"]].values.tolist() == [
        ["students", "id_used_by_another_org", str(nyc_student), "201"]]
    assert nyc.students.empty and nyc.presentations.empty and nyc.theta.empty
    assert nyc.quality["students_id_used_by_another_org"] == 1


def test_repeated_presentation_and_theta_rows_count_once(keyless_source, source_conn, source_url):
    rows = keyless_source
    student = rows.student(102, "박지호")
    item = rows.item()
    presentation = rows.presentation(student, item, C - dt.timedelta(days=2), outcome="incorrect")
    estimate = rows.theta(student, C - dt.timedelta(days=3), 0.1, 0.2)
    for _ in range(2):
        _insert(source_conn, "INSERT INTO item_presentations SELECT * FROM item_presentations "
                             "WHERE presentation_id = %s LIMIT 1", (presentation,))
        _insert(source_conn, "INSERT INTO theta_estimates SELECT * FROM theta_estimates WHERE estimate_id = %s "
                             "LIMIT 1", (estimate,))

    snapshot = take_snapshot(source_url, SQL_DIR, BUSAN, ReportWindow(WEEK, BUSAN.timezone))
    metrics = compute_metrics(snapshot, Thresholds())

    assert len(snapshot.presentations) == 1 and len(snapshot.theta) == 1
    assert snapshot.quality["presentations_duplicate_id"] == 2
    assert snapshot.quality["theta_duplicate_id"] == 2
    assert metrics.loc[0, "n_presented"] == 1


def test_an_implausible_theta_is_quarantined_not_a_confident_flag(keyless_source, source_conn, source_url):
    """Item 14: θ = −1e308 was CRIT with Δθ = −1e308; now it is left out, counted, and the check fails."""
    from risk_assets.config.tenants import DataQuality
    from risk_assets.snapshot.checks import theta_in_range

    rows = keyless_source
    student = rows.student(102, "최유나")
    item = rows.item()
    rows.presentation(student, item, C - dt.timedelta(days=2))
    rows.theta(student, C - dt.timedelta(days=9), 0.4, 0.2)
    bad = rows.theta(student, C - dt.timedelta(days=2), -1e308, 0.2)
    odd = rows.theta(student, C - dt.timedelta(days=3), 7.5, 0.2)

    snapshot = take_snapshot(source_url, SQL_DIR, BUSAN, ReportWindow(WEEK, BUSAN.timezone), DataQuality())
    metrics = compute_metrics(snapshot, Thresholds())
    wider = take_snapshot(source_url, SQL_DIR, BUSAN, ReportWindow(WEEK, BUSAN.timezone),
                          DataQuality(theta_min=-10, theta_max=10))

    assert snapshot.theta["theta"].tolist() == [0.4]
    assert snapshot.quality["theta_out_of_range"] == 2
    assert sorted(snapshot.rejected.loc[snapshot.rejected["reason"] == "out_of_range", "row_key"]) == sorted(
        [str(bad), str(odd)])
    assert metrics.loc[0, "level"] != "CRIT" or "theta" not in metrics.loc[0, "reason_codes"].lower()
    assert not (metrics[["delta_7d", "delta_14d"]].abs() > 100).any().any()
    outcome = theta_in_range(snapshot, (-6.0, 6.0))
    assert not outcome.passed and outcome.metadata["quarantined"] == 2
    assert wider.quality["theta_out_of_range"] == 1  # 7.5 is plausible within [-10, 10], −1e308 never is
