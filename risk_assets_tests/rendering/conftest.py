"""Small .qmd documents written into each test's tmp dir, a fake `quarto` executable, and a school's inputs for
the default template made by the pipeline's own code."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from risk_assets.rendering import render_report
from risk_assets.settings import PROJECT_DIR

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


# What Quarto 1.7.34 prints when it cannot read a document (colours and Deno's stack trace included).
QUARTO_1_7_ERROR = (
    "\x1b[31mERROR\x1b[39m: YAMLError: bad indentation of a mapping entry (weekly_report.ipynb, 3:9)\n\n"
    "Stack trace:\n    at generateError (file:///opt/quarto/bin/quarto.js:1:1)\n"
    "    at readBlockMapping (file:///opt/quarto/bin/quarto.js:2:2)\n"
)

FAKE_QUARTO = """\
#!{python}
# A stand-in for `quarto render`: records how it was called, then succeeds or fails as configured.
import json, os, sys
from pathlib import Path

QUARTO_1_7_ERROR = {error}
args = sys.argv[1:]
mode = {mode!r}
if args == ["--version"]:
    if mode == "broken":
        sys.stderr.write("\\x1b[31mERROR\\x1b[0m: cannot load the Deno runtime\\n")
        sys.exit(1)
    print("1.7.34")
    sys.exit(0)
Path({log!r}).write_text(json.dumps({{
    "argv": args,
    "cwd": os.getcwd(),
    "input_exists": Path(args[1]).is_file(),
    "quarto_python": os.environ.get("QUARTO_PYTHON"),
}}))
if mode == "fail":
    sys.stderr.write(QUARTO_1_7_ERROR)
    # A half-written output must never reach the reports folder.
    out = Path(args[args.index("--output-dir") + 1]) / args[args.index("--output") + 1]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("<html>partial")
    sys.exit(1)
if mode == "succeed":
    # Real Quarto refuses a brand file brand.yml does not accept; so does the stand-in.
    if Path("_brand.yml").exists():
        from brand_yml import Brand
        try:
            Brand.from_yaml(Path("_brand.yml"))
        except Exception as error:
            sys.stderr.write(f"ERROR: {{error}}\\n")
            sys.exit(1)
    out = Path(args[args.index("--output-dir") + 1]) / args[args.index("--output") + 1]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("<!DOCTYPE html><html><body>rendered by fake quarto</body></html>", encoding="utf-8")
"""


@pytest.fixture
def fake_quarto(tmp_path) -> Callable[[str], tuple[Path, Path]]:
    """fake_quarto(mode) -> (executable, log); mode is 'succeed', 'fail', 'silent' (exit 0, no file) or
    'broken' (even `quarto --version` fails)."""

    def make(mode: str) -> tuple[Path, Path]:
        folder = tmp_path / f"fake-quarto-{mode}"
        folder.mkdir()
        log = folder / "call.json"
        executable = folder / "quarto"
        executable.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(log), mode=mode,
                                                 error=repr(QUARTO_1_7_ERROR)))
        executable.chmod(0o755)
        return executable, log

    return make


def read_call(log: Path) -> dict:
    return json.loads(log.read_text())


def bench_inputs(tmp_path: Path, school: str, students: int) -> dict[str, str]:
    """A school's summary and students files, made by the pipeline's own code (benchmarks/render_bench.py)."""
    sys.path.insert(0, str(PROJECT_DIR / "benchmarks"))
    from render_bench import inputs

    folder = tmp_path / school
    folder.mkdir()
    return inputs(students, folder, "ko")
