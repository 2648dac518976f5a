"""What a command needs around it: the databases (embedded unless configured) and the Dagster instance."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from dagster import DagsterInstance

from risk_assets.database.connection import connection
from risk_assets.resources import RISK_DATABASE, SOURCE_DATABASE, embedded_server
from risk_assets.settings import PROJECT_DIR, Settings


@dataclass(frozen=True)
class Databases:
    source_url: str
    risk_url: str


def apply_sql_file(url: str, path: Path, purpose: str) -> None:
    with connection(url, purpose=purpose) as conn:
        with conn.cursor() as cur:
            cur.execute(path.read_text(encoding="utf-8"))
        conn.commit()


@contextmanager
def _exported(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block: Dagster runs and resources read them."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def databases(settings: Settings, progress=print) -> Iterator[Databases]:
    """Configured URLs, or the embedded server for whichever is unset (started now, stopped after)."""
    if settings.source_database_url and settings.risk_database_url:
        yield Databases(settings.source_database_url, settings.risk_database_url)
        return
    server = embedded_server(settings)
    progress(f"starting the embedded PostgreSQL server ({server.data_dir})")
    with server.running():
        source_url = settings.source_database_url or server.ensure_database(SOURCE_DATABASE)
        risk_url = settings.risk_database_url or server.ensure_database(RISK_DATABASE)
        if not settings.source_database_url:
            apply_sql_file(source_url, settings.sql_dir / "source_schema.sql", "source database")
        with _exported({"SOURCE_DATABASE_URL": source_url, "RISK_DATABASE_URL": risk_url}):
            yield Databases(source_url, risk_url)
    progress("stopped the embedded PostgreSQL server")


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME, defaulting to .dagster/ in the project with the project's dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_DIR / ".dagster")
    home.mkdir(parents=True, exist_ok=True)
    template = PROJECT_DIR / "dagster.yaml"
    if not (home / "dagster.yaml").exists() and template.exists():
        shutil.copyfile(template, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def dagster_instance(settings: Settings) -> DagsterInstance:
    dagster_home(settings)
    return DagsterInstance.get()
