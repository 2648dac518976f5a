"""The snapshot against a real PostgreSQL source: isolation, window edges, counted students, dirty rows."""

from __future__ import annotations

import datetime as dt
import math
import shutil

import pandas as pd
import pytest

from risk_assets.config import Tenant
from risk_assets.report.strings import STRINGS
from risk_assets.settings import PROJECT_DIR
from risk_assets.snapshot import SnapshotStore, take_snapshot
from risk_assets.snapshot.build import UnknownOrganization
from risk_assets.snapshot.schema import SourceSchemaError
from risk_assets.window import ReportWindow
from risk_assets_tests.source_rows import SourceRows

SQL_DIR = PROJECT_DIR / "sql"
UTC = dt.UTC
WEEK = dt.date(2026, 11, 16)
SEOUL = Tenant(key="seoul", org_id=101, name="서울", timezone="Asia/Seoul")
BUSAN = Tenant(key="busan", org_id=102, name="부산", timezone="Asia/Seoul")
WINDOW = ReportWindow(WEEK, "Asia/Seoul")
C = WINDOW.cutoff  # 2026-11-22 15:00 UTC = Mon 23 Nov 00:00 KST
TINY = dt.timedelta(microseconds=1)


@pytest.fixture
def rows(source_conn) -> SourceRows:
    rows = SourceRows(source_conn)
    rows.organization(101, "서울중앙중학교")
    rows.organization(102, "부산해양고등학교")
    return rows


def test_snapshot_of_one_tenant_holds_no_row_of_another(rows, source_conn, source_url):
    item = rows.item()
    days = [dt.date(2026, 11, 16), dt.date(2026, 11, 17)]
    rows.school_days(101, days)
    rows.school_days(102, days)
    students = {101: [], 102: []}
    for org in (101, 102):
        for n in range(3):
            sid = rows.student(org, f"학생{org}-{n}")
            students[org].append(sid)
            rows.presentation(sid, item, C - dt.timedelta(days=2))
            rows.theta(sid, C - dt.timedelta(days=2), 0.1 * n, 0.3)
            rows.attendance(sid, days[0], "present")

    snap = take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)

    assert snap.org_name == "서울중앙중학교"
    assert snap.students["student_id"].tolist() == students[101]
    for table in ("presentations", "theta", "attendance"):
        assert set(snap.tables()[table]["student_id"]) == set(students[101]), table
    assert snap.row_counts() == {"students": 3, "presentations": 3, "theta": 3, "school_days": 2, "attendance": 3,
                                 "item_times": 1}
    assert snap.item_times.to_dict("records") == [{"item_id": item, "n_timed": 3, "sum_response_time_ms": 45000}]


def test_item_times_are_the_tenants_timed_answers_of_the_last_90_days(rows, source_conn, source_url):
    """[C - 90 d, C) in tenant time, answered with a time (trimmed, any case), this organisation's students only;
    counted in SQL, one row per item."""
    item, other_item = rows.item(), rows.item()
    start = WINDOW.response_time_start
    assert start == dt.datetime(2026, 8, 24, 15, tzinfo=UTC)  # Mon 25 Aug 2026 00:00 KST = C - 90 d
    pupil, elsewhere = rows.student(101), rows.student(102)
    counted = [(start, 1000), (C - TINY, 2000), (start + dt.timedelta(days=40), 3000)]
    for at, rt in counted:
        rows.presentation(pupil, item, at, response_time_ms=rt)
    rows.presentation(pupil, item, start + dt.timedelta(days=1), " Incorrect ", response_time_ms=4000)
    rows.presentation(pupil, item, start - TINY, response_time_ms=100)        # before the 90 days
    rows.presentation(pupil, item, C, response_time_ms=100)                   # at the cut-off
    rows.presentation(pupil, item, C - dt.timedelta(days=1), "omitted", response_time_ms=100)
    rows.presentation(pupil, item, C - dt.timedelta(days=1), "skipped", response_time_ms=100)  # not an outcome
    rows.presentation(pupil, item, C - dt.timedelta(days=1), response_time_ms=None)
    rows.presentation(pupil, item, C - dt.timedelta(days=1), response_time_ms=-5)
    rows.presentation(pupil, other_item, C - dt.timedelta(days=2), response_time_ms=0)  # 0 ms is a time
    rows.presentation(elsewhere, item, C - dt.timedelta(days=1), response_time_ms=100)  # another school

    snap = take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)

    assert snap.item_times.to_dict("records") == [
        {"item_id": item, "n_timed": 4, "sum_response_time_ms": 10000},
        {"item_id": other_item, "n_timed": 1, "sum_response_time_ms": 0}]
    assert str(snap.item_times["n_timed"].dtype) == "int64"


