"""The snapshot's and the metrics' asset checks, failing on data that should fail them and passing otherwise:
as plain functions, and through Dagster (the check's recorded evaluation, what the blocking ones hold back)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from dagster import DagsterInstance, build_sensor_context

from risk_assets.defs.weekly.checks import insufficient_share
from risk_assets.snapshot import check_rules as rules
from risk_assets.window import ReportWindow
from risk_assets_tests.metrics.builder import SnapshotBuilder
from risk_assets_tests.snapshot.weekly_run import WEEK, evaluations, materializations, run_week, weekly_definitions
from risk_assets_tests.source_rows import SourceRows

C = ReportWindow(WEEK, "Asia/Seoul").cutoff
EMPTY_ORG, FULL_ORG = 311, 312
TENANTS = [{"key": "empty", "org_id": EMPTY_ORG, "name": "Empty School",
            "delivery": {"email": {"to": ["head@empty.example.kr"]}}},
           {"key": "full", "org_id": FULL_ORG, "name": "Full School"}]
NO_STUDENTS = (f"no enrolled students in org {EMPTY_ORG} for this window — check org_id in tenants.yaml "
               "or the roster")


# -- plain functions ------------------------------------------------------------------------------------


def test_has_students_fails_for_an_enabled_tenant_without_students():
    empty = SnapshotBuilder().build()
    outcome = rules.has_students(empty, enabled=True)
    assert (outcome.passed, outcome.description) == (False, "no enrolled students in org 1 for this window — "
                                                            "check org_id in tenants.yaml or the roster")
    assert outcome.metadata == {"students": 0, "org_id": 1, "enabled": True}
    assert rules.has_students(empty, enabled=False) == rules.CheckOutcome(
        True, "not applicable: tenant disabled", {"students": 0, "org_id": 1, "enabled": False})


def test_has_students_passes_with_one_student():
    builder = SnapshotBuilder()
    builder.student()
    outcome = rules.has_students(builder.build(), enabled=True)
    assert (outcome.passed, outcome.description) == (True, "1 enrolled students in org 1")


def test_unique_attendance_fails_on_a_repeated_student_day_and_passes_otherwise():
    builder = SnapshotBuilder()
    sid, other = builder.student(), builder.student()
    builder.attend(sid, dt.date(2026, 11, 16), "present")
    builder.attend(other, dt.date(2026, 11, 16), "absent")
    builder.attend(sid, dt.date(2026, 11, 17), "present")
    assert rules.unique_attendance(builder.build()) == rules.CheckOutcome(
        True, "one attendance row per student and day", {"rows": 3, "duplicated_keys": 0})

    builder.attend(sid, dt.date(2026, 11, 16), "absent")  # the same day again, another status
    builder.attend(sid, dt.date(2026, 11, 16), "present")
    assert rules.unique_attendance(builder.build()) == rules.CheckOutcome(
        False, "1 (student, school_date) pair(s) have more than one attendance row", {"rows": 5, "duplicated_keys": 1})


def test_insufficient_share_fails_above_half_and_passes_at_half():
    half = insufficient_share(pd.Series(["INSUFFICIENT_DATA", "OK", "INSUFFICIENT_DATA", "CRIT"]))
    assert (half.passed, half.description, half.metadata) == (True, "50.0% of 4 students have INSUFFICIENT_DATA",
                                                              {"share": 0.5, "students": 4})
    most = insufficient_share(pd.Series(["INSUFFICIENT_DATA", "OK", "INSUFFICIENT_DATA"]))
    assert (most.passed, most.description) == (False, "66.7% of 3 students have INSUFFICIENT_DATA")


# -- through Dagster ------------------------------------------------------------------------------------


@pytest.fixture
def defs(source_url, risk_url, tmp_path, monkeypatch):
    return weekly_definitions(TENANTS, monkeypatch, source_url, risk_url, tmp_path)


def test_a_school_without_students_is_held_and_nothing_is_delivered(defs, source_conn, tmp_path):
    SourceRows(source_conn).organization(EMPTY_ORG, "Empty School")
    sensor = defs.resolve_sensor_def("report_delivery")
    with DagsterInstance.ephemeral() as instance:
        first = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=None, definitions=defs))

        result = run_week(defs, instance, "empty")

        assert not result.success
        evaluation = evaluations(result)["has_students"]
        assert (evaluation.passed, evaluation.description) == (False, NO_STUDENTS)
        assert evaluation.metadata["students"].value == 0 and evaluation.metadata["org_id"].value == EMPTY_ORG
        snapshot = materializations(result)["snapshot"]
        assert snapshot.metadata["note"].value == (f"no students of org {EMPTY_ORG} enrolled in this week: empty "
                                                   "snapshot (the blocking check has_students fails for an enabled "
                                                   "tenant)")
        assert set(materializations(result)) == {"snapshot"}  # metrics, summary and report held back
        assert not (tmp_path / "reports" / "2026-11-16").exists()
        after = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor, definitions=defs))
        assert (after.run_requests, after.skip_message) == ([], "no new tenant_report materializations")
        assert not (tmp_path / "outbox").exists()


def _school(source_conn) -> SourceRows:
    rows = SourceRows(source_conn)
    rows.organization(FULL_ORG, "Full School")
    return rows


def test_unique_attendance_fails_through_dagster_on_a_keyless_source(defs, source_conn):
    with source_conn.cursor() as cur:  # a replica without the attendance key can hold the same day twice
        cur.execute("ALTER TABLE attendance DROP CONSTRAINT IF EXISTS attendance_pkey CASCADE")
    source_conn.commit()
    rows = _school(source_conn)
    sid = rows.student(FULL_ORG)
    rows.presentation(sid, rows.item(), C - dt.timedelta(days=2))
    rows.school_days(FULL_ORG, [dt.date(2026, 11, 16)])
    rows.attendance(sid, dt.date(2026, 11, 16), "present")
    with DagsterInstance.ephemeral() as instance:
        clean = evaluations(run_week(defs, instance, "full"))["unique_attendance"]
        rows.attendance(sid, dt.date(2026, 11, 16), "absent")
        repeated = evaluations(run_week(defs, instance, "full"))["unique_attendance"]

    assert (clean.passed, clean.description) == (True, "one attendance row per student and day")
    assert (repeated.passed, repeated.description) == (
        False, "1 (student, school_date) pair(s) have more than one attendance row")
    assert repeated.metadata["duplicated_keys"].value == 1


def test_insufficient_data_share_fails_through_dagster_when_most_students_lack_data(defs, source_conn):
    rows = _school(source_conn)
    item = rows.item()
    judged = rows.student(FULL_ORG, "김하나")  # θ now and 7 days before: the θ domain is evaluated
    rows.presentation(judged, item, C - dt.timedelta(days=2))
    rows.theta(judged, C - dt.timedelta(days=9), 0.5, 0.2)
    rows.theta(judged, C - dt.timedelta(days=2), 0.5, 0.2)
    with DagsterInstance.ephemeral() as instance:
        passing = evaluations(run_week(defs, instance, "full"))["insufficient_data_share"]
        for name in ("이둘", "박셋"):  # one presentation each and nothing else: INSUFFICIENT_DATA
            rows.presentation(rows.student(FULL_ORG, name), item, C - dt.timedelta(days=2))
        result = run_week(defs, instance, "full")
    failing = evaluations(result)["insufficient_data_share"]

    assert (passing.passed, passing.description) == (True, "0.0% of 1 students have INSUFFICIENT_DATA")
    assert (failing.passed, failing.description) == (False, "66.7% of 3 students have INSUFFICIENT_DATA")
    assert failing.severity.value == "WARN" and result.success  # a warning: the report still goes out
