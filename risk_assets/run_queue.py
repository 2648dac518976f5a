"""The run queue: Dagster's QueuedRunCoordinator, which also tags every partition run with `risk/tenant` and
`risk/week` — whoever launched it (UI, backfill, schedule, sensor, CLI) — so the queue's one-run-per-tenant
limit and the Runs page's filters apply to all of them. Configured in dagster.yaml as the run coordinator."""

from __future__ import annotations

from dagster import DagsterRun, QueuedRunCoordinator, SubmitRunContext

PARTITION_DIMENSION_TAG = "dagster/partition/{}"  # Dagster's own tags of a multi-partitioned run
PARTITION_TAG = "dagster/partition"
PRIORITY_TAG = "dagster/priority"  # the queue launches higher priorities first (an integer as text; default 0)
RUN_TAGS = {"risk/tenant": "tenant", "risk/week": "week"}


def partition_tags(run: DagsterRun) -> dict[str, str]:
    """risk/tenant and risk/week from the run's partition, for those the run does not carry yet."""
    tags = {}
    for tag, dimension in RUN_TAGS.items():
        value = run.tags.get(PARTITION_DIMENSION_TAG.format(dimension))
        if value and tag not in run.tags:
            tags[tag] = value
    return tags


class TaggingRunCoordinator(QueuedRunCoordinator):
    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        tags = partition_tags(context.dagster_run)
        if tags:
            context.workspace.instance.add_run_tags(context.dagster_run.run_id, tags)
        return super().submit_run(context)
