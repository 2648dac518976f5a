"""Runs the delivery job in a process of its own, so that a test can kill it mid-send (kill -9) as a crashing
machine would, or run two at once: `python -m risk_assets_tests.faults.delivery_child '<tenants.yaml as JSON>'
[--only email|slack] <tenant|week> …`.
The environment (databases, folders, SMTP and Slack variables) is the test's."""

import sys

from dagster import DagsterInstance

from risk_assets.config import TenantsFile
from risk_assets.defs.delivery.job import DELIVERY_JOB, ONLY_CHANNEL_TAG, run_config
from risk_assets_tests.delivery.test_delivery_flow import definitions


def main() -> int:
    tenants, reports = TenantsFile.model_validate_json(sys.argv[1]), sys.argv[2:]
    tags = {}
    if reports[0] == "--only":
        tags, reports = {ONLY_CHANNEL_TAG: reports[1]}, reports[2:]
    with DagsterInstance.ephemeral() as instance:
        result = definitions(tenants).resolve_job_def(DELIVERY_JOB).execute_in_process(
            run_config=run_config(reports), instance=instance, tags=tags, raise_on_error=False)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
