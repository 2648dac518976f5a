"""What a command needs around it: the databases (the embedded server unless URLs are exported) and DAGSTER_HOME."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from risk_assets.database.connection import connection
from risk_assets.database.demo_marker import mark_demo_database
from risk_assets.database.embedded import SHARED, STARTED, TAKEN_OVER
from risk_assets.resource_types import RISK_DATABASE, SOURCE_DATABASE, embedded_server
from risk_assets.settings import PROJECT_DIR, Settings, check_production_databases


@dataclass(frozen=True)
class Databases:
    source_url: str
    risk_url: str


def apply_sql_file(url: str, path: Path, purpose: str) -> None:
    with connection(url, purpose=purpose) as conn:
        with conn.cursor() as cur:
            cur.execute(path.read_text(encoding="utf-8"))
        conn.commit()


def prepare_embedded_source(settings: Settings, url: str) -> None:
    """The embedded server's source database: the source contract, and the mark of the product's own demo database
    (risk_assets/database/demo_marker.py) so that its URL, once exported, is still accepted by the demo commands."""
    apply_sql_file(url, settings.sql_dir / "source_schema.sql", "source database")
    mark_demo_database(url)


_SERVER_STATES = {
    STARTED: "started the embedded PostgreSQL server ({folder})",
    TAKEN_OVER: "took over the embedded PostgreSQL server ({folder}) that a killed command left running; "
                "it is stopped at the end",
    SHARED: "using the embedded PostgreSQL server started by `risk-report db start` ({folder}); it is left running",
}


@contextmanager
def databases(settings: Settings, progress=print) -> Iterator[Databases]:
    """Configured URLs, or the embedded server for whichever is unset (started now, stopped after); in production
    both URLs, checked before anything starts."""
    check_production_databases(settings.deployment, os.environ)
    if settings.source_database_url and settings.risk_database_url:
        yield Databases(settings.source_database_url, settings.risk_database_url)
        return
    server = embedded_server(settings)
    with server.running() as state:
        progress(_SERVER_STATES[state].format(folder=server.data_dir))
        source_url = settings.source_database_url or server.ensure_database(SOURCE_DATABASE)
        risk_url = settings.risk_database_url or server.ensure_database(RISK_DATABASE)
        if not settings.source_database_url:
            prepare_embedded_source(settings, source_url)
        # Dagster's runs find the same server: the local resource set points at its socket
        # (risk_assets/resource_types.py).
        yield Databases(source_url, risk_url)
    progress("left the embedded PostgreSQL server running; `risk-report db stop` stops it" if state == SHARED else
             "stopped the embedded PostgreSQL server")


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME, defaulting to .dagster/ in the project with the project's dagster.yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_DIR / ".dagster")
    home.mkdir(parents=True, exist_ok=True)
    template = PROJECT_DIR / "dagster.yaml"
    if not (home / "dagster.yaml").exists() and template.exists():
        shutil.copyfile(template, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home

