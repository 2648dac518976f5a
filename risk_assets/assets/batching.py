"""Running an asset over one partition or a whole batch of them, one tenant's failure not spoiling the rest.

A batched run (the weekly schedule, `risk-report backfill`) covers a partition range and carries the tag
`dagster/defer_asset_events`: Dagster then records no automatic materialisation for the range, and each
asset records one per partition that really succeeded. A failed tenant is logged by name, left
unmaterialised for a retry, and skipped by the downstream assets of the same run; the run fails at its
last asset, naming every failed tenant. Without the tag (a single partition from the UI) an asset behaves
as usual: one MaterializeResult, or a Failure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    Failure,
    MaterializeResult,
)

from risk_assets.database.connection import DatabaseUnavailable
from risk_assets.errors import UserError
from risk_assets.partitions import split_partition_key

DEFER_ASSET_EVENTS_TAG = "dagster/defer_asset_events"
TENANTS_TAG = "risk/tenants"  # comma-separated: the tenants a batched run is for (others in the range are skipped)


@dataclass(frozen=True)
class PartitionOutcome:
    key: str
    week: dt.date
    tenant: str
    metadata: Optional[dict] = None
    error: Optional[str] = None


def is_batched(context: AssetExecutionContext) -> bool:
    return context.run.tags.get(DEFER_ASSET_EVENTS_TAG, "").lower() == "true"


def _partitions(context: AssetExecutionContext) -> list[tuple[str, dt.date, str]]:
    """The run's partitions, oldest week first (week-over-week figures need the week before)."""
    allowed = context.run.tags.get(TENANTS_TAG)
    tenants = set(allowed.split(",")) if allowed else None
    parts = [(key, *split_partition_key(key)) for key in context.partition_keys]
    return sorted((p for p in parts if tenants is None or p[2] in tenants), key=lambda p: (p[1], p[2]))


def _upstream_done_in_this_run(context: AssetExecutionContext, upstream: Optional[str], key: str) -> bool:
    """In a batched run, only partitions whose upstream asset succeeded in this same run go on."""
    if upstream is None or AssetKey(upstream) not in (context.run.asset_selection or set()):
        return True
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(upstream), asset_partitions=[key]), limit=1
    ).records
    return bool(records) and records[0].run_id == context.run_id


def for_each_partition(context: AssetExecutionContext, work: Callable[[dt.date, str], dict],
                       upstream: Optional[str] = None, final: bool = False) -> Iterator:
    """Run `work(week, tenant) -> metadata` per partition and record the outcome (see the module doc)."""
    batched = is_batched(context)
    outcomes = []
    for key, week, tenant in _partitions(context):
        if batched and not _upstream_done_in_this_run(context, upstream, key):
            outcomes.append(PartitionOutcome(key, week, tenant, error=f"skipped: `{upstream}` failed for it"))
            continue
        try:
            outcomes.append(PartitionOutcome(key, week, tenant, metadata=work(week, tenant)))
        except DatabaseUnavailable as exc:
            raise Failure(description=str(exc), allow_retries=True) from None  # every tenant would fail
        except (UserError, Failure) as exc:
            message = exc.description if isinstance(exc, Failure) else str(exc)
            outcomes.append(PartitionOutcome(key, week, tenant, error=message))
    failed = [o for o in outcomes if o.error]
    for outcome in failed:
        context.log.error(f"{context.asset_key.to_user_string()} failed for tenant '{outcome.tenant}', "
                          f"week {outcome.week}: {outcome.error}")
    if not batched:
        if failed:
            raise Failure(description="; ".join(f"{o.tenant} {o.week}: {o.error}" for o in failed),
                          allow_retries=False)
        yield MaterializeResult(metadata=outcomes[0].metadata if len(outcomes) == 1 else {"partitions": len(outcomes)})
        return
    for outcome in outcomes:
        if not outcome.error:
            yield AssetMaterialization(asset_key=context.asset_key, partition=outcome.key, metadata=outcome.metadata)
    if final and failed:
        raise Failure(
            description="failed tenants, left unmaterialised for a retry: "
                        + ", ".join(f"{o.tenant} ({o.week})" for o in failed),
            allow_retries=False,
            metadata={"succeeded": len(outcomes) - len(failed), "failed": len(failed)},
        )
    yield MaterializeResult()
