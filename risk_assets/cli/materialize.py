"""Materialising partitions the way the UI does: an asset backfill through the webserver, which Dagster runs in
batches of partitions, followed in the terminal partition by partition (from each run's events)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import yaml

from risk_assets.cli import graphql
from risk_assets.cli.graphql import FINISHED, Webserver
from risk_assets.defs.weekly.asset_conventions import ASSETS, FAILED_PARTITIONS
from risk_assets.partitions import TENANT, TENANT_PARTITIONS, partition_key, split_partition_key
from risk_assets.run_queue import PARTITION_TAG

BACKFILL_DONE = ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED")
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class PartitionOutcome:
    week: dt.date
    tenant: str
    success: bool
    run_id: str
    seconds: float
    error: str | None = None
    failed_checks: tuple[str, ...] = ()  # ERROR-severity checks that failed in a run that succeeded

    @property
    def clean(self) -> bool:
        return self.success and not self.failed_checks


def _tags(run: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def _json_entry(event: dict, label: str) -> dict:
    for entry in (event.get("failureMetadata") or {}).get("metadataEntries") or []:
        if entry.get("label") == label and entry.get("jsonString"):
            return json.loads(entry["jsonString"])
    return {}


def _step_failure(events: list[dict]) -> str | None:
    for event in events:
        if event["__typename"] == "ExecutionStepFailureEvent":
            described = (event.get("failureMetadata") or {}).get("description")
            message = ((event.get("error") or {}).get("message") or "").strip()
            return described or (message.splitlines()[0] if message else f"{event['stepKey']} failed")
    return None


def run_outcomes(server: Webserver, run: dict) -> list[PartitionOutcome]:
    """Each partition a finished run decided, from its events: materialised through tenant_report (with any ERROR
    check that failed), or held or failed with the step's own words. A run may cover one partition or a batch."""
    events = graphql.run_events(server, run["runId"])
    reported = {e["partition"]: e["timestamp"] for e in events
                if e["__typename"] == "MaterializationEvent" and e["assetKey"]["path"] == [ASSETS[-1]]}
    checks: dict[str, list[str]] = {}
    for event in events:
        evaluation = event.get("evaluation") or {}
        if event["__typename"] == "AssetCheckEvaluationEvent" and not evaluation["success"] \
                and evaluation["severity"] == "ERROR":
            checks.setdefault(evaluation["partition"], []).append(
                f"{evaluation['checkName']}: {evaluation['description']}")
    failures = next(filter(None, (_json_entry(e, FAILED_PARTITIONS) for e in events)), {})
    own = _tags(run).get(PARTITION_TAG)
    if own and own not in reported and own not in failures:  # a one-partition run that failed before its school
        failures[own] = _step_failure(events) or "run failed"
    seconds = max((run.get("endTime") or 0) - (run.get("startTime") or 0), 0.0) / max(len(reported) + len(failures), 1)
    outcomes = [PartitionOutcome(*split_partition_key(key), True, run["runId"], seconds,
                                 failed_checks=tuple(checks.get(key, ()))) for key in reported]
    outcomes += [PartitionOutcome(*split_partition_key(key), False, run["runId"], seconds, reason)
                 for key, reason in failures.items() if key not in reported]
    return outcomes


def _state(outcome: PartitionOutcome) -> str:
    if not outcome.success:
        return f"FAILED: {outcome.error}"
    return f"ok, CHECK FAILED {'; '.join(outcome.failed_checks)}" if outcome.failed_checks else "ok"


