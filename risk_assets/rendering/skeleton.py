"""One Quarto render for many schools: a skeleton notebook whose cell outputs are placeholders, rendered once, and
each school's page made from it by putting the school's outputs where the placeholders landed.

Only outputs that Quarto copies into the page unchanged are substituted (docs/performance.md, "Quarto"):
- the text an `output: asis` cell prints when it is made only of raw HTML blocks (```` ```{=html} ````), which
  Pandoc passes through verbatim — unless it holds a `<table>` and the document leaves Quarto's
  `html-table-processing` on, because Quarto then rebuilds the table;
- a PNG figure, which Quarto embeds byte for byte as a base64 `data:` URI (its caption, number and
  cross-references come from the skeleton's own render).
Any other output (Markdown printed by an asis cell, text, warnings, HTML displays) makes `slots` answer None,
and the school's notebook is rendered by Quarto on its own.
"""

from __future__ import annotations

import base64
import copy
import re
import struct
import zlib
from dataclasses import dataclass

from risk_assets.rendering.notebook import code_cells
from risk_assets.rendering.qmd import ASIS, Document, html_option

_RAW_HTML = re.compile(r"```\{=html\}\n(?P<content>.*?)\n```", re.DOTALL)
_ONLY_RAW_HTML = re.compile(r"\s*(?:```\{=html\}\n.*?\n```\s*)+", re.DOTALL)
PNG = "image/png"


@dataclass(frozen=True)
class Slot:
    """One output of a school's notebook that is substituted into the skeleton's page."""

    kind: str  # "html" or "png"
    content: str  # the HTML, or the PNG's base64
    metadata: tuple = ()  # a figure's display metadata (width, height), which the skeleton's figure must share

    @property
    def shape(self) -> tuple:
        """What the skeleton depends on: schools with the same shapes share one skeleton."""
        return (self.kind, self.metadata)


def slots(document: Document, notebook: dict) -> list[Slot] | None:
    """The substitutable outputs of an executed notebook, in order; None when any output is not substitutable."""
    found: list[Slot] = []
    tables_processed = html_option(document, "html-table-processing") != "none"
    for cell, source in zip(code_cells(notebook), document.cells):
        if not _shown(document, source):
            continue
        asis = document.option(source, "output", True) == ASIS
        cell_slots = _asis_slots(cell["outputs"], tables_processed) if asis else _figure_slots(cell["outputs"])
        if cell_slots is None:
            return None
        found += cell_slots
    return found


def skeleton_notebook(document: Document, notebook: dict) -> dict:
    """The notebook with every substitutable output replaced by slot k's placeholder, k counting from 0."""
    skeleton = copy.deepcopy(notebook)
    index = 0
    for cell, source in zip(code_cells(skeleton), document.cells):
        if not _shown(document, source):
            cell["outputs"] = []
        elif document.option(source, "output", True) == ASIS:
            cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                "text": f"```{{=html}}\n{html_placeholder(index)}\n```\n"}]
            index += 1
        else:
            for output in cell["outputs"]:
                if PNG in output.get("data", {}):
                    output["data"] = {PNG: png_placeholder(index)}
                    index += 1
    return skeleton


def placeholders(slot_list: list[Slot]) -> list[str]:
    """What each slot's placeholder looks like in the rendered page."""
    return [html_placeholder(k) if slot.kind == "html" else png_placeholder(k) for k, slot in enumerate(slot_list)]


def substitute(page: str, slot_list: list[Slot]) -> str:
    """The skeleton's page with each placeholder replaced by its slot's content, in one pass."""
    marks = placeholders(slot_list)
    content = {mark: slot.content for mark, slot in zip(marks, slot_list)}
    return re.sub("|".join(map(re.escape, marks)), lambda match: content[match[0]], page) if marks else page


def html_placeholder(index: int) -> str:
    return f"<!--risk-assets-slot-{index}-->"


def png_placeholder(index: int) -> str:
    """A valid 1×1 PNG, unique to the slot through a text chunk; its base64 is what Quarto embeds."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"tEXt", f"risk-assets-slot\0{index}".encode())
           + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode("ascii")


def _shown(document: Document, cell) -> bool:
    return document.option(cell, "include", True) is not False and document.option(cell, "output", True) is not False


def _asis_slots(outputs: list[dict], tables_processed: bool) -> list[Slot] | None:
    if not outputs:
        return [Slot("html", "")]
    if any(output["output_type"] != "stream" or output["name"] != "stdout" for output in outputs):
        return None
    text = "".join(output["text"] for output in outputs)
    if not _ONLY_RAW_HTML.fullmatch(text):
        return None
    html = "\n".join(match["content"] for match in _RAW_HTML.finditer(text))
    if tables_processed and "<table" in html.lower():
        return None
    return [Slot("html", html)]


def _figure_slots(outputs: list[dict]) -> list[Slot] | None:
    found = []
    for output in outputs:
        data = output.get("data", {})
        if output["output_type"] not in ("display_data", "execute_result") or PNG not in data:
            return None
        metadata = output.get("metadata", {}).get(PNG, {})
        found.append(Slot("png", "".join(data[PNG].split()), tuple(sorted(metadata.items()))))
    return found
