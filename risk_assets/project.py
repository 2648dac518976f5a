"""The project a code location serves: the configuration (tenants.yaml, thresholds.yaml) and the settings from the
environment, read once per load, that every definition is built from.

The components of `risk_assets/defs/` (`weekly/defs.yaml`, `delivery/defs.yaml`) each load one with
`Project.load`; tests and benchmarks build one from a configuration of their own and pass it to
`risk_assets.definitions.definitions_for`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dagster import MultiPartitionsDefinition

from risk_assets.config import AppConfig, load_config
from risk_assets.config.tenants import template_path
from risk_assets.errors import UserError
from risk_assets.partitions import report_partitions
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE, Settings

# A component's attributes (defs.yaml) and the variable each stands for: an attribute that is set wins.
SETTING_VARIABLES = {"config_dir": "RISK_CONFIG_DIR", "report_renderer": "RISK_REPORT_RENDERER",
                     "batch_size": "RISK_BATCH_SIZE"}


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

    @classmethod
    def load(cls, attributes: Mapping[str, object], source: Path) -> Project:
        """Settings from the environment, with the attributes of the component at `source` (a defs.yaml) in place
        of the variables they stand for (checked by the same rules), and the configuration they point to."""
        settings = Settings.from_env()  # a wrong variable is reported as such, before any attribute
        given = {SETTING_VARIABLES[name]: str(value) for name, value in attributes.items() if value is not None}
        if given:
            try:
                settings = Settings.from_env({**os.environ, **given})
            except UserError as exc:
                raise UserError(f"{source}: {exc}") from None
        return cls(load_config(settings.config_dir), settings)
