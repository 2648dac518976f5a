"""A stand-in for the `quarto` binary where Quarto is not installed (CI): `quarto render` of an executed notebook
(`.ipynb`, which Quarto renders without executing it), so that the product's Quarto path runs for real up to and
including the subprocess.

`write_standin(folder)` writes the executable. It answers `--version` itself and runs `render` with this file
under QUARTO_PYTHON. The cell outputs are put together as Pandoc would: `output: asis` text is markdown,
```{=html} blocks pass through untouched, `:::` divs become <div>s, figures are embedded as data: URIs and
`@fig-` references are numbered (code is never echoed: the report's cells do not ask for it). None of the product's
page-making code is used, so a report it writes is an independent witness of what the template's cells print.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

VERSION = "1.7.34-stand-in"
GENERATOR = f"quarto-{VERSION}"
WRAPPER = """\
#!/bin/sh
# {doc}
if [ "$1" = "--version" ]; then echo "{version}"; exit 0; fi
exec "${{QUARTO_PYTHON:-python3}}" "{script}" "$@"
"""

_RAW_HTML = re.compile(r"^```\{=html\}\n(?P<content>.*?)\n```$", re.DOTALL | re.MULTILINE)
_DIV_OPEN = re.compile(r"^:::+\s*\{(?P<attributes>[^}]*)\}\s*$")
_DIV_CLOSE = re.compile(r"^:::+\s*$")
_XREF = re.compile(r"(?<![\w`])@(?P<label>fig-[\w-]+)")


def write_standin(folder: Path) -> Path:
    """The executable `quarto` stand-in in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    executable = folder / "quarto"
    executable.write_text(WRAPPER.format(doc=__doc__.splitlines()[0], version=VERSION, script=Path(__file__).resolve()))
    executable.chmod(0o755)
    return executable


def main(argv: list[str]) -> int:
    if argv[:1] != ["render"] or not argv[1:2] or not argv[1].endswith(".ipynb"):
        sys.stderr.write(f"ERROR: the quarto stand-in only renders notebooks, not {' '.join(argv)}\n")
        return 1
    notebook_path, metadata, output = _parse_render(argv[1:])
    front_matter, notebook = _notebook(json.loads(Path(notebook_path).read_text(encoding="utf-8")))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(_page(notebook, {**front_matter, **metadata}), encoding="utf-8")
    return 0


def _parse_render(args: list[str]) -> tuple[str, dict, Path]:
    """`render <notebook> --to html -M key:value … --output <name> --output-dir <dir>`."""
    import yaml

    notebook, rest = args[0], args[1:]
    metadata, options = {}, {}
    for flag, value in zip(rest[::2], rest[1::2]):
        if flag == "-M":
            name, _, text = value.partition(":")
            metadata[name] = yaml.safe_load(text)  # Quarto reads each value as YAML
        else:
            options[flag] = value
    return notebook, metadata, Path(options["--output-dir"]) / options["--output"]


def _notebook(notebook: dict) -> tuple[dict, list[dict]]:
    """The front matter (in the cell that opens the notebook, between `---` fences) and the cells, each code cell's
    `#|` options read from its source into `options`, as Quarto reads them."""
    import yaml

    cells = notebook["cells"]
    for cell in cells:
        cell["source"] = "".join(cell["source"])  # a list of lines, as Jupyter and Quarto write it
    front_matter: dict = {}
    if cells and cells[0]["cell_type"] in ("markdown", "raw") and cells[0]["source"].startswith("---\n"):
        front_matter = yaml.safe_load(cells[0]["source"].strip().strip("-")) or {}
        cells = cells[1:]
    for cell in cells:
        if cell["cell_type"] == "code":
            lines = cell["source"].splitlines()
            count = next((i for i, line in enumerate(lines) if not line.startswith("#|")), len(lines))
            options = yaml.safe_load("\n".join(line[2:] for line in lines[:count])) or {}
            cell["options"] = {**(front_matter.get("execute") or {}), **options}
    return front_matter, cells


def _page(cells: list[dict], metadata: dict) -> str:
    figures = [cell["options"]["label"] for cell in cells
               if cell["cell_type"] == "code" and str(cell["options"].get("label", "")).startswith("fig-")]
    raw: list[str] = []
    markdown = "\n\n".join(_cell_markdown(cell, figures, raw) for cell in cells)
    body = _render_markdown(_XREF.sub(lambda m: _xref(m["label"], figures), _divs(_hold_raw(markdown, raw))))
    body = re.sub(r"<!--raw:(\d+)-->\n?", lambda m: raw[int(m[1])], body)
    title = metadata.get("title")
    heading = f'<h1 class="title">{html.escape(str(title))}</h1>\n' if title else ""
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(str(metadata.get("lang", "en")))}">\n<head>\n'
            f'<meta charset="utf-8">\n<meta name="generator" content="{GENERATOR}">\n'
            f'<title>{html.escape(str(metadata.get("pagetitle") or title or ""))}</title>\n</head>\n'
            f"<body>\n{heading}{body}</body>\n</html>\n")


def _cell_markdown(cell: dict, figures: list[str], raw: list[str]) -> str:
    if cell["cell_type"] == "markdown":
        return cell["source"]
    options = cell["options"]
    if options.get("include") is False or options.get("output") is False:
        return ""
    if options.get("output") == "asis":
        return "".join(output.get("text", "") for output in cell["outputs"] if output["output_type"] == "stream")
    parts = []
    for output in cell["outputs"]:
        data = output.get("data", {})
        if "image/png" in data:
            parts.append(_hold(_figure(data["image/png"], options, figures), raw))
        elif "text/html" in data:
            parts.append(_hold(data["text/html"], raw))
        elif output["output_type"] == "stream" or "text/plain" in data:
            text = output.get("text") or data.get("text/plain", "")
            parts.append(_hold(f'<pre class="cell-output">{html.escape(text)}</pre>', raw))
    return "\n\n".join(parts)


def _figure(png: str, options: dict, figures: list[str]) -> str:
    label, caption = options.get("label", ""), options.get("fig-cap", "")
    number = f"Figure {figures.index(label) + 1}: " if label in figures else ""
    return (f'<figure id="{html.escape(label)}"><img src="data:image/png;base64,{"".join(png.split())}" '
            f'alt="{html.escape(caption)}"><figcaption>{number}{html.escape(caption)}</figcaption></figure>')


def _hold(content: str, raw: list[str]) -> str:
    """Raw HTML kept out of the markdown parser (blank lines inside it would end an HTML block)."""
    raw.append(content)
    return f"<!--raw:{len(raw) - 1}-->"


def _hold_raw(markdown: str, raw: list[str]) -> str:
    return _RAW_HTML.sub(lambda m: _hold(m["content"], raw), markdown)


def _divs(markdown: str) -> str:
    """Pandoc's fenced divs: `::: {.callout-note #id}` … `:::`."""
    lines = []
    for line in markdown.splitlines():
        opening, closing = _DIV_OPEN.match(line), _DIV_CLOSE.match(line)
        if opening:
            words = opening["attributes"].split()
            classes = " ".join(word[1:] for word in words if word.startswith("."))
            ids = "".join(f' id="{html.escape(word[1:])}"' for word in words if word.startswith("#"))
            line = f'\n<div class="{html.escape(classes)}"{ids}>\n'
        elif closing:
            line = "\n</div>\n"
        lines.append(line)
    return "\n".join(lines)


def _xref(label: str, figures: list[str]) -> str:
    if label not in figures:
        return f"?@{label}"  # what Quarto prints for a reference to nothing
    return f"[Figure {figures.index(label) + 1}](#{label})"


def _render_markdown(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
