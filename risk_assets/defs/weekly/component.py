"""The weekly pipeline as a component (`defs.yaml` beside this file): the `weekly_risk` step and its checks,
`weekly_risk_job`, a schedule per time zone, the `tenant_partitions` sensor and the thresholds in force, built from
the project's configuration. What each part does: docs/orchestration.md."""

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from risk_assets.defs.weekly.job import build_job_run_asset, build_weekly_job
from risk_assets.defs.weekly.pipeline import build_weekly_risk
from risk_assets.defs.weekly.schedules import build_schedules
from risk_assets.defs.weekly.tenant_partitions import build_tenant_partitions_sensor
from risk_assets.project import Project
from risk_assets.resource_types import MetricThresholds
from risk_assets.settings import ReportRenderer


@dataclass
class WeeklyPipeline(dg.Component, dg.Resolvable):
    """Every school's weekly pipeline. Each attribute, when set, takes the place of its environment variable."""

    config_dir: str | None = None
    """The folder of tenants.yaml and thresholds.yaml (RISK_CONFIG_DIR; unset: the project's config/)."""
    report_renderer: ReportRenderer | None = None
    """auto | quarto | builtin (RISK_REPORT_RENDERER; unset: tenants.yaml's report.renderer)."""
    batch_size: int | None = None
    """Partitions per run of a backfill (RISK_BATCH_SIZE; unset: tenants.yaml's batch.size)."""

    def __post_init__(self) -> None:
        self._project: Project | None = None

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        return weekly_definitions(self.project(context.path / "defs.yaml"))

    def project(self, source: Path) -> Project:
        """The configuration this pipeline is built from (`source`: its defs.yaml, for error messages), read once
        per code-location load: the delivery component reads it from here too, and a tenants.yaml of 10,000
        schools takes seconds to parse."""
        if self._project is None:
            attributes = {"config_dir": self.config_dir, "report_renderer": self.report_renderer,
                          "batch_size": self.batch_size}
            self._project = Project.load(attributes, source)
        return self._project


def weekly_definitions(project: Project) -> dg.Definitions:
    config = project.config
    return dg.Definitions(
        assets=[build_weekly_risk(project), build_job_run_asset(project.partitions)],
        jobs=[build_weekly_job()],
        schedules=build_schedules(config.tenants, config.tenants_path),
        sensors=[build_tenant_partitions_sensor(config.tenants_path)],
        resources={
            "thresholds": MetricThresholds.of(config.thresholds, config.thresholds_path),
            "pipes_subprocess_client": dg.PipesSubprocessClient(),  # runs the R engine (metrics_engine: r)
        },
    )
