"""Sensor `tenant_partitions`: keeps the `tenants` dynamic partitions in step with tenants.yaml, read afresh on every
tick, so that a school added to (or removed from) the file becomes (or stops being) a partition without a code
reload. A removed school's results stay in the results database and reports/; only its partitions leave the UI."""

from pathlib import Path

import dagster as dg

from risk_assets.config import current_tenants
from risk_assets.partitions import TENANT_PARTITIONS, listed, tenant_partition_changes

SENSOR = "tenant_partitions"
LOGGED_TENANTS = 10


def build_tenant_partitions_sensor(tenants_path: Path) -> dg.SensorDefinition:
    @dg.sensor(name=SENSOR, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
               description=f"Adds and removes `{TENANT_PARTITIONS}` partitions so that they are the tenants of "
                           f"{tenants_path.name}, read on every tick (no code reload for a new school).")
    def tenant_partitions(context: dg.SensorEvaluationContext):
        tenants = current_tenants(tenants_path)  # a broken file fails the tick with its message; nothing changes
        added, removed = tenant_partition_changes(tenants, context.instance.get_dynamic_partitions(TENANT_PARTITIONS))
        if not added and not removed:
            return dg.SkipReason(f"in step: {len(tenants.tenants)} tenants in {tenants_path.name}")
        if added:
            context.log.info(f"adding {len(added)} tenant partitions: {listed(added, LOGGED_TENANTS)}")
        if removed:
            context.log.info(f"removing {len(removed)} tenant partitions no longer in {tenants_path.name}: "
                             f"{listed(removed, LOGGED_TENANTS)}")
        requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = (
            [dg.AddDynamicPartitionsRequest(TENANT_PARTITIONS, added)] if added else [])
        if removed:
            requests.append(dg.DeleteDynamicPartitionsRequest(TENANT_PARTITIONS, removed))
        return dg.SensorResult(dynamic_partitions_requests=requests)

    return tenant_partitions
