"""Week × tenant partitions. Week keys are Mondays; each tenant's week ends at Monday 00:00 in its own zone."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from dagster import (
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from risk_assets.config import TenantsFile
from risk_assets.errors import UserError
from risk_assets.window import ReportWindow

WEEK = "week"
TENANT = "tenant"
PARTITION_TIMEZONE = "Asia/Seoul"
WEEK_KEY_FORMAT = "%Y-%m-%d"


def report_partitions(tenants: TenantsFile) -> MultiPartitionsDefinition:
    """Every configured tenant (enabled or not, so history stays visible) × weekly partitions from first_week."""
    return MultiPartitionsDefinition(
        {
            WEEK: WeeklyPartitionsDefinition(
                start_date=tenants.first_week.strftime(WEEK_KEY_FORMAT),
                day_offset=1,
                timezone=PARTITION_TIMEZONE,
                fmt=WEEK_KEY_FORMAT,
            ),
            TENANT: StaticPartitionsDefinition(tenants.keys),
        }
    )


def partition_key(week: dt.date, tenant: str) -> MultiPartitionKey:
    return MultiPartitionKey({WEEK: week.strftime(WEEK_KEY_FORMAT), TENANT: tenant})


def split_partition_key(key: MultiPartitionKey | str) -> tuple[dt.date, str]:
    dims = key.keys_by_dimension if isinstance(key, MultiPartitionKey) else _parse(key)
    return dt.datetime.strptime(dims[WEEK], WEEK_KEY_FORMAT).date(), dims[TENANT]


def _parse(key: str) -> dict[str, str]:
    # Dimensions are joined in name order: "tenant|week".
    tenant, week = key.split("|")
    return {TENANT: tenant, WEEK: week}


def latest_complete_week(tenants: TenantsFile, now: Optional[dt.datetime] = None) -> dt.date:
    """The newest week whose cut-off has passed for every enabled tenant."""
    now = now or dt.datetime.now(dt.timezone.utc)
    zones = [t.zone for t in (tenants.enabled or tenants.tenants)]
    weeks = []
    for zone in zones:
        today = now.astimezone(zone).date()
        weeks.append(today - dt.timedelta(days=today.weekday() + 7))
    return min(weeks)


def parse_week(text: str, tenants: TenantsFile, selected: list[str], now: Optional[dt.datetime] = None,
               flag: str = "--week") -> dt.date:
    """A week argument: a Monday, not before first_week, and finished for every selected tenant."""
    try:
        week = dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not a date; write the Monday of the week as YYYY-MM-DD") from None
    if week.weekday() != 0:
        monday = week - dt.timedelta(days=week.weekday())
        raise UserError(f"{flag} {week} is a {week:%A}; give the Monday that starts the week, e.g. {flag} {monday}")
    if week < tenants.first_week:
        raise UserError(
            f"{flag} {week} is before the first report week {tenants.first_week} (first_week in tenants.yaml)"
        )
    now = now or dt.datetime.now(dt.timezone.utc)
    for key in selected:
        tenant = tenants.get(key)
        window = ReportWindow(week, tenant.timezone)
        if window.cutoff > now:
            ends = window.cutoff.astimezone(tenant.zone)
            raise UserError(
                f"{flag} {week} has not ended yet for tenant '{key}' ({tenant.timezone}): it ends "
                f"{ends:%Y-%m-%d %H:%M %Z}; the latest complete week is {latest_complete_week(tenants, now)}"
            )
    return week


def week_and_tenant(context) -> tuple[dt.date, str]:
    """The (week, tenant) of a single-partition step (every run covers one partition: docs/orchestration.md)."""
    return split_partition_key(context.partition_key)
