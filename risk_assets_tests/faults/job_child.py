"""Runs a job in a process of its own, so that a test can kill it mid-send (kill -9) as a crashing machine would,
or run two at once as two operators would:

    python -m risk_assets_tests.faults.job_child '<tenants.yaml as JSON>' deliver [--only email|slack] <tenant|week> …
    python -m risk_assets_tests.faults.job_child '<tenants.yaml as JSON>' materialize <tenant|week>

The environment (databases, folders, SMTP and Slack variables) is the test's.
"""

import sys

from dagster import DagsterInstance

from risk_assets.config import TenantsFile
from risk_assets.defs.delivery.job import DELIVERY_JOB, ONLY_CHANNEL_TAG, run_config
from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets_tests.delivery.reports import definitions
from risk_assets_tests.tenant_partitions import with_tenants


def main() -> int:
    tenants, action, arguments = TenantsFile.model_validate_json(sys.argv[1]), sys.argv[2], sys.argv[3:]
    defs = definitions(tenants)
    with DagsterInstance.ephemeral() as instance:
        if action == "materialize":
            result = defs.resolve_job_def(WEEKLY_JOB).execute_in_process(
                partition_key=arguments[0], instance=with_tenants(instance, arguments[0].split("|")[0]),
                raise_on_error=False)
        else:
            tags = {}
            if arguments[0] == "--only":
                tags, arguments = {ONLY_CHANNEL_TAG: arguments[1]}, arguments[2:]
            result = defs.resolve_job_def(DELIVERY_JOB).execute_in_process(
                run_config=run_config(arguments), instance=instance, tags=tags, raise_on_error=False)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
