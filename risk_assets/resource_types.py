"""Resources at the edge: the two databases, SMTP, the thresholds in force and the folders assets write to.

Two sets (`resources_for`): `local` — the embedded PostgreSQL server's databases unless a URL is exported, SMTP only
when SMTP_HOST is exported (else the outbox) — and `production` — every URL and secret from the environment,
required. Secrets are `dagster.EnvVar` fields: Dagster resolves them in the run and shows only their names.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2.extensions
from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from risk_assets.config import Thresholds
from risk_assets.database.connection import connection
from risk_assets.database.embedded import EmbeddedPostgres
from risk_assets.delivery.email import SmtpSettings
from risk_assets.delivery.slack import timeout_from_env
from risk_assets.partition_files import PartitionFiles
from risk_assets.results.migrations import migrate
from risk_assets.settings import Settings, check_production_databases
from risk_assets.snapshot import SnapshotStore

SOURCE_DATABASE = "risk_source"
RISK_DATABASE = "risk"
SMTP_VARIABLES = ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_TLS", "SMTP_CA_FILE")


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(settings.embedded_dir)


class SourceDatabase(ConfigurableResource):
    """The platform's PostgreSQL, read only."""

    url: str = Field(description="postgresql:// or postgresql+psycopg2:// URL (SOURCE_DATABASE_URL)")


class RiskDatabase(ConfigurableResource):
    """The pipeline's own PostgreSQL (results, delivery ledger); schema `risk` kept current."""

    url: str = Field(description="postgresql:// or postgresql+psycopg2:// URL (RISK_DATABASE_URL)")

    @contextmanager
    def connect(self, sql_dir: Path) -> Iterator[psycopg2.extensions.connection]:
        with connection(self.url, purpose="pipeline database") as conn:
            if self.url not in _MIGRATED:
                migrate(conn, sql_dir)
                _MIGRATED.add(self.url)
            yield conn


_MIGRATED: set[str] = set()  # URLs whose schema this process has brought up to date


class SmtpServer(ConfigurableResource):
    """Where e-mail goes; an empty host means the outbox. Values are validated when a delivery starts."""

    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""
    sender: str = ""
    tls: str = ""
    ca_file: str = ""

    def settings(self) -> SmtpSettings | None:
        values = (self.host, self.port, self.user, self.password, self.sender, self.tls, self.ca_file)
        return SmtpSettings.from_env(dict(zip(SMTP_VARIABLES, values)))


class SlackApi(ConfigurableResource):
    """The Slack Web API base URL (SLACK_API_URL): empty means https://slack.com/api/; GovSlack and proxies differ.
    How long a request waits for Slack's answer (SLACK_TIMEOUT, seconds): empty means 30."""

    base_url: str = ""
    timeout: str = ""

    def url(self) -> str | None:
        return self.base_url.strip() or None

    def timeout_seconds(self) -> int:
        return timeout_from_env({"SLACK_TIMEOUT": self.timeout})


class MetricThresholds(ConfigurableResource):
    """The thresholds in force: thresholds.yaml resolved against its profile, as the UI shows them."""

    source: str = Field(description="the file they were read from")
    values: dict[str, Any] = Field(description="every threshold, profile defaults included")

    @classmethod
    def of(cls, thresholds: Thresholds, source: Path) -> MetricThresholds:
        return cls(source=str(source), values=thresholds.model_dump())

    def thresholds(self) -> Thresholds:
        return Thresholds.model_validate(self.values)


class Storage(ConfigurableResource):
    """Folders on disk: SQL files read; snapshots and metrics written under data_dir, reports under reports_dir."""

    data_dir: str
    sql_dir: str
    reports_dir: str
    outbox_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Storage:
        return cls(data_dir=str(settings.data_dir), sql_dir=str(settings.sql_dir),
                   reports_dir=str(settings.reports_dir), outbox_dir=str(settings.outbox_dir))

    @property
    def sql_path(self) -> Path:
        return Path(self.sql_dir)

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)

    @property
    def render_cache_path(self) -> Path:
        """Quarto skeleton pages kept across runs (rendering/quarto_batch.py): safe to delete at any time."""
        return Path(self.data_dir) / "cache" / "quarto"

    def snapshots(self) -> SnapshotStore:
        return SnapshotStore(Path(self.data_dir) / "snapshots")

    def partition_files(self, week: dt.date, tenant: str) -> PartitionFiles:
        """The partition's students CSV, summary JSON and report: staged by the steps, published together."""
        return PartitionFiles(self.reports_path, week, tenant)

    def metrics_file(self, week: dt.date, tenant: str) -> Path:
        """The metrics asset's stored frame (Parquet keeps the dtypes the CSV cannot)."""
        return Path(self.data_dir) / "metrics" / f"week={week.isoformat()}" / f"tenant={tenant}" / "students.parquet"


def _exported(name: str, env: Mapping[str, str]) -> bool:
    return bool(env.get(name, "").strip())


def _smtp(env: Mapping[str, str]) -> SmtpServer:
    return SmtpServer(**{field: EnvVar(name) for field, name in zip(SmtpServer.model_fields, SMTP_VARIABLES)
                         if _exported(name, env)})


def _database_url(name: str, embedded_database: str, server: EmbeddedPostgres, env: Mapping[str, str]):
    """The exported URL as an EnvVar (the UI shows its name, never its value), else the embedded server's socket."""
    return EnvVar(name) if _exported(name, env) else server.url(embedded_database)


def resources_for(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, ConfigurableResource]:
    """`local`: the embedded server's databases unless a URL is exported; `production`: both URLs required."""
    env = os.environ if env is None else env
    check_production_databases(settings.deployment, env)
    server = embedded_server(settings)
    return {
        "source": SourceDatabase(url=_database_url("SOURCE_DATABASE_URL", SOURCE_DATABASE, server, env)),
        "risk_db": RiskDatabase(url=_database_url("RISK_DATABASE_URL", RISK_DATABASE, server, env)),
        "smtp": _smtp(env),
        "slack": SlackApi(**{field: EnvVar(name) for field, name in (("base_url", "SLACK_API_URL"),
                                                                     ("timeout", "SLACK_TIMEOUT"))
                             if _exported(name, env)}),
        "storage": Storage.from_settings(settings),
    }
