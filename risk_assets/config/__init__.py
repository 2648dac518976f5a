"""Configuration, parsed once into typed objects: tenants.yaml and thresholds.yaml."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from risk_assets.config.errors import ConfigError, config_error_from_validation
from risk_assets.config.tenants import TENANT_EXAMPLES, Tenant, TenantsFile
from risk_assets.config.thresholds import THRESHOLD_EXAMPLES, Thresholds
from risk_assets.config.yaml_files import read_yaml

__all__ = ["AppConfig", "ConfigError", "Tenant", "TenantsFile", "Thresholds", "current_tenants", "load_config",
           "load_tenants", "load_thresholds"]

log = logging.getLogger(__name__)


class AppConfig(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    tenants: TenantsFile
    thresholds: Thresholds
    tenants_path: Path
    thresholds_path: Path


def _config_file(config_dir: Path, name: str, allow_example: bool) -> Path:
    path = config_dir / name
    example = config_dir / f"{name}.example"
    if path.is_symlink() and not path.exists():
        raise ConfigError(path, [f"is a symbolic link to {path.readlink()}, which does not exist: fix the link "
                                 "or replace it with the file (the example is never used in its place)"])
    if path.exists():
        return path
    if allow_example and example.exists():
        log.info("%s not found; using %s", path, example)
        return example
    raise ConfigError(path, [f"file not found; copy {example.name} to {path} and edit it"])


def _mapping(path: Path, raw: Any) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(path, [f"top level must be a mapping of keys to values, got {type(raw).__name__}"])
    return raw


def _load(path: Path, model: type[BaseModel], parse: Callable[[dict], Any], examples: dict[str, str]) -> Any:
    raw = _mapping(path, read_yaml(path))
    try:
        return parse(raw)
    except ValidationError as exc:
        raise config_error_from_validation(path, exc, model, raw, examples) from None


def load_tenants(path: Path) -> TenantsFile:
    return _load(path, TenantsFile, TenantsFile.model_validate, TENANT_EXAMPLES)


def current_tenants(path: Path) -> TenantsFile:
    """tenants.yaml as it is now, parsed again only when the file changed: sensors and schedules read it on every
    tick, and 10,000 tenants take seconds to parse."""
    stat = path.stat()
    return _tenants_as_of(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _tenants_as_of(path: Path, _mtime_ns: int, _size: int) -> TenantsFile:
    return load_tenants(path)


def load_thresholds(path: Path) -> Thresholds:
    return _load(path, Thresholds, Thresholds.from_mapping, THRESHOLD_EXAMPLES)


def load_config(config_dir: Path, *, allow_examples: bool = True) -> AppConfig:
    """Read both files from `config_dir`; `*.example` stands in for a missing file when allowed."""
    tenants_path = _config_file(config_dir, "tenants.yaml", allow_examples)
    thresholds_path = _config_file(config_dir, "thresholds.yaml", allow_examples)
    return AppConfig(
        tenants=load_tenants(tenants_path),
        thresholds=load_thresholds(thresholds_path),
        tenants_path=tenants_path,
        thresholds_path=thresholds_path,
    )
