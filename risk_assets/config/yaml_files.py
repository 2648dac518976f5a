"""Reading YAML configuration files strictly: a duplicated key is an error, not a silent overwrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from risk_assets.config.errors import ConfigError

# A cap keeps a mistaken or hostile file from exhausting memory. tenants.yaml for 10,000 schools is 1.6 MB with
# bare entries (docs/scale.md), 5.7 MB with four recipients and Slack each, 9.8 MB with fourteen recipients: the cap
# is above all of them.
MAX_CONFIG_BYTES = 16_000_000


# libyaml's parser when it is there (PyYAML's wheels have it): 10,000 tenants parse in a fraction of the time.
try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Loader


class _StrictLoader(_Loader):
    """Its own class, so that the duplicate-key constructor below does not change PyYAML's loader for others."""


def _refuse_aliases(text: str) -> None:
    # Aliases (*name) are what a "billion laughs" file multiplies; configuration never needs them.
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, f"YAML aliases (*{event.anchor}) are not allowed in configuration files; write the "
                "value out", event.start_mark)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first written on line {seen[key] + 1}); keep only one",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors name the file and line."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(path, [f"{path.stat().st_size:,} bytes is too large for a configuration file "
                                     f"(at most {MAX_CONFIG_BYTES:,}); is this the right file?"])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [f"file not found: {path}"]) from None
    except IsADirectoryError:
        raise ConfigError(path, ["is a directory, not a file: put the YAML file at this path"]) from None
    except PermissionError:
        raise ConfigError(path, ["cannot be read (permission denied): make it readable by the user running "
                                 "the pipeline, e.g. chmod o+r"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"]) from None
    try:
        _refuse_aliases(text)
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or str(exc)
        raise ConfigError(path, [f"{where}{problem}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, [f"not valid YAML: {exc}"]) from None
