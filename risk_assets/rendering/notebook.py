"""A Quarto document as the Jupyter notebook Quarto renders (what `quarto convert` writes): the front matter in the
first markdown cell, markdown cells, and code cells whose `#|` option lines stay in their source, where Quarto
reads them.

The cell worker fills the code cells' outputs; Quarto then renders the notebook without executing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from risk_assets.rendering.params import ParamValue
from risk_assets.rendering.qmd import Cell, Document, Markdown

NBFORMAT, NBFORMAT_MINOR = 4, 5
INJECTED_TAG = "injected-parameters"  # papermill's and Quarto's name for the cell that sets the parameters
KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}


def document_notebook(document: Document, params: Mapping[str, ParamValue]) -> dict:
    """The notebook of `document` with `params` assigned right after its `parameters` cell (as Quarto does)."""
    cells = [_front_matter_cell(document)] if document.front_matter_text else []
    for block in document.blocks:
        cells.append(_code_cell(len(cells), block) if isinstance(block, Cell) else _markdown_cell(len(cells), block))
        if isinstance(block, Cell) and block is document.parameters_cell:
            cells.append(injected_parameters_cell(len(cells), params))
    if document.parameters_cell is None and params:
        cells.insert(1 if document.front_matter_text else 0, injected_parameters_cell(len(cells), params))
    return {"nbformat": NBFORMAT, "nbformat_minor": NBFORMAT_MINOR, "cells": cells,
            "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}}


def injected_parameters_cell(index: int, params: Mapping[str, ParamValue]) -> dict:
    # Every value is a str, int, float or bool (params.py), whose repr is its Python literal.
    source = "\n".join(["#| include: false", *(f"{name} = {value!r}" for name, value in params.items())])
    cell = _cell(index, "code", source)
    cell["metadata"]["tags"] = [INJECTED_TAG]
    return cell


def code_cells(notebook: dict) -> list[dict]:
    """The template's own code cells, in order (the injected parameters cell left out)."""
    return [cell for cell in notebook["cells"]
            if cell["cell_type"] == "code" and INJECTED_TAG not in cell["metadata"].get("tags", ())]


def _front_matter_cell(document: Document) -> dict:
    # Where `quarto convert` puts it: a markdown cell that opens the notebook with the YAML between fences.
    return _cell(0, "markdown", f"---\n{document.front_matter_text}\n---")


def _markdown_cell(index: int, block: Markdown) -> dict:
    return _cell(index, "markdown", block.text)


def _code_cell(index: int, cell: Cell) -> dict:
    return _cell(index, "code", cell.source)


def _cell(index: int, kind: str, source: str) -> dict:
    # Quarto reads a cell's source as a list of lines (as Jupyter writes it): as one string, a front matter cell
    # would not be recognised.
    cell: dict[str, Any] = {"id": f"cell-{index}", "cell_type": kind, "metadata": {},
                            "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell
