"""Sensor `report_delivery`: every new `tenant_report` materialisation is delivered, in one run per tick.

A plain @sensor reads materialisation events after its cursor, in storage-id order, so it sees every event
(an @asset_sensor would see only the latest per tick). On its first evaluation it starts after the newest
existing report instead of replaying history: older reports go out with `risk-report resend` or a launch of
the `delivery` job from the UI.
"""

import dagster as dg

from risk_assets.defs.delivery.job import DELIVERY_JOB, delivery_tags, run_config

REPORT_ASSET = dg.AssetKey("tenant_report")
REPORTS_PER_RUN = 100
READ_PER_TICK = 500
DELIVERY_SENSOR = "report_delivery"
# On every pass of Dagster's sensor daemon (one every 5 s): the daemon skips a sensor whose last tick began less than
# its minimum interval ago, so an interval of 5 s skipped about every other pass (ticks 10 s apart) and a week's
# reports waited up to 10 s for their delivery run. A tick with nothing new is one indexed query
# (docs/performance.md, "Partitions at scale").
TICK_SECONDS = 1


def newest_report_id(instance: dg.DagsterInstance) -> int:
    """Where the sensor starts: after the newest existing report (also set by a command before its daemon starts)."""
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=REPORT_ASSET), limit=1,
                                              ascending=False).records
    return records[0].storage_id if records else 0


def _requests(records) -> list[dg.RunRequest]:
    requests = []
    for start in range(0, len(records), REPORTS_PER_RUN):
        chunk = records[start:start + REPORTS_PER_RUN]
        reports = list(dict.fromkeys(record.partition_key for record in chunk))  # a re-render once per run
        requests.append(dg.RunRequest(
            run_key=f"reports:{chunk[0].storage_id}-{chunk[-1].storage_id}",
            run_config=run_config(reports),
            tags={**delivery_tags(reports), "risk/report_events": f"{chunk[0].storage_id}-{chunk[-1].storage_id}"},
        ))
    return requests


@dg.sensor(name=DELIVERY_SENSOR, job_name=DELIVERY_JOB, minimum_interval_seconds=TICK_SECONDS,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Delivers every new tenant_report materialisation, exactly once, in one delivery run per tick "
                       f"(up to {REPORTS_PER_RUN} reports a run). Starts after the newest report that exists when it "
                       "is first evaluated.")
def report_delivery(context: dg.SensorEvaluationContext):
    if context.cursor is None:
        newest = newest_report_id(context.instance)
        return dg.SensorResult(skip_reason=dg.SkipReason(
            f"first evaluation: starting after the newest existing report (event {newest}); older reports are "
            "not sent again (use `risk-report resend`)"), cursor=str(newest))
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=REPORT_ASSET, after_storage_id=int(context.cursor)), limit=READ_PER_TICK,
        ascending=True).records
    if not records:
        return dg.SkipReason("no new tenant_report materializations")
    return dg.SensorResult(run_requests=_requests(records), cursor=str(records[-1].storage_id))
