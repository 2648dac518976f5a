"""Which renderer a run uses: `auto`, `quarto` or `builtin` (tenants.yaml `report.renderer`, overridden by
RISK_REPORT_RENDERER), decided once per run before anything is rendered.

`auto` takes Quarto only when it can render the template here: the CLI answers `quarto --version`, and the
Python that runs the template's cells (QUARTO_PYTHON, else this Python) can import what they need.
Otherwise it takes the built-in renderer and says why in one line. `quarto` forced but unusable is one
clear error with the fix. A machine that merely has Quarto installed therefore never loses its reports.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from risk_assets.rendering.errors import RenderError
from risk_assets.rendering.quarto_cli import (
    QUARTO_BIN_ENV,
    QUARTO_PYTHON_ENV,
    find_quarto,
    kernel_python,
    plain_text,
)
from risk_assets.settings import REPORT_RENDERERS

# What the cell worker imports to run the template's cells (IPython, with the inline matplotlib backend of ipykernel's
# dependencies), and the template itself.
JUPYTER_MODULES = ("IPython", "matplotlib_inline", "risk_assets")
JUPYTER_FIX = (f"install them into that Python with `pip install -e '.[jupyter]'`, or point {QUARTO_PYTHON_ENV} "
               "at a Python that has them")
PROBE_TIMEOUT_SECONDS = 60
_FIND_MISSING = ("import importlib.util, sys; "
                 "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))")


@dataclass(frozen=True)
class Renderer:
    name: Literal["quarto", "builtin"]
    reason: str  # one line for the run log: what was chosen and why
    quarto: Path | None = None
    version: str | None = None


BUILTIN = Renderer("builtin", "report renderer: built-in (report.renderer: builtin)")


def choose_renderer(requested: str) -> Renderer:
    if requested not in REPORT_RENDERERS:
        raise ValueError(f"the report renderer must be one of {', '.join(REPORT_RENDERERS)}, not {requested!r}")
    if requested == "builtin":
        return BUILTIN
    try:
        quarto = find_quarto()
        if quarto is None:
            raise _Unusable(f"Quarto was not found: put `quarto` on PATH (https://quarto.org/docs/get-started/) "
                            f"or set {QUARTO_BIN_ENV}")
        version = _quarto_version(quarto)
        python = kernel_python()
        missing = _missing_modules(python)
    except (_Unusable, RenderError) as problem:
        return _fallback_or_fail(requested, str(problem))
    if missing:
        return _fallback_or_fail(requested, f"Quarto {version} ({quarto}) was found, but the Python that runs the "
                                            f"template's cells ({python}) cannot import {', '.join(missing)}: "
                                            f"{JUPYTER_FIX}")
    return Renderer("quarto", f"report renderer: Quarto {version} ({quarto}), cells run by {python}",
                    quarto, version)


class _Unusable(Exception):
    pass


def _fallback_or_fail(requested: str, problem: str) -> Renderer:
    if requested == "quarto":
        raise RenderError(f"report.renderer is quarto, but {problem[0].lower()}{problem[1:]}; "
                          "or set report.renderer: auto (or RISK_REPORT_RENDERER=builtin) to use the built-in renderer")
    return Renderer("builtin", f"report renderer: built-in, because {problem[0].lower()}{problem[1:]}")


@functools.cache
def _quarto_version(quarto: Path) -> str:
    done = _probe([str(quarto), "--version"], f"{quarto} --version")
    if done.returncode != 0:
        detail = plain_text(done.stderr or done.stdout).strip().splitlines()
        raise _Unusable(f"{quarto} --version failed (exit status {done.returncode}"
                        f"{': ' + detail[-1] if detail else ''}): reinstall Quarto or point {QUARTO_BIN_ENV} at a "
                        "working one")
    return done.stdout.strip() or "(unknown version)"


@functools.cache
def _missing_modules(python: str) -> tuple[str, ...]:
    done = _probe([python, "-c", _FIND_MISSING, *JUPYTER_MODULES], f"{python} (the Python that runs the cells)")
    if done.returncode != 0:
        raise _Unusable(f"the Python that runs the template's cells, {python}, does not run "
                        f"(exit status {done.returncode}): point {QUARTO_PYTHON_ENV} at a working Python")
    return tuple(done.stdout.split())


def _probe(argv: list[str], what: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False,
                              encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        raise _Unusable(f"{what} did not answer within {PROBE_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise _Unusable(f"cannot run {what}: {error.strerror or error}") from None
