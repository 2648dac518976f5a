"""The code location Dagster loads (`[tool.dagster] module_name`): the single Definitions object."""

from risk_assets.config import load_config
from risk_assets.graph import build_definitions
from risk_assets.settings import Settings

_settings = Settings.from_env()
defs = build_definitions(load_config(_settings.config_dir), _settings)
