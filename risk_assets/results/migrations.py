"""Versioned schema for the pipeline's database: sql/risk_schema/NNN_name.sql, each applied once."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2.extensions

from risk_assets.errors import UserError

_FILE = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")
# Any constant works; it only has to be the same for every process applying migrations.
_MIGRATION_LOCK = 7_301_442


def migration_files(sql_dir: Path) -> list[tuple[int, Path]]:
    folder = sql_dir / "risk_schema"
    files = sorted((int(m.group(1)), p) for p in folder.glob("*.sql") if (m := _FILE.fullmatch(p.name)))
    if not files:
        raise UserError(f"no schema files in {folder}; set RISK_SQL_DIR to the project's sql/ folder")
    return files


def migrate(conn: psycopg2.extensions.connection, sql_dir: Path) -> list[int]:
    """Apply the files not applied yet, in order, in one transaction; returns the versions applied."""
    applied_now = []
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        cur.execute("CREATE SCHEMA IF NOT EXISTS risk")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS risk.schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur.execute("SELECT version FROM risk.schema_migrations")
        done = {row[0] for row in cur.fetchall()}
        for version, path in migration_files(sql_dir):
            if version in done:
                continue
            cur.execute(path.read_text(encoding="utf-8"))
            cur.execute("INSERT INTO risk.schema_migrations (version, name) VALUES (%s, %s)", (version, path.name))
            applied_now.append(version)
    conn.commit()
    return applied_now
