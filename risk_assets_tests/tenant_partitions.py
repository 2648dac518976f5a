"""Tenants as partitions in a test's instance: what the tenant_partitions sensor does in a running deployment."""

from __future__ import annotations

from dagster import DagsterInstance

from risk_assets.partitions import TENANT_PARTITIONS


def with_tenants(instance: DagsterInstance, *keys: str) -> DagsterInstance:
    missing = [key for key in keys if key not in set(instance.get_dynamic_partitions(TENANT_PARTITIONS))]
    if missing:
        instance.add_dynamic_partitions(TENANT_PARTITIONS, missing)
    return instance
