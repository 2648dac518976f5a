"""The resources and executor every job uses: the local or production set (`risk_assets.resources`), the
thresholds in force, the Pipes client of the R engine, and the in-process executor (one process per run)."""

import dagster as dg

from risk_assets.project import current_project
from risk_assets.resources import MetricThresholds, resources_for


@dg.definitions
def defs() -> dg.Definitions:
    project = current_project()
    return dg.Definitions(
        resources={
            **resources_for(project.settings),
            "thresholds": MetricThresholds.of(project.config.thresholds, project.config.thresholds_path),
            "pipes_subprocess_client": dg.PipesSubprocessClient(),  # runs the R engine (metrics_engine: r)
        },
        # A run is one partition: its steps share one process instead of paying a process start each.
        executor=dg.in_process_executor,
    )
