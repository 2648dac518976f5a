"""Servers the slow tests start in child processes (`dagster dev`, `risk-report ui`, Celery workers, Redis, the SMTP
and Slack stand-ins): a free local port to give them, the URL their Dagster instance stores runs under, waiting until
they are ready, and what of their process group is still alive."""

from __future__ import annotations

import subprocess
import time

from risk_assets.cli.dagster_stack import free_port

__all__ = ["free_port", "group_members", "sqlalchemy_url", "wait_for", "wait_for_tenant_partitions"]


def sqlalchemy_url(libpq_url: str) -> str:
    """DAGSTER_PG_URL for a libpq URL: the dagster-postgres storage names its driver."""
    return libpq_url.replace("postgresql://", "postgresql+psycopg2://", 1)


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    """predicate()'s first true value; an OSError, AssertionError or KeyError from it counts as not yet."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, AssertionError, KeyError) as exc:
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})")


def wait_for_tenant_partitions(port: int, tenants: list[str]) -> None:
    """The daemon's tenant_partitions sensor makes tenants.yaml's tenants partitions on its first tick."""
    from risk_assets.cli import graphql as ui

    server = ui.Webserver(f"http://127.0.0.1:{port}")
    wait_for(lambda: set(tenants) <= set(ui.partition_keys(server, "snapshot", "tenant")), 120,
             "the tenant_partitions sensor")


def group_members(pgid: int) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
