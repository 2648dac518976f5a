"""Report parameters: the scalar values both paths can pass to the template's `parameters` cell.

Quarto receives them as `-P key:value` on the command line, so complex data travels by file path
(e.g. `summary_path`, `students_path`) and only strings, numbers and booleans are accepted here.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping

from risk_assets.rendering.errors import RenderError

ParamValue = str | int | float | bool


def normalize_params(params: Mapping[str, object], *, label: str) -> dict[str, ParamValue]:
    """Check every parameter and turn paths into strings, so both engines see identical values."""
    return {_checked_name(name, label): _checked_value(name, value, label) for name, value in params.items()}


def _checked_name(name: str, label: str) -> str:
    # The parameters become Python variables (and `-P name:value` splits at the first ':').
    if not isinstance(name, str) or not name.isidentifier():
        raise RenderError(f"{label}: report parameter name {name!r} is not a valid Python identifier")
    return name


def _checked_value(name: str, value: object, label: str) -> ParamValue:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (str, bool)):
        return value
    # numpy/pandas scalars are numbers too, but would not survive the trip through Quarto's YAML.
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise RenderError(f"{label}: report parameter {name} is {value}; only finite numbers can be passed")
        return float(value)
    raise RenderError(
        f"{label}: report parameter {name} is a {type(value).__name__}; only strings, numbers, booleans "
        "and paths can be passed — write complex data to a file and pass its path"
    )
