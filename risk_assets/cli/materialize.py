"""Materialising partitions the way the UI does: a backfill through the webserver, one run per partition,
followed in the terminal partition by partition."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import yaml

from risk_assets.cli import graphql
from risk_assets.cli.graphql import FINISHED, Webserver
from risk_assets.partitions import TENANT, TENANT_PARTITIONS, partition_key, split_partition_key

ASSETS = ("snapshot", "metrics", "tenant_summary", "tenant_report")
BACKFILL_DONE = ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED")
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class PartitionOutcome:
    week: dt.date
    tenant: str
    success: bool
    run_id: str
    seconds: float
    error: Optional[str] = None
    failed_checks: tuple[str, ...] = ()  # ERROR-severity checks that failed in a run that succeeded

    @property
    def clean(self) -> bool:
        return self.success and not self.failed_checks


def _tags(run: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def _outcome(server: Webserver, run: dict) -> PartitionOutcome:
    week, tenant = split_partition_key(_tags(run)["dagster/partition"])
    success = run["status"] == "SUCCESS"
    seconds = (run.get("endTime") or 0) - (run.get("startTime") or 0)
    return PartitionOutcome(week, tenant, success, run["runId"], max(seconds, 0.0),
                            None if success else graphql.run_failure(server, run["runId"]),
                            tuple(graphql.failed_checks(server, run["runId"])) if success else ())


def _state(outcome: PartitionOutcome) -> str:
    if not outcome.success:
        return "FAILED"
    return f"ok, CHECK FAILED {'; '.join(outcome.failed_checks)}" if outcome.failed_checks else "ok"


def follow_backfill(server: Webserver, backfill_id: str, expected: int, progress: Callable[[str], None],
                    timeout: float = 6 * 3600) -> list[PartitionOutcome]:
    """Print each partition's outcome as its run ends; return the newest run's outcome per partition."""
    reported: dict[str, PartitionOutcome] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = graphql.backfill(server, backfill_id)
        runs = sorted(state["runs"], key=lambda r: r.get("startTime") or 0)
        for run in runs:
            if run["status"] in FINISHED and run["runId"] not in {o.run_id for o in reported.values()}:
                outcome = _outcome(server, run)
                key = str(partition_key(outcome.week, outcome.tenant))
                reported[key] = outcome
                progress(f"  [{len(reported)}/{expected}] {outcome.tenant} {outcome.week}: "
                         f"{_state(outcome)} ({outcome.seconds:.1f} s, run {outcome.run_id[:8]})")
        if state["status"] in BACKFILL_DONE and all(r["status"] in FINISHED for r in runs):
            return sorted(reported.values(), key=lambda o: (o.week, o.tenant))
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"backfill {backfill_id} did not finish in {timeout:.0f} s")


def add_missing_tenant_partitions(server: Webserver, tenants: Sequence[str], progress: Callable[[str], None]) -> None:
    """Tenants of tenants.yaml the tenant_partitions sensor has not made partitions yet (added since its last tick)."""
    missing = sorted(set(tenants) - set(graphql.partition_keys(server, ASSETS[0], TENANT)))
    for tenant in missing:
        graphql.add_dynamic_partition(server, TENANT_PARTITIONS, tenant)
    if missing:
        progress(f"added tenant partition(s): {', '.join(missing)}")


def materialize(server: Webserver, weeks: Sequence[dt.date], tenants: Sequence[str], title: str, trigger: str,
                progress: Callable[[str], None]) -> tuple[str, list[PartitionOutcome]]:
    """One asset backfill of the whole pipeline over weeks × tenants, as the asset graph's Materialize does."""
    add_missing_tenant_partitions(server, tenants, progress)
    partitions = [str(partition_key(week, tenant)) for week in sorted(weeks) for tenant in tenants]
    backfill_id = graphql.launch_asset_backfill(server, ASSETS, partitions, {"risk/trigger": trigger}, title)
    try:
        progress(f"backfill {backfill_id}: {len(partitions)} partition(s), one run each "
                 f"({server.url}/runs/b/{backfill_id})")
        outcomes = follow_backfill(server, backfill_id, len(partitions), progress)
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C or SIGTERM: the daemon would otherwise run the rest later
        graphql.cancel_backfill(server, backfill_id)
        progress(f"cancelled backfill {backfill_id}: no further partition runs")
        raise
    missing = set(partitions) - {str(partition_key(o.week, o.tenant)) for o in outcomes}
    outcomes += [PartitionOutcome(*split_partition_key(key), False, "", 0.0,
                                  "not launched: the backfill ended before this partition ran") for key in sorted(missing)]
    return backfill_id, outcomes


def deliver(server: Webserver, reports: Sequence[str], tags: dict[str, str], progress: Callable[[str], None],
            timeout: float = 600) -> tuple[bool, str, str]:
    """One run of the delivery job for `reports` (partition keys); (success, run id, failure message)."""
    from risk_assets.defs.delivery.job import DELIVERY_JOB, delivery_tags, run_config

    run_id = graphql.launch_run(server, DELIVERY_JOB, run_config(list(reports)), {**delivery_tags(list(reports)), **tags})
    progress(f"delivery run {run_id[:8]} for {len(reports)} report(s)")
    status = wait_for_run(server, run_id, timeout)
    return status == "SUCCESS", run_id, "" if status == "SUCCESS" else graphql.run_failure(server, run_id)


def wait_for_run(server: Webserver, run_id: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = graphql.run(server, run_id)["status"]
        if status in FINISHED:
            return status
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"run {run_id} did not finish in {timeout:.0f} s")


def wait_for_sensor_start(server: Webserver, sensor: str, timeout: float = 120) -> bool:
    """Until a RUNNING sensor has evaluated once (it starts after the newest report then); False if stopped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, cursor = graphql.sensor_cursor(server, sensor)
        if status != "RUNNING":
            return False
        if cursor is not None:
            return True
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"the {sensor} sensor did not evaluate within {timeout:.0f} s")


def wait_for_sensor_deliveries(server: Webserver, since: float, reports: set[str], timeout: float = 300) -> list[dict]:
    """Until finished delivery runs created after `since` cover every report; returns those runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = graphql.delivery_runs(server, since)
        covered = {key for run in runs if run["status"] in FINISHED
                   for key in yaml.safe_load(run["runConfigYaml"])["ops"]["deliver_reports"]["config"]["reports"]}
        if reports <= covered and all(run["status"] in FINISHED for run in runs):
            return runs
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"the report_delivery sensor did not deliver {len(reports)} report(s) in {timeout:.0f} s")