def test_without_response_times_the_90_day_query_is_not_run(rows, source_conn, source_url, tmp_path):
    """ENGAGEMENT off: the snapshot neither runs sql/snapshot_item_times.sql (here made unrunnable) nor stores
    item_times; the other tables are those of a full snapshot, and the stored one reads back without it."""
    sid = rows.student(101)
    rows.presentation(sid, rows.item(), C - dt.timedelta(days=1), response_time_ms=1200)
    sql_dir = shutil.copytree(SQL_DIR, tmp_path / "sql")
    (sql_dir / "snapshot_item_times.sql").write_text("SELECT FROM no_such_table;\n", encoding="utf-8")

    snap = take_snapshot(source_url, sql_dir, SEOUL, WINDOW, response_times=False)

    full = take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)
    assert snap.item_times is None and len(full.item_times) == 1
    assert snap.row_counts() == {"students": 1, "presentations": 1, "theta": 0, "school_days": 0, "attendance": 0}
    for name, table in snap.tables().items():
        pd.testing.assert_frame_equal(table, full.tables()[name])
    with pytest.raises(SourceSchemaError, match="no_such_table"):
        take_snapshot(source_url, sql_dir, SEOUL, WINDOW)
    store = SnapshotStore(tmp_path / "snapshots")
    folder = store.write(snap)
    assert not (folder / "item_times.parquet").exists()
    assert store.read(WEEK, SEOUL.key).item_times is None


def test_window_edges_in_tenant_time(rows, source_conn, source_url):
    sid = rows.student(101)
    item = rows.item()
    at_window_start = rows.presentation(sid, item, C - dt.timedelta(days=14))  # exactly C - 14 d: in
    rows.presentation(sid, item, C - dt.timedelta(days=14) - TINY)  # just before: out
    last_instant = rows.presentation(sid, item, C - TINY)  # in
    rows.presentation(sid, item, C)  # exactly C: out
    theta_oldest = rows.theta(sid, C - dt.timedelta(days=28))  # exactly C - 28 d: in
    rows.theta(sid, C - dt.timedelta(days=28) - dt.timedelta(seconds=1))  # out
    theta_latest = rows.theta(sid, C - TINY)
    rows.theta(sid, C)  # out
    rows.school_days(101, [dt.date(2026, 10, 25), dt.date(2026, 10, 26), dt.date(2026, 11, 22), dt.date(2026, 11, 23)])
    for day in (dt.date(2026, 10, 25), dt.date(2026, 10, 26), dt.date(2026, 11, 22), dt.date(2026, 11, 23)):
        rows.attendance(sid, day)

    snap = take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)

    assert C == dt.datetime(2026, 11, 22, 15, tzinfo=UTC)
    assert snap.presentations["presentation_id"].tolist() == [at_window_start, last_instant]
    assert snap.theta["estimate_id"].tolist() == [theta_oldest, theta_latest]
    assert snap.theta["estimated_at"].iloc[0] == pd.Timestamp("2026-10-25 15:00", tz="UTC")
    expected_days = [pd.Timestamp("2026-10-26"), pd.Timestamp("2026-11-22")]
    assert snap.school_days["school_date"].tolist() == expected_days
    assert snap.attendance["school_date"].tolist() == expected_days


def test_students_counted_in_the_week(rows, source_conn, source_url):
    counted = [
        rows.student(101, "이번주 전 입학", enrolled_on=dt.date(2026, 11, 22)),
        rows.student(101, "이번주 화요일 전학", withdrawn_on=dt.date(2026, 11, 17)),
        rows.student(101, "재학 중"),
    ]
    rows.student(101, "다음주 입학", enrolled_on=dt.date(2026, 11, 23))
    rows.student(101, "지난주 전학", withdrawn_on=dt.date(2026, 11, 16))

    snap = take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)

    assert snap.students["student_id"].tolist() == counted
    assert snap.students["display_name"].tolist() == ["이번주 전 입학", "이번주 화요일 전학", "재학 중"]


