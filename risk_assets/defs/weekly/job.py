"""Job `weekly_risk_job`: the whole weekly pipeline with every asset check, one (week, tenant) partition per run.

The job page's backfill and the schedules launch it; the asset graph's backfill and `risk-report run/backfill`
launch the same step over many partitions per run (docs/orchestration.md)."""

import dagster as dg

from risk_assets.defs.weekly.asset_conventions import GROUP, OWNERS

WEEKLY_JOB = "weekly_risk_job"
JOB_RUN_ASSET = "weekly_risk_job_run"


def build_job_run_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        name=JOB_RUN_ASSET,
        deps=["tenant_report"],
        partitions_def=partitions,
        # The job's backfill policy is the smallest of its assets': this one keeps the job page's backfill at one
        # run per partition. Dagster 1.13 runs a multi-partitioned job's ranged run for its first partition only
        # and reports every partition done (dagster-io/dagster#28861); the asset graph batches correctly.
        backfill_policy=dg.BackfillPolicy.multi_run(1),
        group_name="weekly_risk_job",
        owners=OWNERS,
        description="The partition's run of weekly_risk_job finished: snapshot, checks, metrics, summary and report "
                    "all materialised. It keeps the job page's backfills at one run per partition "
                    "(docs/orchestration.md); backfill from the asset graph to run many schools per run.",
    )
    def weekly_risk_job_run() -> dg.MaterializeResult:
        return dg.MaterializeResult()

    return weekly_risk_job_run


def build_weekly_job():
    return dg.define_asset_job(
        WEEKLY_JOB,
        selection=dg.AssetSelection.groups(GROUP) | dg.AssetSelection.assets(JOB_RUN_ASSET),
        description="snapshot → checks → metrics → tenant_summary → tenant_report for one week × tenant partition.",
        tags={"risk/pipeline": "weekly"},
    )

