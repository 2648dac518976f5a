"""The run queue: Dagster's QueuedRunCoordinator, which also tags every partition run with `risk/tenant` and
`risk/week` — whoever launched it (UI, backfill, schedule, sensor, CLI) — so the queue's one-run-per-tenant
limit and the Runs page's filters apply to all of them, and gives one-partition runs of older weeks a higher
priority: a week's summary compares with the week before, so when a school's runs wait in the queue (a job-page
backfill, the schedules) the older week goes first (docs/orchestration.md). Configured in dagster.yaml as the run
coordinator."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from dagster import DagsterRun, QueuedRunCoordinator, SubmitRunContext

from risk_assets.partitions import split_partition_key

PARTITION_DIMENSION_TAG = "dagster/partition/{}"  # Dagster's own tags of a multi-partitioned run
PARTITION_TAG = "dagster/partition"
PRIORITY_TAG = "dagster/priority"  # the queue starts runs of higher priority first; 0 by default
RUN_TAGS = {"risk/tenant": "tenant", "risk/week": "week"}


def partition_tags(run: DagsterRun) -> dict[str, str]:
    """risk/tenant and risk/week from the run's partition, for those the run does not carry yet."""
    tags = {}
    for tag, dimension in RUN_TAGS.items():
        value = run.tags.get(PARTITION_DIMENSION_TAG.format(dimension))
        if value and tag not in run.tags:
            tags[tag] = value
    return tags


def week_priority(run: DagsterRun) -> dict[str, str]:
    """A one-partition run's priority: the older its week, the higher; other runs (delivery; batches, whose range
    Dagster records only in internal tags) keep 0, and a priority set by the launcher is kept."""
    week = _week(run)
    if week is None or PRIORITY_TAG in run.tags:
        return {}
    return {PRIORITY_TAG: str(-(week.toordinal() // 7))}


def _week(run: DagsterRun) -> Optional[dt.date]:
    key = run.tags.get(PARTITION_TAG)
    if not key or "|" not in key:
        return None
    try:
        return split_partition_key(key)[0]
    except ValueError:
        return None  # a partition of another shape (not this project's week × tenant)


class TaggingRunCoordinator(QueuedRunCoordinator):
    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        tags = {**partition_tags(context.dagster_run), **week_priority(context.dagster_run)}
        if tags:
            context.workspace.instance.add_run_tags(context.dagster_run.run_id, tags)
        return super().submit_run(context)
