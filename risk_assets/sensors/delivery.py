"""Sensor `report_delivery`: one delivery run per new `tenant_report` materialisation.

A plain @sensor reading materialisation events after its cursor, in storage-id order, sees every event;
an @asset_sensor would see only the latest one per tick and drop the rest.
"""

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DefaultSensorStatus,
    JobDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from risk_assets.partitions import split_partition_key

REPORT_ASSET = AssetKey("tenant_report")
TENANT_TAG = "risk/tenant"  # the production run queue allows one run per tenant at a time
BATCH = 200


def build_delivery_sensor(delivery_job: JobDefinition) -> SensorDefinition:
    @sensor(name="report_delivery", job=delivery_job, minimum_interval_seconds=30,
            default_status=DefaultSensorStatus.RUNNING,
            description="Launches `delivery` for every new tenant_report materialisation, exactly once each.")
    def report_delivery(context: SensorEvaluationContext):
        after = int(context.cursor) if context.cursor else None
        records = context.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=REPORT_ASSET, after_storage_id=after), limit=BATCH, ascending=True
        ).records
        if not records:
            return SkipReason("no new tenant_report materialisations")
        requests = [
            RunRequest(run_key=f"{record.partition_key}:{record.storage_id}", partition_key=record.partition_key,
                       tags={"risk/report_event": str(record.storage_id),
                             TENANT_TAG: split_partition_key(record.partition_key)[1]})
            for record in records
        ]
        return SensorResult(run_requests=requests, cursor=str(records[-1].storage_id))

    return report_delivery
