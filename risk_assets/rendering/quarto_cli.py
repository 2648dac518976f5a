"""Rendering with the Quarto CLI, when it is installed: `quarto render` with `-P` parameters.

Each render works on a private copy of the template's folder in a temporary directory, because Quarto
writes intermediate files (`*.quarto_ipynb`, `.quarto/`) next to its input: two tenant-weeks rendered at
once from the same template would otherwise overwrite each other's, and the template folder may be
read-only. The finished file is then copied into place atomically.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Mapping, Optional

from risk_assets.files import write_atomically
from risk_assets.rendering.errors import RenderError
from risk_assets.rendering.params import ParamValue

QUARTO_BIN_ENV = "RISK_QUARTO_BIN"
# The kernel Quarto starts must be a Python that has papermill, jupyter and this project installed.
QUARTO_PYTHON_ENV = "QUARTO_PYTHON"
# Relative to the copied template folder: Quarto versions differ in how they treat an absolute --output-dir.
OUTPUT_DIR = "_output"
COPY_IGNORE = shutil.ignore_patterns(".*", "_output", "*_files", "*.quarto_ipynb", "*.html", "__pycache__")
RENDER_TIMEOUT_SECONDS = 900
STDERR_TAIL_LINES = 20


def find_quarto() -> Optional[Path]:
    """The quarto binary: RISK_QUARTO_BIN if set, else `quarto` on PATH, else None."""
    configured = os.environ.get(QUARTO_BIN_ENV, "").strip()
    if configured:
        found = shutil.which(configured)
        if found is None:
            # A configured but broken path must not silently fall back to the built-in renderer.
            raise RenderError(
                f"{QUARTO_BIN_ENV}={configured} is not an executable file: point it at the quarto binary, "
                "or unset it to use Quarto from PATH or the built-in renderer"
            )
        return Path(found)
    found = shutil.which("quarto")
    return Path(found) if found else None


def kernel_python() -> str:
    """The Python Quarto's Jupyter engine starts: QUARTO_PYTHON, else the pipeline's own."""
    return os.environ.get(QUARTO_PYTHON_ENV) or sys.executable


def quarto_argv(quarto: Path, template_name: str, params: Mapping[str, ParamValue], output_name: str,
                lang: Optional[str] = None) -> list[str]:
    """The command line, run from the folder holding the template copy; `output_name` is a bare file name
    (Quarto refuses a path in --output)."""
    argv = [str(quarto), "render", template_name, "--to", "html", "-M", "embed-resources:true"]
    if lang:
        argv += ["-M", f"lang:{lang}"]
    for name, value in params.items():
        argv += ["-P", f"{name}:{yaml_scalar(value)}"]
    return argv + ["--output", output_name, "--output-dir", OUTPUT_DIR]


def yaml_scalar(value: ParamValue) -> str:
    """Quarto reads each -P value as YAML: strings are quoted so that '2025-01-06' stays a string
    (not a date) and a path containing ': ' or '#' survives. A JSON string is a valid YAML scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def render_with_quarto(
    quarto: Path, template: Path, params: Mapping[str, ParamValue], output: Path, *, label: str,
    lang: Optional[str] = None,
) -> Path:
    with tempfile.TemporaryDirectory(prefix="risk-quarto-") as scratch:
        workdir = Path(scratch) / "template"
        shutil.copytree(template.parent, workdir, ignore=COPY_IGNORE)
        argv = quarto_argv(quarto, template.name, params, output.name, lang)
        _run(argv, workdir, label)
        produced = workdir / OUTPUT_DIR / output.name
        if not produced.is_file():
            raise RenderError(
                f"{label}: quarto render finished without writing {OUTPUT_DIR}/{output.name} "
                "(Quarto 1.4 or newer is needed for --output-dir with a single document)"
            )
        return write_atomically(output, produced.read_bytes())


def _run(argv: list[str], workdir: Path, label: str) -> None:
    # Quarto and Deno honour NO_COLOR; any code left is stripped below.
    env = {**os.environ, "NO_COLOR": "1", QUARTO_PYTHON_ENV: kernel_python()}
    try:
        completed = subprocess.run(
            argv, check=False, cwd=workdir, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace",
            timeout=RENDER_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        raise RenderError(f"{label}: quarto render did not finish within {RENDER_TIMEOUT_SECONDS} s") from error
    except OSError as error:
        raise RenderError(f"{label}: cannot run {argv[0]}: {error.strerror or error}") from error
    if completed.returncode != 0:
        raise RenderError(explain_failure(completed.stderr or completed.stdout, label, completed.returncode))


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Quarto's progress lines name each cell by its label: "  Cell 2/9: 'kpis'...".
_CELL_PROGRESS = re.compile(r"^\s*Cell \d+/\d+: '(?P<label>[^']*)'", re.MULTILINE)
_CELL_LINE = re.compile(r"^Cell In\[\d+\], line (?P<line>\d+)", re.MULTILINE)
_EXCEPTION = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))(?::\s*(?P<detail>.*))?$")
_NOISE = re.compile(r"^\s*(at |Stack trace:|Traceback|File \"|Cell In\[|-{5,}|\^+$|Starting python3 kernel|"
                    r"Executing |\s*\d+\s*[|:]?\s)")
FIXES = {
    "ModuleNotFoundError": f"the Jupyter Python lacks a package: install `.[jupyter]` into {QUARTO_PYTHON_ENV}",
    "ImportError": f"the Jupyter Python lacks a package: install `.[jupyter]` into {QUARTO_PYTHON_ENV}",
    "FileNotFoundError": "an input file of the template is missing: re-materialise the tenant's summary",
    "KeyError": "the template reads a field its inputs do not have: check the cell against summary.json",
}


def plain_text(output: str) -> str:
    """Terminal output without its colour and cursor codes."""
    return _ANSI.sub("", output)


def explain_failure(output: str, label: str, returncode: int) -> str:
    """Quarto's output, shortened to what matters: the failing cell's label, the exception and a likely fix."""
    text = plain_text(output)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    cell = _failing_cell(text)
    exception = next((m for m in map(_EXCEPTION.match, reversed(lines)) if m), None)
    line = _CELL_LINE.search(text)
    where = (f" in cell '{cell}'" if cell else "") + (f" at line {line['line']} of the cell" if cell and line else "")
    if exception:
        what = f"{exception['name']}: {exception['detail']}" if exception["detail"] else exception["name"]
        fix = FIXES.get(exception["name"].rsplit(".", 1)[-1], "fix the cell or the data it reads")
        return f"{label}: quarto render failed{where}: {what} ({fix})"
    shown = [line for line in lines if not _NOISE.match(line)][-STDERR_TAIL_LINES:]
    return (f"{label}: quarto render failed{where} (exit status {returncode}); the end of its output:\n"
            + ("\n".join(shown) or "(no output)"))


def _failing_cell(text: str) -> Optional[str]:
    """The label of the cell Quarto was executing when "An error occurred while executing the following cell"."""
    marker = text.rfind("An error occurred while executing the following cell")
    if marker < 0:
        return None
    progress = list(_CELL_PROGRESS.finditer(text, 0, marker))
    return (progress[-1]["label"] or None) if progress else None
