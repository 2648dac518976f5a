"""The code location Dagster loads (`[tool.dagster] module_name`, `[tool.dg.project]`): every module of
`risk_assets/defs/`, built from config/ and the environment."""

import dagster as dg

from risk_assets.project import load_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return load_definitions()
