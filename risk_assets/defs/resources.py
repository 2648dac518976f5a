"""The resources and executor every job uses, from the environment: the local or production set
(`risk_assets.resource_types`) and where steps run (RISK_EXECUTOR: the run's own process, or Celery workers through
dagster-celery, docs/scale.md). The weekly pipeline's own resources (thresholds, the R engine's Pipes client) come
with its component."""

import dagster as dg

from risk_assets.resource_types import resources_for
from risk_assets.settings import Settings

# The Celery executor's config; deploy/celery/celery.yaml gives the workers the same block (a test keeps them equal).
CELERY_EXECUTOR_CONFIG = {
    "broker": {"env": "RISK_CELERY_BROKER"},
    "backend": {"env": "RISK_CELERY_BACKEND"},
    "config_source": {
        # A step's task is acknowledged when it ends, so a worker lost mid-step leaves it to another worker.
        # The weekly step is a whole batch of schools (docs/orchestration.md).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Redis hands an unacknowledged task to another worker after this many seconds: above the longest step
        # (a batch), or a slow batch would run twice at once; equal to production's run monitoring limit.
        "broker_transport_options": {"visibility_timeout": 7200},
    },
}


def executor_for(settings: Settings) -> dg.ExecutorDefinition:
    if settings.executor == "celery":
        from dagster_celery import celery_executor  # the `celery` extra

        return celery_executor.configured(CELERY_EXECUTOR_CONFIG, name="celery")
    # A run is one partition: its steps share one process instead of paying a process start each.
    return dg.in_process_executor


def shared_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(resources=resources_for(settings), executor=executor_for(settings))


@dg.definitions
def defs() -> dg.Definitions:
    return shared_definitions(Settings.from_env())
