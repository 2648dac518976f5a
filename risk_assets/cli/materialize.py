"""Materialising partitions through Dagster, recorded in the instance the UI shows."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from dagster import DagsterInstance, Definitions

from risk_assets.graph import WEEKLY_JOB
from risk_assets.partitions import partition_key
from risk_assets.sensors.delivery import TENANT_TAG

# The CLI reports each run's outcome itself; Dagster's console log is for --verbose.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class PartitionOutcome:
    week: dt.date
    tenant: str
    success: bool
    run_id: str
    seconds: float
    error: Optional[str] = None


def _innermost(error) -> str:
    """The original exception's message, not Dagster's 'error occurred while executing' wrapper."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def _failure_message(result) -> str:
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data is not None and data.user_failure_data.description:
                return data.user_failure_data.description
            return _innermost(data.error) if data.error else "step failed"
    return "run failed"


def materialize_week(
    defs: Definitions,
    instance: DagsterInstance,
    week: dt.date,
    tenants: Sequence[str],
    *,
    job_name: str = WEEKLY_JOB,
    tags: Optional[dict[str, str]] = None,
    verbose: bool = False,
    progress: Callable[[str], None] = print,
) -> list[PartitionOutcome]:
    """One run of `job_name` per tenant; a tenant's failure is reported and the others still run."""
    job = defs.resolve_job_def(job_name)
    outcomes = []
    for index, tenant in enumerate(tenants, start=1):
        started = time.monotonic()
        result = job.execute_in_process(
            partition_key=partition_key(week, tenant),
            instance=instance,
            raise_on_error=False,
            run_config={} if verbose else QUIET_RUN_CONFIG,
            tags={"risk/trigger": "cli", TENANT_TAG: tenant, **(tags or {})},
        )
        outcome = PartitionOutcome(
            week=week,
            tenant=tenant,
            success=result.success,
            run_id=result.run_id,
            seconds=time.monotonic() - started,
            error=None if result.success else _failure_message(result),
        )
        progress(f"  [{index}/{len(tenants)}] {tenant} {week}: {'ok' if outcome.success else 'FAILED'} "
                 f"({outcome.seconds:.1f} s)")
        outcomes.append(outcome)
    return outcomes


def run_batch(defs: Definitions, instance: DagsterInstance, weeks: Sequence[dt.date], tenant: str,
              *, verbose: bool = False) -> tuple[bool, str, str]:
    """One batched run over weeks × one tenant, oldest week first (the path the weekly schedule uses).
    Returns (success, run id, failure message or '')."""
    from risk_assets.assets.batching import TENANTS_TAG
    from risk_assets.graph import BATCH_JOB
    from risk_assets.schedules.weekly import RANGE_END_TAG, RANGE_START_TAG

    first, last = min(weeks), max(weeks)
    result = defs.resolve_job_def(BATCH_JOB).execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={} if verbose else QUIET_RUN_CONFIG,
        tags={RANGE_START_TAG: partition_key(first, tenant), RANGE_END_TAG: partition_key(last, tenant),
              TENANTS_TAG: tenant, "risk/trigger": "cli-backfill"},
    )
    return result.success, result.run_id, "" if result.success else _failure_message(result)
