"""Which renderer `engine` selects, and the parameter checks shared by both renderers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from risk_assets.rendering import RenderError, choose_renderer, render_report
from risk_assets.rendering.page import GENERATOR
from risk_assets.rendering.params import normalize_params
from risk_assets_tests.rendering.conftest import LABEL

TEMPLATE = """\
```{python}
#| tags: [parameters]
school = "Default"
```

```{python}
#| output: asis
print(f"<p>{school}</p>")
```
"""


@pytest.fixture
def no_quarto_on_path(monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", f"{empty}:{Path(sys.executable).parent}")


@pytest.fixture
def template(write_qmd) -> Path:
    return write_qmd(TEMPLATE)


@pytest.fixture
def python_lacking_jupyter(tmp_path) -> Path:
    """A stand-in for a Python without IPython: it answers the module probe with what is missing."""
    python = tmp_path / "bare-python" / "python"
    python.parent.mkdir()
    python.write_text("#!/bin/sh\necho IPython matplotlib_inline\n")
    python.chmod(0o755)
    return python


def test_auto_uses_the_built_in_renderer_when_quarto_is_absent(no_quarto_on_path, template, tmp_path):
    renderer = choose_renderer("auto")
    assert (renderer.name, renderer.quarto) == ("builtin", None)
    assert renderer.reason.startswith("report renderer: built-in, because quarto was not found: put `quarto` on PATH")

    output = render_report(template, {"school": "Given"}, tmp_path / "report.html", label=LABEL)

    page = output.read_text(encoding="utf-8")
    assert f'<meta name="generator" content="{GENERATOR}">' in page
    assert "<p>Given</p>" in page


def test_auto_uses_quarto_from_path_when_its_jupyter_python_is_ready(monkeypatch, fake_quarto, template, tmp_path):
    executable, log = fake_quarto("succeed")
    monkeypatch.setenv("PATH", str(executable.parent))
    monkeypatch.delenv("QUARTO_PYTHON", raising=False)

    renderer = choose_renderer("auto")
    assert (renderer.name, renderer.quarto, renderer.version) == ("quarto", executable, "1.7.34")
    assert renderer.reason == f"report renderer: Quarto 1.7.34 ({executable}), cells run by {sys.executable}"
    output = render_report(template, {}, tmp_path / "report.html", label=LABEL, engine=renderer)

    assert "rendered by fake quarto" in output.read_text()
    assert log.exists()


def test_auto_falls_back_with_a_reason_when_quarto_is_broken(monkeypatch, fake_quarto, template, tmp_path):
    executable, log = fake_quarto("broken")  # `quarto --version` exits 1
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))

    renderer = choose_renderer("auto")

    assert renderer.name == "builtin"
    assert renderer.reason == (
        f"report renderer: built-in, because {executable} --version failed (exit status 1: ERROR: cannot load the "
        "Deno runtime): reinstall Quarto or point RISK_QUARTO_BIN at a working one")
    output = render_report(template, {}, tmp_path / "report.html", label=LABEL, engine=renderer)
    assert GENERATOR in output.read_text(encoding="utf-8") and not log.exists()


def test_auto_falls_back_when_the_jupyter_python_lacks_packages(monkeypatch, fake_quarto, python_lacking_jupyter):
    executable, _ = fake_quarto("succeed")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))
    monkeypatch.setenv("QUARTO_PYTHON", str(python_lacking_jupyter))

    renderer = choose_renderer("auto")

    assert renderer.name == "builtin"
    assert renderer.reason == (
        f"report renderer: built-in, because quarto 1.7.34 ({executable}) was found, but the Python that runs the "
        f"template's cells ({python_lacking_jupyter}) cannot import IPython, matplotlib_inline: install them into "
        "that Python "
        "with `pip install -e '.[jupyter]'`, or point QUARTO_PYTHON at a Python that has them")


def test_quarto_forced_but_broken_is_one_clear_error(monkeypatch, fake_quarto, template, tmp_path):
    executable, _ = fake_quarto("broken")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))

    with pytest.raises(RenderError) as raised:
        render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="quarto")

    assert str(raised.value) == (
        f"{LABEL}: report.renderer is quarto, but {executable} --version failed (exit status 1: ERROR: cannot "
        "load the Deno runtime): reinstall Quarto or point RISK_QUARTO_BIN at a working one; or set "
        "report.renderer: auto (or RISK_REPORT_RENDERER=builtin) to use the built-in renderer")
    assert not (tmp_path / "report.html").exists()


def test_builtin_ignores_an_installed_quarto(monkeypatch, fake_quarto, template, tmp_path):
    executable, log = fake_quarto("succeed")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))

    output = render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="builtin")

    assert GENERATOR in output.read_text(encoding="utf-8")
    assert not log.exists()


def test_quarto_requested_but_absent(no_quarto_on_path, template, tmp_path):
    with pytest.raises(RenderError, match=rf"^{LABEL}: report.renderer is quarto, but quarto was not found"):
        render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="quarto")


def test_an_unknown_renderer_is_a_programming_error(template, tmp_path):
    with pytest.raises(ValueError, match="the report renderer must be one of auto, quarto, builtin, not 'pandoc'"):
        render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="pandoc")


def test_a_missing_template(tmp_path):
    with pytest.raises(RenderError, match=rf"^{LABEL}: the report template .*missing.qmd does not exist$"):
        render_report(tmp_path / "missing.qmd", {}, tmp_path / "report.html", label=LABEL, engine="builtin")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"students": [1, 2]}, "report parameter students is a list; only strings, numbers, booleans and paths"),
        ({"ratio": float("nan")}, "report parameter ratio is nan; only finite numbers can be passed"),
        ({"not valid": 1}, "report parameter name 'not valid' is not a valid Python identifier"),
    ],
)
def test_parameters_that_cannot_reach_the_template_are_refused(template, tmp_path, params, message):
    with pytest.raises(RenderError, match=rf"^{LABEL}: {message}"):
        render_report(template, params, tmp_path / "report.html", label=LABEL, engine="builtin")


def test_numpy_numbers_become_plain_python_numbers(tmp_path):
    values = normalize_params({"n": np.int64(3), "r": np.float64(0.5), "p": tmp_path}, label=LABEL)

    assert values == {"n": 3, "r": 0.5, "p": str(tmp_path)}
    assert type(values["n"]) is int and type(values["r"]) is float
