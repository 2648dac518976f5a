"""Columnar extraction (binary COPY into Arrow) reads exactly what row-by-row reading reads, and a large table is
written as Parquet one row group at a time."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
import pyarrow.parquet as pq
import pytest

from risk_assets.config import Tenant
from risk_assets.database.connection import arrow_connection
from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo, load_dataset
from risk_assets.settings import PROJECT_DIR
from risk_assets.snapshot import SnapshotStore, queries, store, take_snapshot
from risk_assets.snapshot.queries import begin_snapshot, fetch_table, read_query, setting_text
from risk_assets.snapshot.schema import SNAPSHOT_TABLES, Table
from risk_assets.window import ReportWindow

SQL_DIR = PROJECT_DIR / "sql"
WEEK = dt.date(2026, 11, 16)
# The snapshot step's output for the demo schools as the row-by-row step (psycopg2 tuples, commit b181365) wrote
# it, before extraction went columnar: per tenant the Parquet files' dtypes, row counts and a digest per column,
# and the manifest's data-quality counts. The θ and se digests were recorded again, by b181365's step on this
# module's demo data, when the generator began storing θ and se with 6 decimals (demo-4); nothing else changed.
RECORDED = Path(__file__).with_name("recorded_demo_snapshots.json")


def read_by_rows(url: str, table: Table, params: dict) -> pd.DataFrame:
    """The same query through psycopg2, one Python tuple per row: the reference."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        conn.set_session(readonly=True, isolation_level="REPEATABLE READ")
        cur.execute("SET TIME ZONE 'UTC'")
        for name, value in params.items():
            cur.execute("SELECT set_config(%s, %s, true)", (f"risk.{name}", setting_text(value)))
        cur.execute(read_query(SQL_DIR, table.name)[0])
        frame = pd.DataFrame.from_records(cur.fetchall(), columns=[d.name for d in cur.description])
        conn.rollback()
    return table.typed(frame, source="reference")


def read_by_columns(url: str, table: Table, params: dict) -> pd.DataFrame:
    with arrow_connection(url) as conn, conn.cursor() as cur:
        begin_snapshot(cur, params)
        frame = fetch_table(cur, SQL_DIR, table)
        conn.rollback()
    return frame


@pytest.fixture(scope="module")
def demo_source(pg_admin_url, source_template):
    from risk_assets_tests.conftest import _create_database, _drop_database, _with_database

    name = _create_database(pg_admin_url, source_template)
    url = _with_database(pg_admin_url, name)
    with psycopg2.connect(url) as conn:
        load_dataset(conn, generate_demo(DEFAULT_DEMO_TENANTS, WEEK, students_per_tenant=60))
    yield url
    _drop_database(pg_admin_url, name)


@pytest.fixture(params=["one batch", "batches of 2 KB"])
def batch_counts(request, monkeypatch):
    """The driver's batch size: its default (a demo table is one batch) or 2 KB, so that every table arrives in
    many batches and is joined column by column; yields the number of batches each table came in."""
    counts: list[int] = []
    join = queries.concatenate_columns
    monkeypatch.setattr(queries, "concatenate_columns", lambda parts: counts.append(len(parts)) or join(parts))
    if request.param != "one batch":
        monkeypatch.setattr(queries, "BATCH_BYTES", 2048)
    yield request.param, counts


