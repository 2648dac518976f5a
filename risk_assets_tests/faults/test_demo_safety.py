"""Demo safety: no command writes demo data into a source database the product did not create for the demo.

A second PostgreSQL (the session's test server, not the CLI's embedded one) holds a real platform's rows: schools
101 (an org_id the demo uses too) and 999, one student each with attendance, a θ estimate and a presentation of a
real item whose id the demo's item bank uses as well. Every command that loads demo data is pointed at it through
SOURCE_DATABASE_URL; afterwards every row of every table is the same, and no table was added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg2
import pytest
from psycopg2 import sql

from risk_assets.cli.demo import refuse_unless_demo_allowed
from risk_assets.database.demo_marker import MARKER_TABLE
from risk_assets.settings import PROJECT_DIR, Settings
from risk_assets_tests.conftest import traversable_tmp_dir

REAL_ROWS = (
    "INSERT INTO organizations VALUES (101, 'Real School 101'), (999, 'Real School 999')",
    "INSERT INTO students VALUES (5, 101, 'Real Student A', '1-1', '2026-03-02', NULL), "
    "(6, 999, 'Real Student B', '2-1', '2026-03-02', NULL)",
    "INSERT INTO items VALUES (1000001, 1.1, 0.2, 0.25, 4)",  # the demo's first item id
    "INSERT INTO item_presentations VALUES (77, 5, 1, 1000001, '2026-11-17 01:00+00', 'correct', 4200)",
    "INSERT INTO theta_estimates VALUES (88, 5, '2026-11-17 01:05+00', 0.4, 0.3)",
    "INSERT INTO school_days VALUES (101, '2026-11-17'), (999, '2026-11-17')",
    "INSERT INTO attendance VALUES (5, '2026-11-17', 'present'), (6, '2026-11-17', 'late')",
)


@pytest.fixture
def real_source(source_url) -> str:
    with psycopg2.connect(source_url) as conn, conn.cursor() as cur:
        for statement in REAL_ROWS:
            cur.execute(statement)
    return source_url


def full_dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table outside PostgreSQL's own schemas, sorted."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")
        tables = cur.fetchall()
        dump = {}
        for schema, table in tables:
            cur.execute(sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
            dump[f"{schema}.{table}"] = sorted(cur.fetchall(), key=repr)
    return dump


@pytest.fixture
def cli_env(tmp_path) -> Iterator[dict[str, str]]:
    data = traversable_tmp_dir("risk-test-demo-safety-")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL",
                                                            "RISK_DEPLOYMENT")}
    env.update({"RISK_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "dagster_home"),
                "RISK_REPORTS_DIR": str(tmp_path / "reports"), "RISK_OUTBOX_DIR": str(tmp_path / "outbox")})
    yield env
    subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "db", "stop"], env=env, capture_output=True)
    shutil.rmtree(data, ignore_errors=True)


def risk_report(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "risk_assets.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=600, cwd=PROJECT_DIR)


def test_demo_commands_refuse_a_real_source_and_change_no_row(real_source, cli_env):
    before = full_dump(real_source)
    assert before["public.students"] and before["public.items"]
    env = {**cli_env, "SOURCE_DATABASE_URL": real_source}

    for command in ("seed-demo", "demo"):
        result = risk_report(command, env=env)
        assert result.returncode == 2, command + "\n" + result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith(
            "risk-report: error: SOURCE_DATABASE_URL names a database that risk-report did not create for the demo "
            "(host "), result.stderr
        assert (f"database {urlsplit(real_source).path.lstrip('/')}, user postgres): demo data would delete"
                in result.stderr)
        assert ("so nothing was written. Unset SOURCE_DATABASE_URL to load the demo into the embedded server, or "
                "point it at the embedded server's demo database") in result.stderr
        assert "starting Dagster" not in result.stdout and "generating demo data" not in result.stdout
        assert full_dump(real_source) == before, command

    # `accuracy` loads its synthetic school into a database it creates on the embedded server, whatever the URL.
    measured = risk_report("accuracy", "--students", "40", env=env)
    assert measured.returncode == 0, measured.stdout + measured.stderr
    assert full_dump(real_source) == before


def test_demo_commands_never_run_in_production(real_source, risk_url, cli_env):
    before = full_dump(real_source)
    env = {**cli_env, "RISK_DEPLOYMENT": "production", "SOURCE_DATABASE_URL": real_source,
           "RISK_DATABASE_URL": risk_url}
    for command in ("seed-demo", "demo"):
        result = risk_report(command, env=env)
        assert result.returncode == 2, command + "\n" + result.stdout + result.stderr
        assert result.stderr.startswith("risk-report: error: the demo commands (demo, seed-demo) do not run with "
                                        "RISK_DEPLOYMENT=production"), result.stderr
        assert full_dump(real_source) == before, command


def test_the_embedded_demo_database_is_marked_and_accepted_by_url(cli_env):
    """The embedded server's source is the product's own: marked when created, so its URL exported is accepted."""
    started = risk_report("db", "start", env=cli_env)
    assert started.returncode == 0, started.stderr
    url = started.stdout.split("SOURCE_DATABASE_URL=")[1].split()[0]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(MARKER_TABLE)))
        assert cur.fetchone() == (1,)
    refuse_unless_demo_allowed(Settings.from_env({**cli_env, "SOURCE_DATABASE_URL": url}))  # accepted: no error
