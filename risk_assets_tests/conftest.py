"""Shared fixtures: one real PostgreSQL server for the whole session, fresh databases per test.

The server is the project's embedded one (unix socket, its own data folder under pytest's tmp dir);
set TEST_DATABASE_URL (a superuser URL to the `postgres` database of another server) to use that instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

from risk_assets.database.embedded import EmbeddedPostgres
from risk_assets.settings import PROJECT_DIR

SQL_DIR = PROJECT_DIR / "sql"


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory) -> Iterator[Path]:
    """Tests never touch the project's .data/, .dagster/, reports/ or the operator's configuration."""
    root = tmp_path_factory.mktemp("env")
    saved = dict(os.environ)
    for name in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL", "RISK_CONFIG_DIR"):
        os.environ.pop(name, None)
    os.environ.update({
        "RISK_DATA_DIR": str(root / "data"),
        "RISK_REPORTS_DIR": str(root / "reports"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "RISK_CONFIG_DIR": str(PROJECT_DIR / "config"),
    })
    (root / "dagster_home").mkdir()
    (root / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    yield root
    os.environ.clear()
    os.environ.update(saved)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def traversable_tmp_dir(prefix: str) -> Path:
    """A temporary folder the embedded server's system user can enter (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o711)
    return path


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of the `postgres` database on a real server started for this session."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    root = traversable_tmp_dir("risk-test-pg-")
    server = EmbeddedPostgres(root / "pg")
    try:
        with server.running():
            yield server.url("postgres")
        assert not server.is_running(), "the test PostgreSQL server was left running"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _create_database(admin_url: str, template: str | None = None) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        cur.execute(statement)
    conn.close()
    return name


def _drop_database(admin_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.close()


@pytest.fixture(scope="session")
def source_template(pg_admin_url) -> str:
    """A database with sql/source_schema.sql applied, copied for each test."""
    name = _create_database(pg_admin_url)
    conn = psycopg2.connect(_with_database(pg_admin_url, name))
    with conn, conn.cursor() as cur:
        cur.execute((SQL_DIR / "source_schema.sql").read_text(encoding="utf-8"))
    conn.close()
    return name


@pytest.fixture
def source_url(pg_admin_url, source_template) -> Iterator[str]:
    """URL of a fresh, empty source database (schema applied) for one test."""
    name = _create_database(pg_admin_url, template=source_template)
    yield _with_database(pg_admin_url, name)
    _drop_database(pg_admin_url, name)


@pytest.fixture
def risk_url(pg_admin_url) -> Iterator[str]:
    """URL of a fresh, empty database for the pipeline's own results (schema created by the pipeline)."""
    name = _create_database(pg_admin_url)
    yield _with_database(pg_admin_url, name)
    _drop_database(pg_admin_url, name)


@pytest.fixture
def source_conn(source_url) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(source_url)
    yield conn
    conn.close()


# The longest files (the CLI's daemons, a Celery cluster, the UI) start first, so that with the workers of `make test` (
# pytest-xdist --dist loadfile) the short files fill in around them instead of waiting behind them at the end.
FIRST = ("test_cli.py", "scale/test_celery.py", "test_ui.py", "test_cli_lifecycle.py",
         "faults/test_pipeline_faults.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = item.path.as_posix()
        return next((n for n, suffix in enumerate(FIRST) if path.endswith(suffix)), len(FIRST))

    items.sort(key=rank)  # stable: the order within a file and among the rest is kept


@pytest.fixture
def cli_env(tmp_path) -> Iterator[dict[str, str]]:
    """An environment for `risk-report` in a child process: its own data folder (embedded server), Dagster
    instance, reports and outbox; the embedded server is stopped afterwards."""
    data = traversable_tmp_dir("risk-test-cli-")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL")}
    env.update({"RISK_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "dagster_home"),
                "RISK_REPORTS_DIR": str(tmp_path / "reports"), "RISK_OUTBOX_DIR": str(tmp_path / "outbox")})
    yield env
    subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "db", "stop"], env=env, capture_output=True)
    shutil.rmtree(data, ignore_errors=True)
