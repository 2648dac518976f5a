"""Delivery as a component (`defs.yaml` beside this file): the `delivery` job and the `report_delivery` sensor that
launches it for every new report (docs/delivery.md).

Nothing here checks SMTP or Slack variables while the code location loads: one tenant's unset webhook variable
must not hide the whole pipeline from the UI. The mistake is reported where it belongs: by that tenant's delivery
in the delivery run, by `risk-report validate`, and by the CLI's check before a run starts.
"""

from dataclasses import dataclass

import dagster as dg

from risk_assets.defs.delivery.job import build_delivery_job
from risk_assets.defs.delivery.sensor import report_delivery
from risk_assets.defs.weekly.component import WeeklyPipeline
from risk_assets.project import Project
from risk_assets.report.fragments import TEMPLATES_FOLDER


@dataclass
class Delivery(dg.Component, dg.Resolvable):
    """E-mail and Slack for every report of a weekly pipeline, exactly once, with that pipeline's tenants.yaml."""

    pipeline: str = "weekly"
    """The folder, under defs/, of the WeeklyPipeline component whose reports are delivered."""

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        weekly = context.load_component(self.pipeline, WeeklyPipeline)
        return delivery_definitions(weekly.project(context.defs_module_path / self.pipeline / "defs.yaml"))


def delivery_definitions(project: Project) -> dg.Definitions:
    templates = project.report_template.parent / TEMPLATES_FOLDER  # the e-mail's template beside the report's
    job = build_delivery_job(project.config.tenants, templates, outbox=project.settings.deployment == "local")
    return dg.Definitions(jobs=[job], sensors=[report_delivery])
