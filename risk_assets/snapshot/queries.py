"""Running the snapshot SQL in `sql/` with bound parameters only."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd
import psycopg2
import psycopg2.extensions

from risk_assets.errors import UserError
from risk_assets.snapshot.schema import SourceSchemaError, Table

QUERY_FILES = {
    "organization": "snapshot_organization.sql",
    "students": "snapshot_students.sql",
    "presentations": "snapshot_presentations.sql",
    "theta": "snapshot_theta.sql",
    "school_days": "snapshot_school_days.sql",
    "attendance": "snapshot_attendance.sql",
    "item_times": "snapshot_item_times.sql",
    "shared_students": "snapshot_shared_students.sql",
}


def read_query(sql_dir: Path, name: str) -> tuple[str, Path]:
    path = sql_dir / QUERY_FILES[name]
    try:
        return path.read_text(encoding="utf-8"), path
    except FileNotFoundError:
        raise UserError(f"snapshot query file {path} is missing; set RISK_SQL_DIR to the folder holding the sql/ files") from None


def run_query(conn: psycopg2.extensions.connection, sql_dir: Path, name: str,
              params: Mapping[str, object]) -> tuple[pd.DataFrame, Path]:
    text, path = read_query(sql_dir, name)
    try:
        with conn.cursor() as cur:
            cur.execute(text, params)
            columns = [d.name for d in cur.description]
            rows = cur.fetchall()
    except psycopg2.errors.UndefinedTable as exc:
        conn.rollback()
        raise SourceSchemaError(f"source schema drift: {_first_line(exc)} in {path}; adapt the query to the source's table names") from None
    except psycopg2.errors.UndefinedColumn as exc:
        conn.rollback()
        raise SourceSchemaError(f"source schema drift: {_first_line(exc)} in {path}; adapt the query to the source's column names") from None
    except psycopg2.ProgrammingError as exc:
        conn.rollback()
        raise SourceSchemaError(f"query {path} failed: {_first_line(exc)}") from None
    return pd.DataFrame.from_records(rows, columns=columns), path


def fetch_table(conn: psycopg2.extensions.connection, sql_dir: Path, table: Table,
                params: Mapping[str, object]) -> pd.DataFrame:
    frame, path = run_query(conn, sql_dir, table.name, params)
    return table.typed(frame, source=str(path.name))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
