"""Reading .qmd documents: front matter, cells and their `#|` options, and what is refused."""

from __future__ import annotations

import pytest

from risk_assets.rendering.qmd import Cell, Markdown, QmdError, parse_document

DOCUMENT = """\
---
title: Weekly report
lang: ko
format:
  html:
    embed-resources: true
jupyter: python3
execute:
  echo: false
---

# Heading

```{python}
#| label: setup
#| include: false
#| tags: [parameters]
summary_path = ""
```

Between.

```{python}
#|output: asis
print("<p>x</p>")
```
"""


def test_front_matter_and_blocks_in_order():
    document = parse_document(DOCUMENT)

    assert document.title == "Weekly report"
    assert document.lang == "ko"
    assert document.execute_defaults == {"echo": False}
    assert [type(block) for block in document.blocks] == [Markdown, Cell, Markdown, Cell]
    assert document.blocks[0].text.strip() == "# Heading"
    assert document.blocks[2].text.strip() == "Between."


def test_cell_options_source_code_and_position():
    setup, output = parse_document(DOCUMENT).cells

    assert setup.options == {"label": "setup", "include": False, "tags": ["parameters"]}
    assert setup.index == 1 and setup.line == 15  # the line after the fence
    assert setup.code == 'summary_path = ""'
    assert setup.source.startswith("#| label: setup\n")
    assert setup.name == "setup"
    assert output.options == {"output": "asis"}
    assert output.name == '#2 (print("<p>x</p>"))'


def test_the_parameters_cell_is_found_by_its_tag():
    document = parse_document(DOCUMENT)

    assert document.parameters_cell is document.cells[0]
    assert parse_document("```{python}\nx = 1\n```\n").parameters_cell is None


def test_cell_options_fall_back_to_execute_defaults_then_to_the_given_default():
    document = parse_document(DOCUMENT)
    setup, output = document.cells

    assert document.option(setup, "include", True) is False
    assert document.option(output, "echo", True) is False
    assert document.option(output, "include", True) is True


def test_a_document_without_front_matter_and_crlf_line_endings():
    document = parse_document("Hello\r\n\r\n```{python}\r\n#| echo: true\r\nx = 1\r\n```\r\n")

    assert document.front_matter == {}
    assert document.title is None and document.lang == "en"
    assert document.cells[0].options == {"echo": True}
    assert document.cells[0].code == "x = 1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: x\n", "front matter opened on line 1 is never closed"),
        ("---\n- a\n---\n", "front matter must be a YAML mapping"),
        ("text\n```{python}\nx = 1\n", "cell opened on line 2 is never closed"),
        ("```{python}\n#| echo: [\nx = 1\n```\n", "options of the cell on line 2 is not valid YAML"),
        ("```{python}\n#| output: html\n```\n", "output: 'html' is not supported; use true, false or asis"),
        ("```{python}\n#| echo: fenced\n```\n", "echo: 'fenced' is not supported; use true or false"),
        ("---\nexecute:\n  include: maybe\n---\n", "execute:: include: 'maybe' is not supported"),
        ("```{r}\n1\n```\n", "line 1: only ```{python} cells are supported, not ```{r}"),
        ("Total: `{python} n` students\n", "line 1: inline `{python}` expressions are not supported"),
        ("::: {.callout-note}\nx\n:::\n", "line 1: fenced divs (`:::`), e.g. callouts and tabsets are not supported"),
        ("See @fig-trend.\n", "line 1: cross-references (`@fig-…`) are not supported by the built-in renderer; "
                              "rendering this template needs Quarto: install Quarto and `.[jupyter]`"),
        ("{{< pagebreak >}}\n", "line 1: shortcodes (`{{< >}}`) are not supported"),
    ],
)
def test_unsupported_or_malformed_documents_are_refused_with_the_place(text, message):
    with pytest.raises(QmdError) as raised:
        parse_document(text)

    assert message in str(raised.value)


def test_ordinary_fenced_code_in_markdown_is_left_to_markdown():
    document = parse_document("```python\nprint('shown, not run')\n```\n")

    assert document.cells == ()
    assert "print('shown, not run')" in document.blocks[0].text