@pytest.mark.parametrize("demo", DEFAULT_DEMO_TENANTS, ids=lambda demo: str(demo.org_id))
def test_every_table_of_every_demo_school_reads_the_same_both_ways(demo_source, demo, batch_counts):
    """The dirty school included: bad outcomes and statuses, NULL and negative times, unknown items."""
    batching, counts = batch_counts
    tenant = Tenant(key=f"org-{demo.org_id}", org_id=demo.org_id, name=demo.name, timezone=demo.timezone)
    params = ReportWindow(WEEK, tenant.timezone).query_parameters(tenant.org_id)
    for table in SNAPSHOT_TABLES:
        columns, rows = read_by_columns(demo_source, table, params), read_by_rows(demo_source, table, params)
        assert len(rows) > 0 or table.name == "school_days", table.name
        for coded in ("outcome", "status"):  # a categorical of the source's own spellings, same values
            if coded in columns:
                assert isinstance(columns[coded].dtype, pd.CategoricalDtype)
                columns[coded] = columns[coded].astype(object)
        pd.testing.assert_frame_equal(columns, rows, check_exact=True, obj=table.name)
    if batching == "one batch":
        assert set(counts) == {1}
    else:  # presentations, θ and attendance came in pieces, each a categorical of its own spellings for codes
        assert max(counts) > 10


def test_batches_with_different_spellings_join_into_one_categorical():
    parts = [pd.DataFrame({"id": pd.array([1, None], dtype="Int64"),
                           "outcome": pd.Categorical(["correct", "Correct "])}),
             pd.DataFrame({"id": pd.array([3], dtype="Int64"), "outcome": pd.Categorical(["bogus"])})]
    joined = queries.concatenate_columns(parts)
    assert joined["outcome"].tolist() == ["correct", "Correct ", "bogus"]
    assert isinstance(joined["outcome"].dtype, pd.CategoricalDtype)
    assert joined["id"].dtype == "Int64" and joined["id"].tolist() == [1, pd.NA, 3]
    assert all(part.columns.empty for part in parts)  # each part's columns were let go as they were joined


def column_digest(values: pd.Series) -> str:
    """Every value's exact text (floats in their shortest round-trip form, NULL as <NA>/nan/NaT), hashed."""
    return hashlib.sha256("\x1f".join(values.astype(object).astype(str)).encode()).hexdigest()[:16]


def snapshot_files(folder: Path) -> dict:
    """What the recording holds of one stored snapshot folder."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    tables = {}
    for name in store.TABLE_FILES:
        frame = pd.read_parquet(folder / f"{name}.parquet")
        tables[name] = {"rows": len(frame), "dtypes": {c: str(t) for c, t in frame.dtypes.items()},
                        "digests": {c: column_digest(frame[c]) for c in frame.columns}}
    return {"quality": manifest["quality"], "tables": tables}


def test_the_stored_snapshot_of_every_demo_school_is_what_the_row_by_row_step_wrote(demo_source, tmp_path):
    """Parquet files (dtypes, rows, every value), data-quality counts and quarantined rows, tenant by tenant."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    assert sorted(recorded) == sorted(f"org-{demo.org_id}" for demo in DEFAULT_DEMO_TENANTS)
    snapshots = SnapshotStore(tmp_path)
    for demo in DEFAULT_DEMO_TENANTS:
        tenant = Tenant(key=f"org-{demo.org_id}", org_id=demo.org_id, name=demo.name, timezone=demo.timezone)
        folder = snapshots.write(take_snapshot(demo_source, SQL_DIR, tenant, ReportWindow(WEEK, tenant.timezone)))
        assert snapshot_files(folder) == recorded[tenant.key], tenant.key
    assert recorded["org-102"]["tables"]["rejected"]["rows"] == 5  # the dirty school's quarantined rows


def test_a_table_larger_than_a_row_group_is_written_group_by_group(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 4)
    frame = pd.DataFrame({
        "id": np.arange(10, dtype=np.int64),
        "outcome": pd.Categorical(["correct", "omitted"] * 5, categories=["correct", "incorrect", "omitted"]),
        "time": pd.array([1, None, 3, 4, None, 6, 7, 8, 9, None], dtype="Int64"),
        "name": ["a", None, "c", "d", "e", "f", "g", "h", "i", None],
        "at": pd.date_range("2026-11-16", periods=10, freq="h", tz="UTC").astype("datetime64[ns, UTC]"),
    })
    store.write_parquet(frame, tmp_path / "t.parquet")
    assert pq.ParquetFile(tmp_path / "t.parquet").metadata.num_row_groups == 3
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)
