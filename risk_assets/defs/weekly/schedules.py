"""Schedules `weekly_risk_<zone>`: one per time zone the tenants live in, ticking at the configured cron
(default Monday 06:00) in that zone and requesting the week that just ended for each enabled tenant there.

Each tick reads tenants.yaml afresh, so a school added to a zone is requested without a code reload once the
`tenant_partitions` sensor has made it a partition (a new zone needs a reload: it is a new schedule). Run keys are
`<week>|<tenant>`, and a partition this schedule has already launched is not requested again, so a repeated tick
requests nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from risk_assets.config import TenantsFile, current_tenants
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.partitions import TENANT_PARTITIONS, WEEK, listed, newest_complete_week, partition_key
from risk_assets.run_queue import PARTITION_DIMENSION_TAG, PARTITION_TAG

TRIGGER_TAG = "risk/trigger"
# Tenants one schedule requests at most: Dagster checks each request's partition with a query (5–12 ms), and a tick
# should take seconds (measured: 1,000 requests 12.5 s on PostgreSQL), well inside the daemon's 60 s timeout. A
# larger zone is split into shards by a stable hash of the tenant key (docs/scale.md).
SHARD_SIZE = 500
LISTED_TENANTS = 20  # a schedule's description names its tenants up to this many


@dataclass(frozen=True)
class Shard:
    zone: str
    index: int = 0
    count: int = 1

    @property
    def name(self) -> str:
        name = "weekly_risk_" + re.sub(r"[^a-z0-9]+", "_", self.zone.lower()).strip("_")
        return name if self.count == 1 else f"{name}_{self.index + 1}_of_{self.count}"

    def holds(self, key: str) -> bool:
        return self.count == 1 or zlib.crc32(key.encode()) % self.count == self.index


def shards(tenants: TenantsFile) -> list[Shard]:
    result = []
    for zone in zones(tenants):
        count = math.ceil(sum(t.timezone == zone for t in tenants.tenants) / SHARD_SIZE)
        result += [Shard(zone, index, count) for index in range(count)]
    return result


def zones(tenants: TenantsFile) -> list[str]:
    return sorted({t.timezone for t in tenants.tenants})


def _launched(instance: dg.DagsterInstance | None, week: dt.date) -> set[str]:
    """Partitions of `week` the schedules have already launched (one query: the zone shares one week; any schedule,
    so that a tenant moved to another shard by a new shard count is not requested twice)."""
    if instance is None:
        return set()
    records = instance.get_run_records(dg.RunsFilter(tags={TRIGGER_TAG: "schedule",
                                                          PARTITION_DIMENSION_TAG.format(WEEK): week.isoformat()}))
    return {tag for record in records if (tag := record.dagster_run.tags.get(PARTITION_TAG)) is not None}


def weekly_requests(tenants: TenantsFile, shard: Shard, now: dt.datetime,
                    instance: dg.DagsterInstance | None = None) -> list[dg.RunRequest]:
    requests, launched = [], {}
    registered = set(instance.get_dynamic_partitions(TENANT_PARTITIONS)) if instance is not None else None
    for tenant in (t for t in tenants.enabled if t.timezone == shard.zone and shard.holds(t.key)):
        if registered is not None and tenant.key not in registered:
            continue  # not a partition yet: the tenant_partitions sensor adds it, the next tick requests it
        week = newest_complete_week(now, tenant.zone)
        key = partition_key(week, tenant.key)
        if week not in launched:
            launched[week] = _launched(instance, week)
        if week < tenants.first_week or str(key) in launched[week]:
            continue
        requests.append(dg.RunRequest(run_key=str(key), partition_key=key,
                                      tags={TRIGGER_TAG: "schedule"}))
    return requests


def build_zone_schedule(tenants: TenantsFile, shard: Shard, tenants_path: Path) -> dg.ScheduleDefinition:
    name, zone = shard.name, shard.zone
    members = [t.key for t in tenants.tenants if t.timezone == zone and shard.holds(t.key)]
    part = f" (shard {shard.index + 1} of {shard.count}, by tenant key)" if shard.count > 1 else ""

    @dg.schedule(
        name=name,
        job_name=WEEKLY_JOB,
        cron_schedule=tenants.schedule.cron,
        execution_timezone=zone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(f"At `{tenants.schedule.cron}` in {zone}: the week that just ended for each enabled tenant "
                     f"in {zone}{part}, one run per tenant ({listed(members, LISTED_TENANTS)})."),
        metadata={"time zone": zone, "tenants": listed(members, LISTED_TENANTS), "tenant count": len(members)},
        tags={"risk/zone": zone},
    )
    def weekly_risk(context: dg.ScheduleEvaluationContext):
        current = current_tenants(tenants_path)
        requests = weekly_requests(current, shard, context.scheduled_execution_time, context.instance)
        return requests or dg.SkipReason(f"nothing new: every enabled tenant in {zone} already has its newest "
                                         "complete week requested, or none has a week on or after first_week, "
                                         "or is a partition yet (sensor tenant_partitions)")

    return weekly_risk


def build_schedules(tenants: TenantsFile, tenants_path: Path) -> list[dg.ScheduleDefinition]:
    return [build_zone_schedule(tenants, shard, tenants_path) for shard in shards(tenants)]
