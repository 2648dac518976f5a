"""Resources at the edge: the source database and the folders assets write to."""

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import psycopg2.extensions
from dagster import ConfigurableResource

from risk_assets.database.connection import connection
from risk_assets.database.embedded import EmbeddedPostgres
from risk_assets.delivery.email import SmtpSettings
from risk_assets.errors import UserError
from risk_assets.results.migrations import migrate
from risk_assets.settings import Settings
from risk_assets.snapshot import SnapshotStore

SOURCE_DATABASE = "risk_source"
RISK_DATABASE = "risk"


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(settings.embedded_dir)


def database_url(settings: Settings, env_name: str, embedded_database: str) -> str:
    """The URL in `env_name`, else the embedded server's database if that server is running."""
    configured = {"SOURCE_DATABASE_URL": settings.source_database_url,
                  "RISK_DATABASE_URL": settings.risk_database_url}[env_name]
    if configured:
        return configured
    server = embedded_server(settings)
    if server.is_running():
        return server.url(embedded_database)
    raise UserError(
        f"{env_name} is not set and the embedded PostgreSQL server is not running: "
        "start it with `risk-report db start` (or use `make ui` / `risk-report demo`, which start it), "
        f"or export {env_name}=postgresql://user@host/db"
    )


class SourceDatabase(ConfigurableResource):
    """The platform's PostgreSQL (read only). `url` None: SOURCE_DATABASE_URL or the embedded server."""

    url: Optional[str] = None

    def resolved_url(self) -> str:
        return self.url or database_url(Settings.from_env(), "SOURCE_DATABASE_URL", SOURCE_DATABASE)

    @contextmanager
    def connect(self) -> Iterator[psycopg2.extensions.connection]:
        with connection(self.resolved_url(), purpose="source database") as conn:
            yield conn


class RiskDatabase(ConfigurableResource):
    """The pipeline's own PostgreSQL (results, later the delivery ledger); schema `risk` kept current."""

    url: Optional[str] = None

    def resolved_url(self) -> str:
        return self.url or database_url(Settings.from_env(), "RISK_DATABASE_URL", RISK_DATABASE)

    @contextmanager
    def connect(self, sql_dir: Path) -> Iterator[psycopg2.extensions.connection]:
        url = self.resolved_url()
        with connection(url, purpose="pipeline database") as conn:
            if url not in _MIGRATED:
                migrate(conn, sql_dir)
                _MIGRATED.add(url)
            yield conn


_MIGRATED: set[str] = set()  # URLs whose schema this process has brought up to date


class SmtpServer(ConfigurableResource):
    """SMTP settings from SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_TLS (read at run time,
    so the password never sits in Dagster's configuration); no SMTP_HOST means the outbox."""

    def settings(self) -> Optional[SmtpSettings]:
        return SmtpSettings.from_env()


class Storage(ConfigurableResource):
    """Folders on disk: SQL files read; snapshots and metrics written under data_dir, reports under reports_dir."""

    data_dir: str
    sql_dir: str
    reports_dir: str
    outbox_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "Storage":
        return cls(data_dir=str(settings.data_dir), sql_dir=str(settings.sql_dir),
                   reports_dir=str(settings.reports_dir), outbox_dir=str(settings.outbox_dir))

    @property
    def sql_path(self) -> Path:
        return Path(self.sql_dir)

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)

    def snapshots(self) -> SnapshotStore:
        return SnapshotStore(Path(self.data_dir) / "snapshots")

    def report_file(self, week: dt.date, name: str) -> Path:
        """A file of the week's report folder: reports/<week>/<name>."""
        return self.reports_path / week.isoformat() / name

    def metrics_file(self, week: dt.date, tenant: str) -> Path:
        """The metrics asset's stored frame (Parquet keeps the dtypes the CSV cannot)."""
        return Path(self.data_dir) / "metrics" / f"week={week.isoformat()}" / f"tenant={tenant}" / "students.parquet"
