"""The asset graph and its jobs, assembled from the parsed configuration."""

import warnings

from dagster import (
    AssetSelection,
    BetaWarning,
    Definitions,
    PipesSubprocessClient,
    PreviewWarning,
    define_asset_job,
)

from risk_assets.assets.batching import DEFER_ASSET_EVENTS_TAG
from risk_assets.assets.checks import build_checks
from risk_assets.assets.metrics import build_metrics_asset
from risk_assets.assets.report import build_report_asset
from risk_assets.assets.snapshot import build_snapshot_asset
from risk_assets.assets.summary import build_summary_asset
from risk_assets.config import AppConfig
from risk_assets.jobs.delivery import build_delivery_job
from risk_assets.partitions import report_partitions
from risk_assets.resources import RiskDatabase, SmtpServer, SourceDatabase, Storage
from risk_assets.schedules.weekly import build_weekly_schedule
from risk_assets.sensors.delivery import build_delivery_sensor
from risk_assets.settings import Settings

WEEKLY_JOB = "weekly_risk_job"
BATCH_JOB = "weekly_batch"


def build_definitions(config: AppConfig, settings: Settings) -> Definitions:
    with warnings.catch_warnings():
        # We pin Dagster exactly; the beta/preview features we build on (single-run backfill policy,
        # partitioned asset checks, dagster-pandas types) are chosen, so their warnings are noise here.
        warnings.simplefilter("ignore", BetaWarning)
        warnings.simplefilter("ignore", PreviewWarning)
        return _definitions(config, settings)


def _definitions(config: AppConfig, settings: Settings) -> Definitions:
    partitions = report_partitions(config.tenants)
    assets = [
        build_snapshot_asset(config, partitions),
        build_metrics_asset(config, partitions),
        build_summary_asset(config, partitions),
        build_report_asset(config, partitions),
    ]
    checks = build_checks(config, partitions)
    weekly_job = define_asset_job(
        WEEKLY_JOB,
        selection=AssetSelection.assets(*assets) | AssetSelection.checks(*checks),
        description="The weekly risk pipeline for one (week, tenant) partition.",
    )
    # Many partitions in one run (schedule, backfill): per-tenant outcomes, no asset checks — Dagster
    # evaluates partitioned checks per single partition only; the batch applies the activity rule itself.
    batch_job = define_asset_job(
        BATCH_JOB,
        selection=AssetSelection.assets(*assets).without_checks(),
        tags={DEFER_ASSET_EVENTS_TAG: "true"},
        description="Many week × tenant partitions in one run; one tenant's failure leaves the others materialised.",
    )
    delivery_job = build_delivery_job(config, partitions)
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[weekly_job, batch_job, delivery_job],
        schedules=[build_weekly_schedule(config, batch_job)],
        sensors=[build_delivery_sensor(delivery_job)],
        resources={
            "source": SourceDatabase(),  # URL read at run time: it may hold a password
            "risk_db": RiskDatabase(),  # URL read at run time, like the source's
            "pipes_subprocess_client": PipesSubprocessClient(),  # runs the R engine (metrics_engine: r)
            "smtp": SmtpServer(),  # settings read at run time: SMTP_PASSWORD stays in the environment
            "storage": Storage.from_settings(settings),
        },
    )
