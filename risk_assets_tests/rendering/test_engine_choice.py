"""Which renderer `engine` selects, and the parameter checks shared by both renderers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from risk_assets.rendering import RenderError, quarto_available, render_report
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


def test_auto_uses_the_built_in_renderer_when_quarto_is_absent(no_quarto_on_path, template, tmp_path):
    assert quarto_available() is None

    output = render_report(template, {"school": "Given"}, tmp_path / "report.html", label=LABEL)

    page = output.read_text(encoding="utf-8")
    assert f'<meta name="generator" content="{GENERATOR}">' in page
    assert "<p>Given</p>" in page


def test_auto_uses_quarto_from_path(monkeypatch, fake_quarto, template, tmp_path):
    executable, log = fake_quarto("succeed")
    monkeypatch.setenv("PATH", str(executable.parent))

    assert quarto_available() == executable
    output = render_report(template, {}, tmp_path / "report.html", label=LABEL)

    assert "rendered by fake quarto" in output.read_text()
    assert log.exists()


def test_builtin_ignores_an_installed_quarto(monkeypatch, fake_quarto, template, tmp_path):
    executable, log = fake_quarto("succeed")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))

    output = render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="builtin")

    assert GENERATOR in output.read_text(encoding="utf-8")
    assert not log.exists()


def test_quarto_requested_but_absent(no_quarto_on_path, template, tmp_path):
    with pytest.raises(RenderError, match=rf"^{LABEL}: engine 'quarto' was requested but Quarto was not found"):
        render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="quarto")


def test_an_unknown_engine_is_a_programming_error(template, tmp_path):
    with pytest.raises(ValueError, match="engine must be one of auto, builtin, quarto, not 'pandoc'"):
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
