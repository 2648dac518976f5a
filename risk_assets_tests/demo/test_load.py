"""load_dataset against a real PostgreSQL; `source_conn` comes from risk_assets_tests/conftest.py
(an empty database with sql/source_schema.sql applied)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import psycopg2
import pytest
from psycopg2 import sql

from risk_assets.demo import (
    DEFAULT_DEMO_TENANTS,
    SOURCE_TABLES,
    generate_demo,
    load_dataset,
)

from .helpers import LAST_WEEK, SMALL


def _counts(conn) -> dict[str, int]:
    with conn.cursor() as cur:
        counts = {}
        for table in SOURCE_TABLES:
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = cur.fetchone()[0]
    conn.rollback()
    return counts


def _fetch(conn, query: str, *params) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def _frame_counts(dataset) -> dict[str, int]:
    return {table: len(getattr(dataset, table)) for table in SOURCE_TABLES}


def test_load_writes_every_row(source_conn, small_demo):
    loaded = load_dataset(source_conn, small_demo)
    assert loaded == _frame_counts(small_demo)
    assert _counts(source_conn) == _frame_counts(small_demo)


def test_load_leaves_the_planner_statistics_of_every_table(source_conn, small_demo):
    load_dataset(source_conn, small_demo)
    estimates = dict(_fetch(source_conn, "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
                            list(SOURCE_TABLES)))
    assert estimates == _frame_counts(small_demo)  # -1 (never analysed) for each table without ANALYZE


def test_loading_twice_gives_the_same_rows(source_conn, small_demo):
    load_dataset(source_conn, small_demo)
    first = _fetch(source_conn, "SELECT presentation_id, outcome, presented_at FROM item_presentations ORDER BY 1")
    assert load_dataset(source_conn, small_demo) == _frame_counts(small_demo)
    assert _counts(source_conn) == _frame_counts(small_demo)
    assert _fetch(source_conn,
                  "SELECT presentation_id, outcome, presented_at FROM item_presentations ORDER BY 1") == first


def test_text_dates_and_nulls_round_trip(source_conn, small_demo):
    load_dataset(source_conn, small_demo)
    rows = _fetch(
        source_conn,
        "SELECT student_id, org_id, display_name, class_name, enrolled_on, withdrawn_on FROM students ORDER BY 1",
    )
    expected = small_demo.students.sort_values("student_id")
    assert rows == list(expected.itertuples(index=False, name=None))
    korean = expected.loc[expected["org_id"] == 101].iloc[0]
    ((name,),) = _fetch(source_conn, "SELECT display_name FROM students WHERE student_id = %s", int(korean.student_id))
    assert name == korean.display_name and any("\uac00" <= ch <= "\ud7a3" for ch in name)
    ((school,),) = _fetch(source_conn, "SELECT name FROM organizations WHERE org_id = 102")
    assert school == "부산해양고등학교"
    statuses = _fetch(source_conn, "SELECT status, count(*) FROM attendance WHERE status NOT IN "
                      "('present', 'late', 'absent', 'excused') GROUP BY 1 ORDER BY 1")
    assert statuses == [(" Absent", 2), ("unknown", 1)]
    outcomes = _fetch(source_conn, "SELECT outcome, count(*) FROM item_presentations WHERE outcome NOT IN "
                      "('correct', 'incorrect', 'omitted') GROUP BY 1 ORDER BY 1")
    assert outcomes == [(" CORRECT ", 2), ("Omitted", 1), ("skipped", 2)]
    ((null_rt,),) = _fetch(source_conn, "SELECT count(*) FROM item_presentations WHERE response_time_ms IS NULL")
    assert null_rt == small_demo.item_presentations["response_time_ms"].isna().sum()
    ((null_options,),) = _fetch(source_conn, "SELECT count(*) FROM items WHERE n_options IS NULL")
    assert null_options == small_demo.items["n_options"].isna().sum() == 4


def test_floats_round_trip_bit_exactly(source_conn, small_demo):
    load_dataset(source_conn, small_demo)
    rows = _fetch(source_conn, "SELECT estimate_id, theta, se FROM theta_estimates ORDER BY 1")
    expected = small_demo.theta_estimates.sort_values("estimate_id")
    got = np.array([[np.nan if v is None else v for v in row[1:]] for row in rows], dtype=np.float64)
    want = expected[["theta", "se"]].to_numpy()
    assert [row[0] for row in rows] == expected["estimate_id"].tolist()
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[~np.isnan(got)].view(np.int64), want[~np.isnan(want)].view(np.int64))
    item_rows = _fetch(source_conn, "SELECT a, b, c FROM items ORDER BY item_id")
    items = np.array([[np.nan if v is None else v for v in row] for row in item_rows], dtype=np.float64)
    bank = small_demo.items.sort_values("item_id")[["a", "b", "c"]].to_numpy()
    assert np.array_equal(items, bank, equal_nan=True)


def test_timestamps_round_trip(source_conn, small_demo):
    load_dataset(source_conn, small_demo)
    rows = _fetch(source_conn, "SELECT presented_at FROM item_presentations ORDER BY presentation_id")
    got = pd.DatetimeIndex([row[0] for row in rows]).tz_convert("UTC").as_unit("ns")
    assert got.equals(pd.DatetimeIndex(small_demo.item_presentations["presented_at"]))


def test_loading_one_tenant_leaves_the_others_alone(source_conn, small_demo):
    load_dataset(source_conn, small_demo)
    before = dict(_fetch(source_conn, "SELECT org_id, count(*) FROM students GROUP BY 1"))
    only_101 = generate_demo(DEFAULT_DEMO_TENANTS[:1], LAST_WEEK, seed=small_demo.seed + 1, **SMALL)
    load_dataset(source_conn, only_101)
    assert dict(_fetch(source_conn, "SELECT org_id, count(*) FROM students GROUP BY 1")) == before
    presentations = dict(_fetch(source_conn, "SELECT s.org_id, count(*) FROM item_presentations p "
                                             "JOIN students s USING (student_id) GROUP BY 1"))
    frame = small_demo.item_presentations
    assert presentations[102] == (frame["student_id"] // 100_000 == 102).sum()
    assert presentations[101] == len(only_101.item_presentations)
    # Items still referenced by orgs 102 and 201 were updated in place to the new bank.
    a = [row[0] for row in _fetch(source_conn, "SELECT a FROM items ORDER BY item_id")]
    assert np.array_equal(np.array(a, dtype=float), only_101.items["a"].to_numpy(), equal_nan=True)


def test_a_failed_load_changes_nothing(source_conn, small_demo):
    load_dataset(source_conn, small_demo)
    before = _counts(source_conn)
    orphan = small_demo.attendance.assign(student_id=small_demo.attendance["student_id"] + 99_999)
    broken = dataclasses.replace(small_demo, attendance=orphan)
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        load_dataset(source_conn, broken)
    assert _counts(source_conn) == before


def test_autocommit_connections_are_restored(source_conn, small_demo):
    source_conn.autocommit = True
    load_dataset(source_conn, small_demo)
    assert source_conn.autocommit is True
    source_conn.autocommit = False
    assert _counts(source_conn) == _frame_counts(small_demo)
