"""Turning configuration mistakes into one clear message: which file, where, what to write instead."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from risk_assets.errors import UserError


class ConfigError(UserError):
    def __init__(self, path: Path, problems: Sequence[str]):
        self.path = Path(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid configuration in {self.path}:\n{lines}")


def _unwrap(annotation: Any) -> Any:
    """The model class behind Optional[...] / list[...] / Annotated[...], if any."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is not None:
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _model_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = _unwrap(model.model_fields[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _describe_location(loc: Sequence[Any], raw: Any) -> str:
    """`tenants[1] (key 'busan-ocean').timezone` — the list entry is named by its key when it has one."""
    text = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("key"), str):
                text += f" (key '{node['key']}')"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "top level"


def _explain(error: ErrorDetails, root: type[BaseModel], examples: dict[str, str]) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    field = str(loc[-1]) if loc else ""
    value = error.get("input")
    if kind == "missing":
        hint = f"; add e.g. `{examples[field]}`" if field in examples else ""
        return f"missing required field '{field}'{hint}"
    if kind == "extra_forbidden":
        allowed = sorted((_model_at(root, loc[:-1]) or root).model_fields)
        close = difflib.get_close_matches(field, allowed, n=1)
        suggestion = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{field}'{suggestion} (allowed here: {', '.join(allowed)})"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, got {value!r}" + (f"; e.g. `{examples[field]}`" if field in examples else "")
    if kind == "finite_number":
        return (f"must be a finite number, got {value!r}"
                + (f"; e.g. `{examples[field]}`" if field in examples else ""))
    if kind in {"float_type", "float_parsing"}:
        return f"must be a number, got {value!r}" + (f"; e.g. `{examples[field]}`" if field in examples else "")
    if kind in {"bool_type", "bool_parsing"}:
        return f"must be true or false, got {value!r}"
    if kind in {"string_type"}:
        return f"must be text, got {value!r}"
    if kind in {"list_type"}:
        return f"must be a list (e.g. [a, b]), got {value!r}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"must be a mapping of keys to values, got {value!r}"
    if kind == "literal_error":
        return f"{error['msg'].replace('Input should be', 'must be')}, got {value!r}"
    if kind in {"date_type", "date_parsing", "date_from_datetime_parsing"}:
        return f"must be a date written YYYY-MM-DD, got {value!r}"
    if kind in _BOUND_ERRORS:
        return _out_of_range(error, root, loc)
    if kind in {"too_short", "string_too_short"}:
        return "must not be empty"
    if kind == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    return f"{error['msg']} (got {value!r})"


_BOUND_ERRORS = {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}
_BOUND_WORDS = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}


def _out_of_range(error: ErrorDetails, root: type[BaseModel], loc: Sequence[Any]) -> str:
    """`must be from 1 to 7, got 8; <why>`: the field's whole range, not only the bound that failed, and the reason
    for it (the field's description) when it has one."""
    model = _model_at(root, loc[:-1]) or root
    field = model.model_fields.get(str(loc[-1])) if loc else None
    limits = {name: _number(getattr(item, name)) for item in (field.metadata if field else ())
              for name in _BOUND_WORDS if hasattr(item, name)}
    if not limits:
        limits = {name: _number(bound) for name, bound in error["ctx"].items()}
    if set(limits) == {"ge", "le"}:
        text = f"from {limits['ge']} to {limits['le']}"
    else:
        text = " and ".join(f"{_BOUND_WORDS[name]} {bound}" for name, bound in limits.items())
    why = f"; {field.description}" if field and field.description else ""
    return f"must be {text}, got {error.get('input')!r}{why}"


def _number(bound: Any) -> str:
    """2.0 as 2 and -1.645 as -1.645: a bound as a person writes it."""
    return format(bound, "g") if isinstance(bound, float) else str(bound)


def config_error_from_validation(
    path: Path, exc: ValidationError, root: type[BaseModel], raw: Any, examples: dict[str, str]
) -> ConfigError:
    problems: list[str] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = _describe_location(loc[:-1] if error["type"] in {"missing", "extra_forbidden"} else loc, raw)
        problems.append(f"{where}: {_explain(error, root, examples)}")
    return ConfigError(path, _unique(problems))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