def follow_backfill(server: Webserver, backfill_id: str, partitions: Sequence[str], expected: int,
                    progress: Callable[[str], None], timeout: float = 6 * 3600,
                    counted: int = 0) -> tuple[list[PartitionOutcome], list[dict]]:
    """Print each partition's outcome as the run that holds it ends, numbered after `counted` partitions already
    printed, of `expected`; return the newest outcome per partition and the failed runs that named no partition
    (a crash before the first school).

    Done when the backfill is, or as soon as every one of its `partitions` succeeded and no run is left: nothing
    more can happen to it then, and the backfill daemon may take up to 30 s to say so (docs/performance.md)."""
    reported: dict[str, PartitionOutcome] = {}
    seen, silent_failures = set(), []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = graphql.backfill(server, backfill_id)
        runs = sorted(state["runs"], key=lambda r: r.get("startTime") or 0)
        for run in runs:
            if run["status"] not in FINISHED or run["runId"] in seen:
                continue
            seen.add(run["runId"])
            outcomes = run_outcomes(server, run)
            if not outcomes and run["status"] != "SUCCESS":
                silent_failures.append(run)
            for outcome in outcomes:
                reported[str(partition_key(outcome.week, outcome.tenant))] = outcome
                progress(f"  [{counted + len(reported)}/{expected}] {outcome.tenant} {outcome.week}: "
                         f"{_state(outcome).splitlines()[0]} (run {outcome.run_id[:8]})")
        every_one_succeeded = all(key in reported and reported[key].success for key in partitions)
        if all(r["status"] in FINISHED for r in runs) and (state["status"] in BACKFILL_DONE or every_one_succeeded):
            return sorted(reported.values(), key=lambda o: (o.week, o.tenant)), silent_failures
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
                progress: Callable[[str], None]) -> tuple[list[str], list[PartitionOutcome]]:
    """Asset backfills of the whole pipeline over weeks × tenants, as the asset graph's Materialize does: Dagster
    launches runs of many partitions each (the assets' backfill policy, tenants.yaml batch.size). Several weeks of
    several schools are launched as one backfill per school, so that each school's weeks run in one run, oldest
    first, instead of weeks in runs that wait for each other (docs/orchestration.md)."""
    add_missing_tenant_partitions(server, tenants, progress)
    groups = [list(tenants)] if len(weeks) == 1 or len(tenants) == 1 else [[tenant] for tenant in tenants]
    launched: list[tuple[str, list[str]]] = []
    try:
        for group in groups:
            partitions = [str(partition_key(week, tenant)) for week in sorted(weeks) for tenant in group]
            backfill_id = graphql.launch_asset_backfill(server, ASSETS, partitions, {"risk/trigger": trigger}, title)
            launched.append((backfill_id, partitions))
            progress(f"backfill {backfill_id}: {len(partitions)} partition(s), many per run "
                     f"({server.url}/runs/b/{backfill_id})")
        server.start_daemon()  # a daemon this command held back creates the runs on its first pass
        outcomes: list[PartitionOutcome] = []
        total = sum(len(partitions) for _backfill_id, partitions in launched)
        for backfill_id, partitions in launched:
            outcomes += _followed(server, backfill_id, partitions, progress, len(outcomes), total)
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C or SIGTERM: the daemon would otherwise run the rest later
        for backfill_id, _partitions in launched:
            graphql.cancel_backfill(server, backfill_id)
            progress(f"cancelled backfill {backfill_id}: no further partition runs")
        raise
    return [backfill_id for backfill_id, _partitions in launched], sorted(outcomes, key=lambda o: (o.week, o.tenant))


def _followed(server: Webserver, backfill_id: str, partitions: list[str], progress: Callable[[str], None],
              counted: int, total: int) -> list[PartitionOutcome]:
    """The backfill's outcome per partition, a partition no run reported included as failed with the reason."""
    outcomes, silent_failures = follow_backfill(server, backfill_id, partitions, total, progress, counted=counted)
    missing = set(partitions) - {str(partition_key(o.week, o.tenant)) for o in outcomes}
    reason = "; ".join(f"run {run['runId'][:8]} failed: {graphql.run_failure(server, run['runId'])}"
                       for run in silent_failures) or "not launched: the backfill ended before this partition ran"
    return outcomes + [PartitionOutcome(*split_partition_key(key), False, "", 0.0, reason) for key in sorted(missing)]


def deliver(server: Webserver, reports: Sequence[str], tags: dict[str, str], progress: Callable[[str], None],
            timeout: float = 600) -> tuple[bool, str, str]:
    """One run of the delivery job for `reports` (partition keys); (success, run id, failure message)."""
    from risk_assets.defs.delivery.job import DELIVERY_JOB, delivery_tags, run_config

    run_id = graphql.launch_run(server, DELIVERY_JOB, run_config(list(reports)),
                                {**delivery_tags(list(reports)), **tags})
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
