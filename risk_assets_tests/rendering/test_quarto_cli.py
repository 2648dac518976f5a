"""The Quarto path, driven against a fake `quarto` executable or the stand-in (Quarto itself may be absent)."""

from __future__ import annotations

import html
import sys
from pathlib import Path

import pytest

from risk_assets.rendering import RenderError, render_report
from risk_assets.rendering.quarto_cli import explain_failure, find_quarto, quarto_argv
from risk_assets_tests.quarto_standin import write_standin
from risk_assets_tests.rendering.conftest import LABEL, read_call

TEMPLATE = """\
---
title: Weekly
format:
  html:
    embed-resources: true
jupyter: python3
---

```{python}
#| tags: [parameters]
summary_path = ""
```
"""


def test_the_exact_command_line():
    argv = quarto_argv(Path("/opt/quarto/bin/quarto"), "weekly_report.ipynb", "seoul-2025-01-06.html", "ko")

    assert argv == [
        "/opt/quarto/bin/quarto", "render", "weekly_report.ipynb", "--to", "html", "-M", "embed-resources:true",
        "-M", "lang:ko", "--output", "seoul-2025-01-06.html", "--output-dir", "_output",
    ]


def test_parameters_reach_the_cells_as_the_python_values_given(monkeypatch, write_qmd, tmp_path):
    """Strings that YAML would read as dates or numbers stay strings; ': ' and '#' survive."""
    template = write_qmd("""\
        ```{python}
        #| tags: [parameters]
        week = ""
        school = ""
        top_n = 0
        ratio = 0.0
        demo = False
        ```

        ```{python}
        print(repr((week, school, top_n, ratio, demo)))
        ```
        """)
    monkeypatch.setenv("RISK_QUARTO_BIN", str(write_standin(tmp_path / "standin")))
    params = {"week": "2025-01-06", "school": "한빛 중학교: 2학년 # 1", "top_n": 20, "ratio": 0.25, "demo": True}

    page = render_report(template, params, tmp_path / "report.html", label=LABEL, engine="quarto").read_text()

    assert html.escape(repr(("2025-01-06", "한빛 중학교: 2학년 # 1", 20, 0.25, True))) in page


@pytest.fixture
def template(tmp_path) -> Path:
    folder = tmp_path / "quarto"
    folder.mkdir()
    (folder / "_brand.yml").write_text("color:\n  primary: '#123456'\n")
    (folder / ".quarto").mkdir()  # leftovers of a manual render are not copied
    path = folder / "weekly_report.qmd"
    path.write_text(TEMPLATE)
    return path


@pytest.fixture
def previous_report(tmp_path) -> Path:
    path = tmp_path / "reports" / "seoul-2025-01-06.html"
    path.parent.mkdir()
    path.write_bytes(b"<html>previous good report</html>")
    return path


def test_success_renders_a_copy_of_the_template_folder_and_moves_the_file_into_place(
    monkeypatch, fake_quarto, template, previous_report, tmp_path
):
    executable, log = fake_quarto("succeed")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))
    monkeypatch.delenv("QUARTO_PYTHON", raising=False)
    summary = tmp_path / "summary.json"

    result = render_report(template, {"summary_path": summary, "top_n": 20}, previous_report, label=LABEL)

    assert result == previous_report
    assert previous_report.read_text() == "<!DOCTYPE html><html><body>rendered by fake quarto</body></html>"
    assert list(previous_report.parent.iterdir()) == [previous_report]
    call = read_call(log)
    assert call["argv"] == [
        "render", "weekly_report.ipynb", "--to", "html", "-M", "embed-resources:true",
        "--output", "weekly_report.html", "--output-dir", "_output",
    ]
    workdir = Path(call["cwd"])
    assert workdir != template.parent and call["input_exists"]
    assert not workdir.exists(), "the temporary copy is removed after the render"
    assert call["quarto_python"] == sys.executable
    assert sorted(path.name for path in template.parent.iterdir()) == [".quarto", "_brand.yml", "weekly_report.qmd"]


