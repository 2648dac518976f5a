"""The built-in renderer: Quarto's output rules, parameters, the page around the body, and safe writes."""

from __future__ import annotations

import sys

import pytest

from risk_assets.rendering import RenderError, render_report
from risk_assets.rendering.self_contained import external_references
from risk_assets_tests.rendering.conftest import LABEL

PARAMETERIZED = '''
---
title: "주간 위험 보고서"
lang: ko
format:
  html:
    embed-resources: true
jupyter: python3
execute:
  echo: false
---

```{python}
#| tags: [parameters]
#| include: false
school = "Default School"
threshold = 3
```

```{python}
#| output: asis
import html
print(f"<p id='school'>{html.escape(school)}</p>")
print(f"<p id='threshold'>{threshold!r}</p>")
```
'''


def test_front_matter_sets_lang_title_and_a_complete_page(render_builtin):
    page = render_builtin(PARAMETERIZED)

    assert page.startswith("<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<title>주간 위험 보고서</title>" in page
    assert '<h1 class="title">주간 위험 보고서</h1>' in page
    assert page.rstrip().endswith("</body>\n</html>")


def test_title_is_escaped_and_lang_defaults_to_english(render_builtin):
    page = render_builtin('---\ntitle: "R&D <weekly>"\n---\n\nText.\n')

    assert '<html lang="en">' in page
    assert "<title>R&amp;D &lt;weekly&gt;</title>" in page


def test_parameter_defaults_are_used_when_not_given(render_builtin):
    page = render_builtin(PARAMETERIZED)

    assert "<p id='school'>Default School</p>" in page
    assert "<p id='threshold'>3</p>" in page


def test_given_parameters_override_the_defaults(render_builtin):
    page = render_builtin(PARAMETERIZED, {"school": "한빛중학교", "threshold": 5})

    assert "<p id='school'>한빛중학교</p>" in page
    assert "<p id='threshold'>5</p>" in page
    assert "Default School" not in page


def test_the_parameters_cell_can_be_anywhere_and_runs_before_the_injection(render_builtin):
    page = render_builtin('''
        ```{python}
        #| output: asis
        print("<p id='before'>" + str(globals().get("school")) + "</p>")
        ```

        ```{python}
        #| tags: [parameters]
        #| include: false
        school = "Default"
        ```

        ```{python}
        #| output: asis
        print(f"<p id='after'>{school}</p>")
        ```
    ''', {"school": "Given"})

    assert "<p id='before'>None</p>" in page
    assert "<p id='after'>Given</p>" in page


def test_without_a_parameters_cell_the_parameters_are_set_before_the_first_cell(render_builtin):
    page = render_builtin('''
        ```{python}
        #| output: asis
        print(f"<p>{school}</p>")
        ```
    ''', {"school": "Given"})

    assert "<p>Given</p>" in page


def test_paths_are_passed_as_strings(render_builtin, tmp_path):
    page = render_builtin('''
        ```{python}
        #| output: asis
        print(f"<p>{type(summary_path).__name__}:{summary_path}</p>")
        ```
    ''', {"summary_path": tmp_path / "summary.json"})

    assert f"<p>str:{tmp_path / 'summary.json'}</p>" in page


def test_asis_output_is_inserted_raw(render_builtin):
    page = render_builtin('''
        ```{python}
        #| output: asis
        print('<div class="kpi"><span>12</span> students</div>')
        ```
    ''')

    assert '<main id="quarto-document-content">\n<div class="kpi"><span>12</span> students</div>\n' in page


def test_plain_output_is_escaped_in_a_pre_and_a_trailing_expression_shows_its_repr(render_builtin):
    page = render_builtin('''
        ```{python}
        print("a < b")
        {"k": "<v>"}
        ```
    ''')

    assert '<pre class="cell-output">a &lt; b\n</pre>' in page
    assert "<pre class=\"cell-output\">{&#x27;k&#x27;: &#x27;&lt;v&gt;&#x27;}</pre>" in page


def test_a_trailing_none_and_output_false_show_nothing(render_builtin):
    page = render_builtin('''
        ```{python}
        print("printed")
        None
        ```

        ```{python}
        #| output: false
        print("hidden print")
        "hidden value"
        ```
    ''')

    assert page.count('<pre class="cell-output">') == 1
    assert "hidden" not in page


def test_asis_does_not_show_the_trailing_expression(render_builtin):
    page = render_builtin('''
        ```{python}
        #| output: asis
        print("<b>x</b>")
        "the value"
        ```
    ''')

    assert "the value" not in page


def test_include_false_hides_everything_but_its_side_effects_reach_later_cells(render_builtin):
    page = render_builtin('''
        ```{python}
        #| include: false
        print("setup noise")
        counts = {"crit": 4}
        counts
        ```

        ```{python}
        #| output: asis
        print(f"<p id='crit'>{counts['crit']}</p>")
        ```
    ''')

    assert "setup noise" not in page
    assert "<p id='crit'>4</p>" in page
    assert page.count("<pre") == 0


def test_code_is_hidden_by_default_and_echo_true_shows_it_escaped(render_builtin):
    page = render_builtin('''
        ```{python}
        hidden_code = 1
        ```

        ```{python}
        #| echo: true
        #| output: false
        shown = "<b>" if 1 < 2 else ""
        ```
    ''')

    assert "hidden_code" not in page
    assert ('<pre class="cell-code"><code class="language-python">'
            "shown = &quot;&lt;b&gt;&quot; if 1 &lt; 2 else &quot;&quot;</code></pre>") in page
    assert "#|" not in page


def test_front_matter_execute_defaults_apply_and_cells_override_them(render_builtin):
    page = render_builtin('''
        ---
        execute:
          echo: true
        ---

        ```{python}
        first = 1
        ```

        ```{python}
        #| echo: false
        second = 2
        ```
    ''')

    assert "first = 1" in page
    assert "second = 2" not in page


def test_markdown_becomes_html_with_tables_and_raw_html(render_builtin):
    page = render_builtin('''
        ## Students at risk

        | Class | CRIT |
        |-------|-----:|
        | 8-A   | 3    |

        <div class="note">kept <em>as is</em></div>
    ''')

    assert "<h2>Students at risk</h2>" in page
    assert "<table>" in page
    assert '<td>8-A</td>\n<td style="text-align:right">3</td>' in page
    assert '<div class="note">kept <em>as is</em></div>' in page


def test_script_in_a_parameter_value_stays_escaped(render_builtin):
    page = render_builtin(PARAMETERIZED, {"school": "<script>alert(1)</script>"})

    assert "<p id='school'>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in page
    assert "<script>" not in page


def test_cells_can_import_modules_next_to_the_template(render_builtin, write_qmd):
    helper = write_qmd("GREETING = 'hello from a helper'\n", name="report_helpers_for_test.py")

    page = render_builtin('''
        ```{python}
        #| output: asis
        import report_helpers_for_test
        print(f"<p>{report_helpers_for_test.GREETING}</p>")
        ```
    ''')

    assert "<p>hello from a helper</p>" in page
    assert str(helper.parent) not in sys.path


FAILING = '''
---
title: Failing
---

Intro.

```{python}
#| label: kpis
#| output: asis
print("<p>half</p>")
raise ValueError("no students in the snapshot")
```
'''


@pytest.fixture
def previous_report(tmp_path):
    path = tmp_path / "out" / "report.html"
    path.parent.mkdir(parents=True)
    path.write_bytes("<html>last week's good report — 지난주</html>".encode())
    return path


def test_a_failing_cell_names_the_tenant_week_the_cell_and_the_exception(write_qmd, tmp_path):
    output = tmp_path / "out" / "report.html"

    with pytest.raises(RenderError) as raised:
        render_report(write_qmd(FAILING), {}, output, label=LABEL, engine="builtin")

    message = str(raised.value)
    assert message == (f"{LABEL}: cell 'kpis' of report.qmd failed at line 11: "
                       "ValueError: no students in the snapshot")
    assert "Traceback" not in message
    assert isinstance(raised.value.__cause__, ValueError)
    assert not output.exists()
    assert not output.parent.exists() or list(output.parent.iterdir()) == []


def test_a_failing_cell_leaves_the_previous_report_byte_identical(write_qmd, previous_report):
    before = previous_report.read_bytes()

    with pytest.raises(RenderError):
        render_report(write_qmd(FAILING), {}, previous_report, label=LABEL, engine="builtin")

    assert previous_report.read_bytes() == before
    assert list(previous_report.parent.iterdir()) == [previous_report]


def test_an_unlabelled_failing_cell_is_named_by_its_number_and_first_line(write_qmd, tmp_path):
    template = write_qmd('''
        ```{python}
        ok = 1
        ```

        ```{python}
        #| echo: false
        total = ok + missing_name
        ```
    ''')

    with pytest.raises(RenderError, match=r"cell '#2 \(total = ok \+ missing_name\)' of report.qmd failed "
                                          r"at line 7: NameError: name 'missing_name' is not defined"):
        render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="builtin")


