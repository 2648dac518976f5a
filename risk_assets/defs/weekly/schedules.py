"""Schedules `weekly_risk_<zone>`: one per time zone the tenants live in, ticking at the configured cron
(default Monday 06:00) in that zone and requesting the week that just ended for each enabled tenant there.

Each tick reads tenants.yaml afresh, so a school added to a zone is requested without a code reload once the
`tenant_partitions` sensor has made it a partition (a new zone needs a reload: it is a new schedule). Run keys are
`<week>|<tenant>`, and a partition this schedule has already launched is not requested again, so a repeated tick
requests nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import dagster as dg

from risk_assets.config import Tenant, TenantsFile, load_tenants
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.partitions import TENANT_PARTITIONS, partition_key
from risk_assets.project import current_project

TRIGGER_TAG = "risk/trigger"


def schedule_name(zone: str) -> str:
    return "weekly_risk_" + re.sub(r"[^a-z0-9]+", "_", zone.lower()).strip("_")


def newest_complete_week(now: dt.datetime, tenant: Tenant) -> dt.date:
    today = now.astimezone(tenant.zone).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def zones(tenants: TenantsFile) -> list[str]:
    return sorted({t.timezone for t in tenants.tenants})


def _launched(instance: dg.DagsterInstance | None, name: str, week: dt.date) -> set[str]:
    """Partitions of `week` this schedule has already launched (one query: the zone shares one week)."""
    if instance is None:
        return set()
    records = instance.get_run_records(dg.RunsFilter(tags={"dagster/schedule_name": name,
                                                          "dagster/partition/week": week.isoformat()}))
    return {record.dagster_run.tags.get("dagster/partition") for record in records}


def weekly_requests(tenants: TenantsFile, zone: str, now: dt.datetime, name: str,
                    instance: dg.DagsterInstance | None = None) -> list[dg.RunRequest]:
    requests, launched = [], {}
    registered = set(instance.get_dynamic_partitions(TENANT_PARTITIONS)) if instance is not None else None
    for tenant in (t for t in tenants.enabled if t.timezone == zone):
        if registered is not None and tenant.key not in registered:
            continue  # not a partition yet: the tenant_partitions sensor adds it, the next tick requests it
        week = newest_complete_week(now, tenant)
        key = partition_key(week, tenant.key)
        if week not in launched:
            launched[week] = _launched(instance, name, week)
        if week < tenants.first_week or str(key) in launched[week]:
            continue
        requests.append(dg.RunRequest(run_key=f"{week}|{tenant.key}", partition_key=key,
                                      tags={TRIGGER_TAG: "schedule"}))
    return requests


def build_zone_schedule(tenants: TenantsFile, zone: str, tenants_path: Path) -> dg.ScheduleDefinition:
    name = schedule_name(zone)
    members = [t.key for t in tenants.tenants if t.timezone == zone]

    @dg.schedule(
        name=name,
        job_name=WEEKLY_JOB,
        cron_schedule=tenants.schedule.cron,
        execution_timezone=zone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(f"At `{tenants.schedule.cron}` in {zone}: the week that just ended for each enabled tenant "
                     f"in {zone}, one run per tenant ({', '.join(members)})."),
        metadata={"time zone": zone, "tenants": ", ".join(members)},
        tags={"risk/zone": zone},
    )
    def weekly_risk(context: dg.ScheduleEvaluationContext):
        current = load_tenants(tenants_path)
        requests = weekly_requests(current, zone, context.scheduled_execution_time, name, context.instance)
        return requests or dg.SkipReason(f"nothing new: every enabled tenant in {zone} already has its newest "
                                         "complete week requested, or none has a week on or after first_week, "
                                         "or is a partition yet (sensor tenant_partitions)")

    return weekly_risk


@dg.definitions
def defs() -> dg.Definitions:
    config = current_project().config
    return dg.Definitions(schedules=[build_zone_schedule(config.tenants, zone, config.tenants_path)
                                     for zone in zones(config.tenants)])
