"""Dirty source data is counted, never turned into confident flags (docs/snapshot.md, "Dirty rows").

The source here is a platform replica without the keys of sql/source_schema.sql: a student id may then
exist in two organisations, and a presentation or θ row may be repeated under the same id.
"""

from __future__ import annotations

import datetime as dt
import json

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


def busan_week(source_url: str):
    """Busan's snapshot of the week and its metrics with the default thresholds."""
    snapshot = take_snapshot(source_url, SQL_DIR, BUSAN, ReportWindow(WEEK, BUSAN.timezone))
    return snapshot, compute_metrics(snapshot, Thresholds())


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

    snapshot, metrics = busan_week(source_url)

    assert len(snapshot.presentations) == 1 and len(snapshot.theta) == 1
    assert snapshot.quality["presentations_duplicate_id"] == 2
    assert snapshot.quality["theta_duplicate_id"] == 2
    assert metrics.loc[0, "n_presented"] == 1


def test_an_implausible_theta_is_quarantined_not_a_confident_flag(keyless_source, source_conn, source_url):
    """θ = −1e308 once made a CRIT with Δθ = −1e308; now it is left out, counted, and the check fails."""
    from risk_assets.config.tenants import DataQuality
    from risk_assets.snapshot.check_rules import theta_in_range

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


# -- rows the snapshot keeps (or repairs) but counts as data issues (docs/snapshot.md, "Dirty rows") -------

SCHOOL_WEEK = [dt.date(2026, 11, 16) + dt.timedelta(days=n) for n in range(5)]  # Mon–Fri of the report week
SATURDAY, SUNDAY_BEFORE = dt.date(2026, 11, 21), dt.date(2026, 11, 15)


def _conflicting_estimates(rows: SourceRows, student: int) -> None:
    """0.4 and −3.5 at one instant (the larger id wins the tie: −3.5); 0.45 twice at another (a repeat, not a
    conflict); a NULL θ tying the first instant (not an estimate at all)."""
    rows.theta(student, C - dt.timedelta(days=9), 0.5, 0.2)
    rows.theta(student, C - dt.timedelta(days=2), 0.4, 0.2)
    rows.theta(student, C - dt.timedelta(days=2), -3.5, 0.2)
    rows.theta(student, C - dt.timedelta(days=2), None, None)
    for _ in range(2):
        rows.theta(student, C - dt.timedelta(days=5), 0.45, 0.2)


def _attendance_off_school_days(rows: SourceRows, student: int) -> None:
    """Present every school day of the week, and absent on a Saturday and a Sunday that are not school days."""
    rows.school_days(102, SCHOOL_WEEK)
    for day in SCHOOL_WEEK:
        rows.attendance(student, day, "present")
    rows.attendance(student, SATURDAY, "absent")
    rows.attendance(student, SUNDAY_BEFORE, " Absent")


def _items_with_c_outside_0_1(rows: SourceRows, student: int) -> dict[str, int]:
    """Items with c 1.5 (answered twice), −0.1 and +inf, and items with c 0, 1 and NULL (valid or merely absent)."""
    items = {name: rows.item(c=c) for name, c in
             [("high", 1.5), ("negative", -0.1), ("infinite", float("inf")), ("zero", 0.0), ("one", 1.0),
              ("none", None)]}
    for n, item in enumerate([items["high"], *items.values()]):
        rows.presentation(student, item, C - dt.timedelta(days=3) + dt.timedelta(minutes=n))
    return items


def test_conflicting_theta_at_one_instant_is_counted_and_the_tie_rule_kept(keyless_source, source_url):
    rows = keyless_source
    student = rows.student(102, "정하늘")
    rows.presentation(student, rows.item(), C - dt.timedelta(days=2))
    _conflicting_estimates(rows, student)

    snapshot, metrics = busan_week(source_url)

    assert snapshot.quality["theta_conflicting_same_instant"] == 1
    assert snapshot.quality["theta_not_finite"] == 1
    assert len(snapshot.theta) == 5  # every finite estimate kept: the conflict is counted, not resolved otherwise
    # On equal timestamps the larger estimate_id wins (docs/metrics.md, "THETA").
    assert (metrics.loc[0, "theta_now"], metrics.loc[0, "delta_7d"]) == (-3.5, -4.0)
    assert metrics.loc[0, "level"] == "CRIT" and "THETA_DROP_7D_CRIT" in metrics.loc[0, "reason_codes"]


def test_attendance_on_a_day_that_is_not_a_school_day_is_counted_and_ignored(keyless_source, source_url):
    rows = keyless_source
    student = rows.student(102, "한결")
    rows.presentation(student, rows.item(), C - dt.timedelta(days=2))
    _attendance_off_school_days(rows, student)

    snapshot, metrics = busan_week(source_url)

    assert snapshot.quality["attendance_not_school_day"] == 2
    # Kept: the metrics ignore records on days that are not scheduled (docs/snapshot.md, "Dirty rows").
    assert len(snapshot.attendance) == 7
    assert (metrics.loc[0, "sched_week"], metrics.loc[0, "absent_week"], metrics.loc[0, "max_streak"]) == (5, 0, 0)


def test_items_with_c_outside_0_1_are_counted_and_their_c_left_out(keyless_source, source_url):
    rows = keyless_source
    student = rows.student(102, "윤슬")
    items = _items_with_c_outside_0_1(rows, student)

    snapshot = take_snapshot(source_url, SQL_DIR, BUSAN, ReportWindow(WEEK, BUSAN.timezone))

    assert (snapshot.quality["presentations_invalid_item_c"], snapshot.quality["items_invalid_c"]) == (4, 3)
    c = snapshot.presentations.drop_duplicates("item_id").set_index("item_id")["c"]
    assert c[[items["zero"], items["one"]]].tolist() == [0.0, 1.0]
    assert c[[items["high"], items["negative"], items["infinite"], items["none"]]].isna().all()
    assert snapshot.presentations[["a", "b"]].notna().all().all()  # a and b stay usable for c_hat


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_new_data_issues_show_in_metadata_summary_and_report(locale, keyless_source, source_url, risk_url,
                                                                  tmp_path, monkeypatch):
    from dagster import DagsterInstance

    from risk_assets.report.strings import STRINGS
    from risk_assets_tests.snapshot.weekly_run import materializations, run_week, weekly_definitions

    rows = keyless_source
    student = rows.student(102, "정하늘")
    _conflicting_estimates(rows, student)
    _attendance_off_school_days(rows, student)
    _items_with_c_outside_0_1(rows, student)
    defs = weekly_definitions([{"key": "busan", "org_id": 102, "name": "부산", "locale": locale}], monkeypatch,
                              source_url, risk_url, tmp_path)
    expected = {"theta_conflicting_same_instant": 1, "attendance_not_school_day": 2,
                "presentations_invalid_item_c": 4, "items_invalid_c": 3}

    with DagsterInstance.ephemeral() as instance:
        result = run_week(defs, instance, "busan")

    assert result.success
    quality = materializations(result)["snapshot"].metadata["data_quality"].value
    assert {kind: quality[kind] for kind in expected} == expected
    folder = tmp_path / "reports" / "2026-11-16"
    summary = json.loads((folder / "busan_summary.json").read_text(encoding="utf-8"))
    assert {kind: summary["data_quality"][kind] for kind in expected} == expected
    html = (folder / "busan_report.html").read_text(encoding="utf-8")
    for kind, count in expected.items():
        assert f"<li>{STRINGS[locale]['quality'][kind]}: {count}</li>" in html
