"""The Quarto CLI, when it is installed: finding it, and `quarto render` of an executed notebook.

Renders work on a private copy of the template's folder in a temporary directory, because Quarto writes
intermediate files (`*_files/`, `.quarto/`) next to its input: two batches rendering the same template at once would
otherwise overwrite each other's, and the template folder may be read-only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from risk_assets.rendering.errors import RenderError

QUARTO_BIN_ENV = "RISK_QUARTO_BIN"
# The Python that runs the template's cells (Quarto's own variable for its Jupyter engine): it needs IPython and
# this project installed.
QUARTO_PYTHON_ENV = "QUARTO_PYTHON"
# Relative to the copied template folder: Quarto versions differ in how they treat an absolute --output-dir.
OUTPUT_DIR = "_output"
COPY_IGNORE = shutil.ignore_patterns(".*", "_output", "*_files", "*.quarto_ipynb", "*.html", "__pycache__")
RENDER_TIMEOUT_SECONDS = 900
STDERR_TAIL_LINES = 20


def find_quarto() -> Path | None:
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
    """The Python that runs the template's cells: QUARTO_PYTHON, else the pipeline's own."""
    return os.environ.get(QUARTO_PYTHON_ENV) or sys.executable


def quarto_argv(quarto: Path, notebook_name: str, output_name: str, lang: str | None = None) -> list[str]:
    """The command line, run from the folder holding the notebook; `output_name` is a bare file name (Quarto refuses
    a path in --output). Quarto renders a notebook without executing it: its outputs are already there."""
    argv = [str(quarto), "render", notebook_name, "--to", "html", "-M", "embed-resources:true"]
    if lang:
        argv += ["-M", f"lang:{lang}"]
    return argv + ["--output", output_name, "--output-dir", OUTPUT_DIR]


def copy_template_folder(template: Path, scratch: Path) -> Path:
    """A private copy of the template's folder in `scratch`, where Quarto may write its intermediate files."""
    workdir = scratch / "template"
    shutil.copytree(template.parent, workdir, ignore=COPY_IGNORE)
    return workdir


def render_notebook(quarto: Path, workdir: Path, notebook: dict, name: str, *, label: str,
                    lang: str | None = None) -> bytes:
    """The self-contained HTML page Quarto makes of `notebook`, written as `<name>.ipynb` in `workdir`."""
    (workdir / f"{name}.ipynb").write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    produced = workdir / OUTPUT_DIR / f"{name}.html"
    produced.unlink(missing_ok=True)
    _run(quarto_argv(quarto, f"{name}.ipynb", produced.name, lang), workdir, label)
    if not produced.is_file():
        raise RenderError(
            f"{label}: quarto render finished without writing {OUTPUT_DIR}/{produced.name} "
            "(Quarto 1.4 or newer is needed for --output-dir with a single document)"
        )
    return produced.read_bytes()


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
_NOISE = re.compile(r"^\s*(at |Stack trace:|-{5,}|\^+$)")


def plain_text(output: str) -> str:
    """Terminal output without its colour and cursor codes."""
    return _ANSI.sub("", output)


def explain_failure(output: str, label: str, returncode: int) -> str:
    """Quarto's output, shortened to what matters: its last lines without Deno's stack trace."""
    lines = [line.rstrip() for line in plain_text(output).splitlines() if line.strip()]
    shown = [line for line in lines if not _NOISE.match(line)][-STDERR_TAIL_LINES:]
    return (f"{label}: quarto render failed (exit status {returncode}); the end of its output:\n"
            + ("\n".join(shown) or "(no output)"))
