"""Schedule `weekly_risk`: each tick requests, in one batched run per (week, time zone), the newest
complete week of every enabled tenant.

Default tick: Monday 06:00 Asia/Seoul. A tenant whose week has not ended at the tick (New York is still
on Sunday afternoon) gets its newest complete week — the one before — so it is never reported on half a
week; add a later tick (e.g. cron "0 6 * * 1,2") to report it a day later instead. Run keys make a tick
that finds nothing new request nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from dagster import (
    DefaultScheduleStatus,
    JobDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from risk_assets.assets.batching import TENANTS_TAG
from risk_assets.config import AppConfig, TenantsFile
from risk_assets.partitions import partition_key

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def newest_complete_week(now: dt.datetime, zone) -> dt.date:
    today = now.astimezone(zone).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def batch_tags(tenants: TenantsFile, week: dt.date, keys: list[str]) -> dict[str, str]:
    """Run tags for one batched run: the partition range of `keys` in `week`, and the tenants it is for."""
    ordered = [k for k in tenants.keys if k in keys]
    return {
        RANGE_START_TAG: partition_key(week, ordered[0]),
        RANGE_END_TAG: partition_key(week, ordered[-1]),
        TENANTS_TAG: ",".join(ordered),
    }


def weekly_requests(tenants: TenantsFile, now: dt.datetime) -> list[RunRequest]:
    groups: dict[tuple[dt.date, str], list[str]] = defaultdict(list)
    for tenant in tenants.enabled:
        week = newest_complete_week(now, tenant.zone)
        if week >= tenants.first_week:
            groups[(week, tenant.timezone)].append(tenant.key)
    return [
        RunRequest(run_key=f"{week}|{zone}|{','.join(sorted(keys))}", tags={**batch_tags(tenants, week, keys),
                                                                           "risk/week": week.isoformat()})
        for (week, zone), keys in sorted(groups.items())
    ]


def build_weekly_schedule(config: AppConfig, batch_job: JobDefinition) -> ScheduleDefinition:
    @schedule(name="weekly_risk", job=batch_job, cron_schedule=config.tenants.schedule.cron,
              execution_timezone=config.tenants.schedule.timezone,
              default_status=DefaultScheduleStatus.STOPPED,
              description="The newest complete week of every enabled tenant, one batched run per week and zone.")
    def weekly_risk(context: ScheduleEvaluationContext):
        requests = weekly_requests(config.tenants, context.scheduled_execution_time)
        return requests or SkipReason("no enabled tenant has a complete week on or after first_week")

    return weekly_risk
