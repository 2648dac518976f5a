"""Job `weekly_risk_job`: the whole weekly pipeline, with every asset check, for one (week, tenant) partition.

The job page's backfill, the schedules and `risk-report run/backfill` launch it (or its assets) one run per
partition; the asset graph's Materialize launches the same assets and checks."""

import dagster as dg

from risk_assets.defs.weekly.asset_conventions import GROUP
from risk_assets.project import current_project

WEEKLY_JOB = "weekly_risk_job"


def build_weekly_job(partitions: dg.PartitionsDefinition):
    return dg.define_asset_job(
        WEEKLY_JOB,
        selection=dg.AssetSelection.groups(GROUP),  # the group's assets and their checks
        partitions_def=partitions,
        description="snapshot → checks → metrics → tenant_summary → tenant_report for one week × tenant partition.",
        tags={"risk/pipeline": "weekly"},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[build_weekly_job(current_project().partitions)])