def test_dirty_rows_are_quarantined_and_counted(rows, source_conn, source_url):
    sid = rows.student(101)
    good = rows.item(a=1.2, b=0.3)
    flat = rows.item(a=0.0, b=0.1)
    no_b = rows.item(a=1.0, b=None)
    at = C - dt.timedelta(days=3)
    normalised = rows.presentation(sid, good, at, " CORRECT ")
    skipped = rows.presentation(sid, good, at + dt.timedelta(seconds=1), "skipped")
    negative_rt = rows.presentation(sid, good, at + dt.timedelta(seconds=2), "omitted", response_time_ms=-40)
    rows.presentation(sid, flat, at + dt.timedelta(seconds=3), "incorrect")
    rows.presentation(sid, no_b, at + dt.timedelta(seconds=4), "Omitted")
    null_theta = rows.theta(sid, at, None, 0.3)
    nan_theta = rows.theta(sid, at + dt.timedelta(seconds=1), float("nan"), 0.3)
    zero_se = rows.theta(sid, at + dt.timedelta(seconds=2), 0.5, 0.0)
    rows.theta(sid, at + dt.timedelta(seconds=3), 0.6, -0.2)
    rows.school_days(101, [dt.date(2026, 11, 18), dt.date(2026, 11, 19)])
    rows.attendance(sid, dt.date(2026, 11, 18), " Absent")
    rows.attendance(sid, dt.date(2026, 11, 19), "unknown")

    snap = take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)

    assert snap.presentations["outcome"].tolist() == ["correct", "omitted", "incorrect", "omitted"]
    assert skipped not in snap.presentations["presentation_id"].tolist()
    assert snap.presentations.set_index("presentation_id").loc[normalised, "a"] == 1.2
    assert pd.isna(snap.presentations.set_index("presentation_id").loc[negative_rt, "response_time_ms"])
    assert snap.presentations["a"].isna().tolist() == [False, False, True, True]
    assert snap.theta["estimate_id"].tolist()[0] == zero_se
    assert snap.theta["se"].isna().tolist() == [True, True]
    assert snap.attendance["status"].tolist() == ["absent"]
    assert snap.quality == {
        "presentations_outcome_normalised": 2,
        "presentations_unknown_outcome": 1,
        "presentations_negative_response_time": 1,
        "presentations_unknown_item": 0,
        "presentations_unusable_item_params": 2,
        "items_unusable_params": 2,
        "presentations_invalid_item_c": 0,
        "items_invalid_c": 0,
        "theta_not_finite": 2,
        "theta_out_of_range": 0,
        "theta_invalid_se": 2,
        "theta_conflicting_same_instant": 0,
        "attendance_status_normalised": 1,
        "attendance_unknown_status": 1,
        "attendance_not_school_day": 0,
        "students_id_used_by_another_org": 0,
        "presentations_duplicate_id": 0,
        "theta_duplicate_id": 0,
    }
    for language, words in STRINGS.items():  # every count has its line in the report's data-quality section
        assert set(words["quality"]) == set(snap.quality), language
    rejected = snap.rejected.sort_values(["table", "row_key"]).reset_index(drop=True)
    assert rejected[["table", "reason"]].values.tolist() == [
        ["attendance", "unknown_status"],
        ["presentations", "unknown_outcome"],
        ["theta", "not_finite"],
        ["theta", "not_finite"],
    ]
    assert set(rejected["row_key"]) == {f"{sid}@2026-11-19", str(skipped), str(null_theta), str(nan_theta)}


def test_tenant_without_students_gives_an_empty_snapshot(rows, source_conn, source_url):
    rows.student(101)
    snap = take_snapshot(source_url, SQL_DIR, BUSAN, WINDOW)
    assert snap.is_empty and not snap.has_activity
    assert snap.row_counts() == {"students": 0, "presentations": 0, "theta": 0, "school_days": 0, "attendance": 0,
                                 "item_times": 0}
    assert list(snap.presentations.columns)[:4] == ["presentation_id", "student_id", "session_id", "item_id"]


def test_unknown_org_id_is_a_clear_error(rows, source_conn, source_url):
    ghost = Tenant(key="ghost", org_id=999, name="Ghost")
    with pytest.raises(UnknownOrganization,
                       match="tenant 'ghost' has org_id 999, which is not in the source's organizations table"):
        take_snapshot(source_url, SQL_DIR, ghost, WINDOW)


def test_renamed_source_column_names_the_column_and_the_file(rows, source_conn, source_url):
    with source_conn.cursor() as cur:
        cur.execute("ALTER TABLE item_presentations RENAME COLUMN outcome TO result")
    source_conn.commit()
    with pytest.raises(SourceSchemaError) as caught:
        take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)
    message = str(caught.value)
    assert "source schema drift: column p.outcome does not exist" in message
    assert "snapshot_presentations.sql" in message


def test_retyped_source_column_fails_naming_the_column(rows, source_conn, source_url):
    sid = rows.student(101)
    with source_conn.cursor() as cur:
        cur.execute("ALTER TABLE theta_estimates ALTER COLUMN theta TYPE text")
        cur.execute("INSERT INTO theta_estimates VALUES (424242, %s, %s, 'high', 0.3)", (sid, C - dt.timedelta(days=1)))
    source_conn.commit()
    with pytest.raises(SourceSchemaError, match="table 'theta' .*column 'theta' should hold float values"):
        take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)


def test_store_round_trips_every_table_with_its_dtypes(rows, source_conn, tmp_path, source_url):
    sid = rows.student(101, "김민준")
    rows.presentation(sid, rows.item(), C - dt.timedelta(days=1), "correct")
    rows.theta(sid, C - dt.timedelta(days=1), 0.123456789012345678, 0.31)
    snap = take_snapshot(source_url, SQL_DIR, SEOUL, WINDOW)
    store = SnapshotStore(tmp_path)
    folder = store.write(snap)
    store.write(snap)  # replacing a partition leaves one folder
    assert folder == tmp_path / "week=2026-11-16" / "tenant=seoul"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["tenant=seoul"]
    again = store.read(WEEK, "seoul")
    for name, frame in snap.tables().items():
        pd.testing.assert_frame_equal(again.tables()[name], frame, check_dtype=True)
    assert again.theta["theta"].iloc[0] == 0.123456789012345678
    assert again.window == snap.window and again.org_name == "서울중앙중학교"
    assert math.isclose(again.theta["se"].iloc[0], 0.31)
    assert store.manifest(WEEK, "seoul")["rows"]["presentations"] == 1
