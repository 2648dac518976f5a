"""The Dagster instance's PostgreSQL storage, with its connections kept open between calls.

dagster-postgres opens a new PostgreSQL connection for every storage call outside the webserver: a run writes
about twenty events per school, each several calls, so a batch of schools opened ≈ 80 connections per school and
the server forked a backend and checked a password for each — more CPU than the school's own work. This is
dagster-postgres' own storage, configured the way dagster-webserver configures it for itself (one connection held
per storage, more opened while calls overlap), in every process that opens the instance: daemon, code server, run
workers, the CLI. Configured in dagster.yaml as `storage: custom:` with the `postgres:` block's settings
(docs/deploy.md; the numbers: docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_postgres import DagsterPostgresStorage

POOL_RECYCLE_SECONDS = 3600  # a held connection is replaced after an hour, as dagster-webserver's (--db-pool-recycle)
UNLIMITED_OVERFLOW = -1  # calls that overlap each open a connection of their own, as without the pool
NO_STATEMENT_TIMEOUT = 0  # as dagster-postgres outside the webserver: a long daemon query is not cut short


class PooledPostgresStorage(DagsterPostgresStorage):
    """`storage: postgres:` whose run, event-log and schedule storages each keep one connection open."""

    @classmethod
    def from_config_value(  # type: ignore[override]
            cls, inst_data: Any, config_value: Mapping[str, Any]) -> DagsterPostgresStorage:
        storage = super().from_config_value(inst_data, config_value)  # type: ignore[arg-type]
        for part in (storage.run_storage, storage.event_log_storage, storage.schedule_storage):
            part.optimize_for_webserver(statement_timeout=NO_STATEMENT_TIMEOUT, pool_recycle=POOL_RECYCLE_SECONDS,
                                        max_overflow=UNLIMITED_OVERFLOW)
        return storage
