"""Tenants as partitions in a test's instance: what the tenant_partitions sensor does in a running deployment."""

from __future__ import annotations

from dagster import DagsterInstance

from risk_assets.partitions import register_tenants


def with_tenants(instance: DagsterInstance, *keys: str) -> DagsterInstance:
    register_tenants(instance, keys)
    return instance
