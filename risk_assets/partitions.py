"""Week × tenant partitions. Week keys are Mondays; each tenant's week ends at Monday 00:00 in its own zone.

Tenants are dynamic partitions (`tenants`), kept in step with tenants.yaml by the `tenant_partitions` sensor (and by
`risk-report` before it launches), so a new school needs no code reload. Weeks are a rolling window of
`partition_weeks` when set: at 10,000 schools every week since first_week would pass Dagster's advised 100,000
partitions per asset within ten weeks (docs/scale.md)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from datetime import tzinfo

from dagster import (
    DagsterInstance,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from risk_assets.config import TenantsFile
from risk_assets.errors import UserError
from risk_assets.window import ReportWindow

WEEK = "week"
TENANT = "tenant"
# The week dimension is one for every school, so its newest key appears at one instant: Monday 00:00 in Seoul
# (Sunday 15:00 UTC), which comes before Monday 06:00 — the default schedule — in every zone up to UTC+14. Whether
# the week has ended for a school is checked in the school's own zone, by the schedules and by `--week`.
PARTITION_TIMEZONE = "Asia/Seoul"
WEEK_KEY_FORMAT = "%Y-%m-%d"
TENANT_PARTITIONS = "tenants"  # the dynamic partitions: every configured tenant, enabled or not (history stays visible)
ADVISED_PARTITIONS_PER_ASSET = 100_000  # Dagster's documentation: stay below this many partitions per asset

log = logging.getLogger(__name__)


def report_partitions(tenants: TenantsFile, now: dt.datetime | None = None) -> MultiPartitionsDefinition:
    """Weeks from `first_partition_week` × the `tenants` dynamic partitions."""
    newest = latest_complete_week(tenants, now)
    start = _window_start(tenants, newest)
    _warn_when_too_many(tenants, (newest - start).days // 7 + 1)
    return MultiPartitionsDefinition(
        {
            WEEK: WeeklyPartitionsDefinition(
                start_date=start.strftime(WEEK_KEY_FORMAT),
                day_offset=1,
                timezone=PARTITION_TIMEZONE,
                fmt=WEEK_KEY_FORMAT,
            ),
            TENANT: DynamicPartitionsDefinition(name=TENANT_PARTITIONS),
        }
    )


def first_partition_week(tenants: TenantsFile, now: dt.datetime | None = None) -> dt.date:
    """first_week, or with partition_weeks the oldest week of the window ending at the newest complete week."""
    return _window_start(tenants, latest_complete_week(tenants, now))


def _window_start(tenants: TenantsFile, newest: dt.date) -> dt.date:
    if tenants.partition_weeks is None:
        return tenants.first_week
    return max(tenants.first_week, newest - dt.timedelta(weeks=tenants.partition_weeks - 1))


def _warn_when_too_many(tenants: TenantsFile, weeks: int) -> None:
    weeks = max(1, weeks)
    if weeks * len(tenants.tenants) > ADVISED_PARTITIONS_PER_ASSET:
        log.warning("%d tenants × %d weeks = %d partitions per asset, above Dagster's advised %d: set partition_weeks "
                    "in tenants.yaml (docs/scale.md)", len(tenants.tenants), weeks, weeks * len(tenants.tenants),
                    ADVISED_PARTITIONS_PER_ASSET)


def tenant_partition_changes(tenants: TenantsFile, existing: Sequence[str]) -> tuple[list[str], list[str]]:
    """(keys to add, keys to delete) so that the `tenants` partitions are exactly tenants.yaml's tenants."""
    configured, present = set(tenants.keys), set(existing)
    return [key for key in tenants.keys if key not in present], [key for key in existing if key not in configured]


def register_tenants(instance: DagsterInstance, keys: Sequence[str]) -> list[str]:
    """Adds the tenants of `keys` that are not partitions yet (never deletes: that is the sensor's, on a tick the
    operator sees). Returns the keys added."""
    present = set(instance.get_dynamic_partitions(TENANT_PARTITIONS))
    added = [key for key in keys if key not in present]
    if added:
        instance.add_dynamic_partitions(TENANT_PARTITIONS, added)
    return added


def listed(keys: Sequence[str], limit: int) -> str:
    """The first `limit` keys, and how many more: for descriptions and logs of thousands of tenants."""
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def partition_key(week: dt.date, tenant: str) -> MultiPartitionKey:
    return MultiPartitionKey({WEEK: week.strftime(WEEK_KEY_FORMAT), TENANT: tenant})


def split_partition_key(key: MultiPartitionKey | str) -> tuple[dt.date, str]:
    dims = key.keys_by_dimension if isinstance(key, MultiPartitionKey) else _parse(key)
    return dt.datetime.strptime(dims[WEEK], WEEK_KEY_FORMAT).date(), dims[TENANT]


def _parse(key: str) -> dict[str, str]:
    # Dimensions are joined in name order: "tenant|week".
    tenant, week = key.split("|")
    return {TENANT: tenant, WEEK: week}


def latest_complete_week(tenants: TenantsFile, now: dt.datetime | None = None) -> dt.date:
    """The newest week whose cut-off has passed for every enabled tenant."""
    now = now or dt.datetime.now(dt.UTC)
    return min(newest_complete_week(now, tenant.zone) for tenant in (tenants.enabled or tenants.tenants))


def newest_complete_week(now: dt.datetime, zone: tzinfo) -> dt.date:
    """The Monday of the newest week that has ended in `zone` at `now` (its Sunday is over there)."""
    today = now.astimezone(zone).date()
    return today - dt.timedelta(days=today.weekday() + 7)


def parse_week(text: str, tenants: TenantsFile, selected: list[str], now: dt.datetime | None = None,
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
    now = now or dt.datetime.now(dt.UTC)
    oldest = first_partition_week(tenants, now)
    if week < oldest:
        raise UserError(
            f"{flag} {week} is older than the {tenants.partition_weeks} weeks kept as partitions (from {oldest}); its "
            "results stay in the database and reports/. To run it again, raise partition_weeks in tenants.yaml"
        )
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


