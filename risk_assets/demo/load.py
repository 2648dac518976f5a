"""Load a DemoDataset into the source database with COPY, replacing its tenants' rows.

One transaction: delete the dataset's tenants (children first), then COPY every table in
load order. Values travel only in the CSV stream, never in SQL text: floats with 17
significant digits (lossless), NULL as an empty unquoted field, text always quoted,
timestamps as ISO 8601 with offset, dates as YYYY-MM-DD.

Items are COPYed into a temporary table and upserted (INSERT ... ON CONFLICT DO UPDATE)
rather than deleted and re-inserted. The end state is the same, since every item of the
dataset is written again, but the delete route fails for items another tenant still
references, and costs PostgreSQL a scan of item_presentations per deleted item for its
foreign-key check (the schema has no index on item_presentations.item_id): 6.4 s of a
12.6 s reload at the default size. Items in the database that are not in the dataset are
left alone: other tenants may use them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from psycopg2 import sql
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

from .dataset import DemoDataset
from .schema import DATE_COLUMNS, SOURCE_COLUMNS, SOURCE_TABLES

CHUNK_ROWS = 200_000
ITEMS_STAGE = "demo_items_stage"

_DELETE_TENANT_ROWS = (
    "DELETE FROM attendance WHERE student_id IN (SELECT student_id FROM students WHERE org_id = ANY(%(orgs)s))",
    "DELETE FROM theta_estimates WHERE student_id IN (SELECT student_id FROM students WHERE org_id = ANY(%(orgs)s))",
    "DELETE FROM item_presentations WHERE student_id IN (SELECT student_id FROM students WHERE org_id = ANY(%(orgs)s))",
    "DELETE FROM school_days WHERE org_id = ANY(%(orgs)s)",
    "DELETE FROM students WHERE org_id = ANY(%(orgs)s)",
    "DELETE FROM organizations WHERE org_id = ANY(%(orgs)s)",
)


def load_dataset(conn: Connection, dataset: DemoDataset) -> dict[str, int]:
    """Replace the dataset's tenants in the database; returns rows loaded per table."""
    parameters = {"orgs": dataset.organizations["org_id"].tolist()}
    loaded: dict[str, int] = {}
    with _transaction(conn), conn.cursor() as cur:
        for statement in _DELETE_TENANT_ROWS:
            cur.execute(statement, parameters)
        for table in SOURCE_TABLES:
            frame = getattr(dataset, table)
            loaded[table] = (
                _upsert_items(cur, frame) if table == "items" else _copy(cur, table, SOURCE_COLUMNS[table], frame)
            )
        # The planner's statistics, as autovacuum would gather them some time later: without them it expects a
        # row or two per tenant and picks nested loops, and the snapshot queries take three times as long
        # (docs/snapshot.md: Query plans).
        cur.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, SOURCE_TABLES))))
    return loaded


@contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    """Commit on success, roll back on any error; works on autocommit connections too."""
    autocommit = conn.autocommit
    if autocommit:
        conn.autocommit = False
    try:
        yield
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        if autocommit:
            conn.autocommit = True


def _copy(cur: Cursor, table: str, columns: tuple[str, ...], frame: pd.DataFrame) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    query = statement.as_string(cur)
    rows = 0
    for chunk in _csv_chunks(frame, columns):
        cur.copy_expert(query, io.BytesIO(chunk))
        rows += cur.rowcount
    return rows


def _upsert_items(cur: Cursor, items: pd.DataFrame) -> int:
    columns = SOURCE_COLUMNS["items"]
    stage, target = sql.Identifier(ITEMS_STAGE), sql.Identifier("items")
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    cur.execute(sql.SQL("CREATE TEMPORARY TABLE {} (LIKE {}) ON COMMIT DROP").format(stage, target))
    _copy(cur, ITEMS_STAGE, columns, items)
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(column)) for column in columns[1:]
    )
    cur.execute(
        sql.SQL("INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} "
                "ON CONFLICT (item_id) DO UPDATE SET {updates}").format(
            target=target, cols=column_list, stage=stage, updates=updates
        )
    )
    return cur.rowcount


def _csv_chunks(frame: pd.DataFrame, columns: tuple[str, ...]) -> Iterator[bytes]:
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        fields = [_csv_field(part[column], column in DATE_COLUMNS) for column in columns]
        lines = fields[0].str.cat(fields[1:], sep=",")
        yield ("\n".join(lines) + "\n").encode("utf-8")


def _csv_field(column: pd.Series, is_date: bool) -> pd.Series:
    """One column as CSV field text; NULL becomes an empty unquoted field."""
    null = column.isna().to_numpy()
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        instants = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
        text = np.char.add(np.datetime_as_string(instants, unit="us"), "+00:00")
    elif pd.api.types.is_float_dtype(column.dtype):
        text = np.char.mod("%.17g", column.to_numpy(dtype=np.float64))
    elif pd.api.types.is_integer_dtype(column.dtype):
        text = column.astype(str).to_numpy()
    elif is_date:
        text = np.datetime_as_string(pd.to_datetime(column).to_numpy(dtype="datetime64[D]"))
    else:
        text = '"' + column.astype(str).str.replace('"', '""', regex=False).to_numpy(dtype=object) + '"'
    return pd.Series(np.where(null, "", text), index=column.index, dtype=object)

