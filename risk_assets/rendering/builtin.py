"""The built-in renderer: the same .qmd Quarto would render, turned into one self-contained HTML page
in-process, with no network and no external program.

Cell output follows Quarto's rules for the options the template may use (see quarto/README.md).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from html import escape
from pathlib import Path

from markdown_it import MarkdownIt

from risk_assets.files import write_atomically
from risk_assets.rendering.errors import RenderError, cell_failure
from risk_assets.rendering.kernel import CellResult, Kernel, importable_from
from risk_assets.rendering.page import html_page
from risk_assets.rendering.params import ParamValue
from risk_assets.rendering.qmd import (
    ASIS,
    NEEDS_QUARTO,
    Cell,
    Document,
    Markdown,
    QmdError,
    read_document,
)
from risk_assets.rendering.self_contained import check_self_contained
from risk_assets.report.fragments import unwrap_raw_html

# Quarto shows code unless told otherwise; a report for school staff never should, so the built-in
# renderer only shows it on an explicit `echo: true`.
ECHO_DEFAULT = False


def render_builtin(template: Path, params: Mapping[str, ParamValue], output: Path, *, label: str,
                   lang: str | None = None, document: Document | None = None) -> Path:
    """Render completely in memory, check it references nothing external, then replace `output` atomically.
    `document`: the template already parsed (a session parses it once for its batch)."""
    html = render_html(template, params, label=label, lang=lang, document=document)
    check_self_contained(html, label=label)
    return write_atomically(output, html.encode("utf-8"))


def parsed_template(template: Path, label: str) -> Document:
    try:
        return read_document(template)
    except QmdError as error:
        raise RenderError(f"{label}: cannot render {template}: {error}") from error


def render_html(template: Path, params: Mapping[str, ParamValue], *, label: str, lang: str | None = None,
                document: Document | None = None) -> str:
    document = document or parsed_template(template, label)
    body = _render_body(document, template, params, label)
    return html_page(body=body, title=document.title, page_title=document.pagetitle or template.stem,
                     lang=lang or document.lang)


def _render_body(document: Document, template: Path, params: Mapping[str, ParamValue], label: str) -> str:
    kernel = Kernel(template)
    parameters_cell = document.parameters_cell
    if parameters_cell is None:
        # papermill injects at the top of a notebook that has no `parameters` cell.
        kernel.inject(params)
    markdown = _markdown_renderer()
    parts = []
    with importable_from(template.parent):
        for block in document.blocks:
            if isinstance(block, Markdown):
                parts.append(markdown.render(block.text))
                continue
            result = _run(kernel, block, template, label)
            parts.append(_cell_html(document, block, result))
            if block is parameters_cell:
                kernel.inject(params)
    return "\n".join(part for part in parts if part)


def _markdown_renderer() -> MarkdownIt:
    # CommonMark with raw HTML passed through, plus pipe tables: the markdown the template may use.
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def _run(kernel: Kernel, cell: Cell, template: Path, label: str) -> CellResult:
    try:
        result = kernel.run(cell)
    except Exception as error:
        raise RenderError(cell_failure(label, cell.name, template.name, kernel.failing_line(error),
                                       type(error).__name__, str(error))) from error
    if _open_figures():
        raise RenderError(f"{label}: cell '{cell.name}' of {template.name} draws a matplotlib figure, which the "
                          f"built-in renderer cannot show; {NEEDS_QUARTO}")
    return result


def _open_figures() -> bool:
    """Whether a cell left matplotlib figures open (what Jupyter would display); they are closed here."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None or not pyplot.get_fignums():
        return False
    pyplot.close("all")
    return True


def _cell_html(document: Document, cell: Cell, result: CellResult) -> str:
    if not document.option(cell, "include", True):
        return ""
    parts = []
    if document.option(cell, "echo", ECHO_DEFAULT):
        parts.append(f'<pre class="cell-code"><code class="language-python">{escape(cell.code)}</code></pre>')
    output = document.option(cell, "output", True)
    if output == ASIS:
        # Printed text is markdown to Quarto; the report's cells print raw HTML blocks, which it passes through.
        parts.append(unwrap_raw_html(result.stdout))
    elif output:
        if result.stdout:
            parts.append(_output_block(result.stdout))
        if result.value is not None:
            parts.append(_output_block(repr(result.value)))
    return "\n".join(part for part in parts if part)


def _output_block(text: str) -> str:
    return f'<pre class="cell-output">{escape(text)}</pre>'
