"""Small .qmd documents written into each test's tmp dir, and a fake `quarto` executable."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from risk_assets.rendering import render_report

LABEL = "seoul 2025-01-06"


@pytest.fixture(autouse=True)
def no_configured_quarto(monkeypatch):
    """Tests choose their engine explicitly; an operator's RISK_QUARTO_BIN must not leak in."""
    monkeypatch.delenv("RISK_QUARTO_BIN", raising=False)


@pytest.fixture
def write_qmd(tmp_path) -> Callable[[str], Path]:
    def write(text: str, name: str = "report.qmd") -> Path:
        path = tmp_path / "template" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


@pytest.fixture
def render_builtin(write_qmd, tmp_path) -> Callable[..., str]:
    """Render a .qmd given as text with the built-in renderer; returns the written HTML."""

    def render(text: str, params: dict | None = None) -> str:
        output = render_report(write_qmd(text), params or {}, tmp_path / "out" / "report.html",
                               label=LABEL, engine="builtin")
        return output.read_text(encoding="utf-8")

    return render


FAKE_QUARTO = """\
#!{python}
# A stand-in for `quarto render`: records how it was called, then succeeds or fails as configured.
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
Path({log!r}).write_text(json.dumps({{
    "argv": args,
    "cwd": os.getcwd(),
    "input_exists": Path(args[1]).is_file(),
    "quarto_python": os.environ.get("QUARTO_PYTHON"),
}}))
mode = {mode!r}
if mode == "fail":
    sys.stderr.write("Starting python3 kernel...Done\\n" * 30)
    sys.stderr.write("KeyError: 'students_path'\\nERROR: Quarto render failed\\n")
    # A half-written output must never reach the reports folder.
    out = Path(args[args.index("--output-dir") + 1]) / args[args.index("--output") + 1]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("<html>partial")
    sys.exit(1)
if mode == "succeed":
    out = Path(args[args.index("--output-dir") + 1]) / args[args.index("--output") + 1]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("<!DOCTYPE html><html><body>rendered by fake quarto</body></html>", encoding="utf-8")
"""


@pytest.fixture
def fake_quarto(tmp_path) -> Callable[[str], tuple[Path, Path]]:
    """fake_quarto(mode) -> (executable, log); mode is 'succeed', 'fail' or 'silent' (exit 0, no file)."""

    def make(mode: str) -> tuple[Path, Path]:
        folder = tmp_path / f"fake-quarto-{mode}"
        folder.mkdir()
        log = folder / "call.json"
        executable = folder / "quarto"
        executable.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(log), mode=mode))
        executable.chmod(0o755)
        return executable, log

    return make


def read_call(log: Path) -> dict:
    return json.loads(log.read_text())
