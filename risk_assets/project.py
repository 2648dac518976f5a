"""The project a code location serves: settings and configuration, read once, and the Definitions built from them.

Every module under `risk_assets/defs/` builds its definitions from `current_project()`; Dagster loads them with
`load_from_defs_folder`. Tests and benchmarks build definitions for a configuration of their own with
`build_definitions(config, settings)`, which loads the same defs folder for that project.
"""

from __future__ import annotations

import contextvars
import functools
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dagster import (
    BetaWarning,
    Definitions,
    MultiPartitionsDefinition,
    PreviewWarning,
    load_from_defs_folder,
)

from risk_assets.config import AppConfig, load_config
from risk_assets.config.tenants import template_path
from risk_assets.partitions import report_partitions
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE, PROJECT_DIR, Settings


@dataclass(frozen=True)
class Project:
    config: AppConfig
    settings: Settings

    @cached_property
    def partitions(self) -> MultiPartitionsDefinition:
        """Week × tenant, shared by every asset, check and job (tenants.yaml read once)."""
        return report_partitions(self.config.tenants)

    @property
    def report_template(self) -> Path:
        configured = self.config.tenants.report.template
        return template_path(configured) if configured else DEFAULT_REPORT_TEMPLATE

    @property
    def batch_size(self) -> int:
        """RISK_BATCH_SIZE if set, else tenants.yaml's batch.size: partitions per run of a backfill."""
        return self.settings.batch_size or self.config.tenants.batch.size

    @property
    def report_renderer(self) -> str:
        """RISK_REPORT_RENDERER if set, else tenants.yaml's report.renderer."""
        return self.settings.report_renderer or self.config.tenants.report.renderer


_override: contextvars.ContextVar[Project | None] = contextvars.ContextVar("risk_project", default=None)


@functools.cache
def _from_environment() -> Project:
    settings = Settings.from_env()
    return Project(load_config(settings.config_dir), settings)


def current_project() -> Project:
    """The project being loaded: the one passed to `build_definitions`, else settings and config from the environment."""
    return _override.get() or _from_environment()


def build_definitions(config: AppConfig, settings: Settings) -> Definitions:
    token = _override.set(Project(config, settings))
    try:
        return load_definitions()
    finally:
        _override.reset(token)


def load_definitions() -> Definitions:
    with warnings.catch_warnings():
        # Dagster is pinned exactly; the beta/preview features we build on (partitioned asset checks,
        # dagster-pandas types, pools) are chosen, so their warnings are noise here.
        warnings.simplefilter("ignore", BetaWarning)
        warnings.simplefilter("ignore", PreviewWarning)
        # weekly_risk_job's policy is meant to be the smallest of its assets' (one run per partition on the job
        # page, docs/orchestration.md): Dagster's warning about the mix says what we chose.
        warnings.filterwarnings("ignore", message="Asset job weekly_risk_job materializes assets with varying "
                                "BackfillPolicies", category=UserWarning)
        return load_from_defs_folder(path_within_project=PROJECT_DIR)
