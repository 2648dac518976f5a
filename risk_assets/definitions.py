"""The code location Dagster loads (`[tool.dagster] module_name`, `[tool.dg.project]`): the components and modules
of `risk_assets/defs/`, each built from config/ and the environment.

`definitions_for` builds the same definitions for a project given in Python (tests, benchmarks)."""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from risk_assets.defs.delivery.component import delivery_definitions
from risk_assets.defs.resources import shared_definitions
from risk_assets.defs.weekly.component import weekly_definitions
from risk_assets.project import Project
from risk_assets.settings import PROJECT_DIR


@dg.definitions
def defs() -> dg.Definitions:
    with _chosen_warnings_ignored():
        return dg.load_from_defs_folder(path_within_project=PROJECT_DIR)


def definitions_for(project: Project) -> dg.Definitions:
    with _chosen_warnings_ignored():
        return dg.Definitions.merge(weekly_definitions(project), delivery_definitions(project),
                                    shared_definitions(project.settings))


@contextmanager
def _chosen_warnings_ignored() -> Iterator[None]:
    with warnings.catch_warnings():
        # Dagster is pinned exactly; the beta/preview features we build on (partitioned asset checks,
        # dagster-pandas types, pools) are chosen, so their warnings are noise here.
        warnings.simplefilter("ignore", dg.BetaWarning)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        # weekly_risk_job's policy is meant to be the smallest of its assets' (one run per partition on the job
        # page, docs/orchestration.md): Dagster's warning about the mix says what we chose.
        warnings.filterwarnings("ignore", message="Asset job weekly_risk_job materializes assets with varying "
                                "BackfillPolicies", category=UserWarning)
        yield