def test_an_explicit_quarto_python_runs_the_cells_and_is_handed_to_quarto(monkeypatch, fake_quarto, template,
                                                                            tmp_path):
    executable, log = fake_quarto("succeed")
    kernel_python = tmp_path / "kernel" / "python"
    kernel_python.parent.mkdir()
    started = tmp_path / "kernel" / "started"
    kernel_python.write_text(f'#!/bin/sh\necho "$@" >> {started}\nexec {sys.executable} "$@"\n')
    kernel_python.chmod(0o755)
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))
    monkeypatch.setenv("QUARTO_PYTHON", str(kernel_python))

    render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="quarto")

    assert read_call(log)["quarto_python"] == str(kernel_python)
    assert "-m risk_assets.rendering.cell_worker" in started.read_text().splitlines()


def test_failure_raises_with_the_stderr_tail_and_leaves_the_previous_report(
    monkeypatch, fake_quarto, template, previous_report
):
    executable, _ = fake_quarto("fail")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))
    before = previous_report.read_bytes()

    with pytest.raises(RenderError) as raised:
        render_report(template, {"summary_path": "/x"}, previous_report, label=LABEL, engine="quarto")

    assert str(raised.value) == (
        f"{LABEL} (the batch's skeleton page): quarto render failed (exit status 1); the end of its output:\n"
        "ERROR: YAMLError: bad indentation of a mapping entry (weekly_report.ipynb, 3:9)")
    assert "\x1b" not in str(raised.value)
    assert previous_report.read_bytes() == before
    assert list(previous_report.parent.iterdir()) == [previous_report]


def test_failure_writes_no_output_file(monkeypatch, fake_quarto, template, tmp_path):
    executable, _ = fake_quarto("fail")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))
    output = tmp_path / "fresh" / "report.html"

    with pytest.raises(RenderError):
        render_report(template, {}, output, label=LABEL, engine="quarto")

    assert not output.exists()


def test_exit_zero_without_the_output_file_is_an_error(monkeypatch, fake_quarto, template, previous_report):
    executable, _ = fake_quarto("silent")
    monkeypatch.setenv("RISK_QUARTO_BIN", str(executable))

    with pytest.raises(RenderError, match=r"finished without writing _output/weekly_report.html"):
        render_report(template, {}, previous_report, label=LABEL)

    assert previous_report.read_bytes() == b"<html>previous good report</html>"


def test_a_misconfigured_quarto_bin_is_an_error_not_a_silent_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("RISK_QUARTO_BIN", str(tmp_path / "no-such-quarto"))

    with pytest.raises(RenderError, match=r"RISK_QUARTO_BIN=.*no-such-quarto is not an executable file"):
        find_quarto()


def test_an_error_without_a_python_exception_keeps_the_end_of_the_output_without_noise():
    output = ("\x1b[1mERROR\x1b[22m: YAMLError: bad indentation of a mapping entry (weekly_report.qmd, 3:9)\n"
              "Stack trace:\n    at generateError (file:///opt/quarto/bin/quarto.js:1:1)\n"
              "    at readBlockMapping (file:///opt/quarto/bin/quarto.js:2:2)\n")

    assert explain_failure(output, LABEL, 1) == (
        f"{LABEL}: quarto render failed (exit status 1); the end of its output:\n"
        "ERROR: YAMLError: bad indentation of a mapping entry (weekly_report.qmd, 3:9)")


def test_a_failing_cell_is_named_with_its_qmd_line_and_exception(monkeypatch, write_qmd, tmp_path):
    template = write_qmd("""\
        ```{python}
        #| tags: [parameters]
        summary_path = ""
        ```

        ```{python}
        #| label: kpis
        #| output: asis
        fields = {}
        print(fields["students_path"])
        ```
        """)
    monkeypatch.setenv("RISK_QUARTO_BIN", str(write_standin(tmp_path / "standin")))

    with pytest.raises(RenderError) as raised:
        render_report(template, {"summary_path": "/x"}, tmp_path / "report.html", label=LABEL, engine="quarto")

    assert str(raised.value) == (
        f"{LABEL}: cell 'kpis' of report.qmd failed at line 10: KeyError: 'students_path' "
        "(the template reads a field its inputs do not have: check the cell against summary.json)")
    assert not (tmp_path / "report.html").exists()