def test_a_syntax_error_is_reported_with_its_line(write_qmd, tmp_path):
    template = write_qmd('''
        ```{python}
        #| label: broken
        if True print("x")
        ```
    ''')

    with pytest.raises(RenderError, match=r"cell 'broken' of report.qmd failed at line 3: SyntaxError"):
        render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="builtin")


def test_an_external_reference_in_cell_output_fails_the_render_and_keeps_the_previous_report(
    write_qmd, previous_report
):
    before = previous_report.read_bytes()
    template = write_qmd('''
        ```{python}
        #| output: asis
        print('<img src="https://cdn.example/logo.png">')
        ```
    ''')

    with pytest.raises(RenderError, match=r'external resource\(s\): <img src="https://cdn.example/logo.png">'):
        render_report(template, {}, previous_report, label=LABEL, engine="builtin")

    assert previous_report.read_bytes() == before


def test_the_whole_built_in_page_is_self_contained(render_builtin):
    assert external_references(render_builtin(PARAMETERIZED)) == []


def test_a_successful_render_replaces_the_previous_report(write_qmd, previous_report):
    render_report(write_qmd(PARAMETERIZED), {}, previous_report, label=LABEL, engine="builtin")

    assert "Default School" in previous_report.read_text(encoding="utf-8")
    assert list(previous_report.parent.iterdir()) == [previous_report]


def test_a_matplotlib_figure_names_the_feature_and_asks_for_quarto(write_qmd, tmp_path):
    pytest.importorskip("matplotlib")
    template = write_qmd("""
        ```{python}
        #| label: trend
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.plot([1, 2, 3])
        plt.show()
        ```
        """)

    with pytest.raises(RenderError) as raised:
        render_report(template, {}, tmp_path / "report.html", label=LABEL, engine="builtin")

    assert str(raised.value).startswith(
        f"{LABEL}: cell 'trend' of report.qmd draws a matplotlib figure, which the built-in renderer cannot show; "
        "rendering this template needs Quarto")
    assert not (tmp_path / "report.html").exists()
