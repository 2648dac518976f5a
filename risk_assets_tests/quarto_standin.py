"""A stand-in for the `quarto` binary where Quarto is not installed (CI): `quarto render` done the way Quarto's
Jupyter engine does it, so that the product's Quarto path runs for real up to and including the subprocess.

`write_standin(folder)` writes the executable. It answers `--version` itself and runs `render` with this file
under QUARTO_PYTHON, the Python the product hands to Quarto: the .qmd becomes a notebook, the `-P` values (YAML,
as Quarto reads them) are injected after the `parameters` cell by papermill, the notebook runs in a Jupyter kernel
of that Python (nbclient), and the cell outputs are put together as Pandoc would: `output: asis` text is markdown,
```{=html} blocks pass through untouched, `:::` divs become <div>s, figures are embedded as data: URIs and
`@fig-` references are numbered (code is never echoed: the report's cells do not ask for it). None of the product's
rendering code is used, so a report it writes is an independent witness of what the template's cells print.
"""

from __future__ import annotations

import html
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

_CELL_OPEN = re.compile(r"^```\{python\}\s*$")
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
    if argv[:1] != ["render"]:
        sys.stderr.write(f"ERROR: the quarto stand-in only renders, not {' '.join(argv)}\n")
        return 1
    template, params, metadata, output = _parse_render(argv[1:])
    front_matter, notebook = _notebook(Path(template).read_text(encoding="utf-8"))
    metadata = {**front_matter, **metadata}
    try:
        notebook = _execute(notebook, params)
    except _CellFailed as failure:
        sys.stderr.write(f"\n\n{failure}\n")  # nbclient's "An error occurred while executing the following cell"
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(_page(notebook, metadata), encoding="utf-8")
    return 0


def _parse_render(args: list[str]) -> tuple[str, dict, dict, Path]:
    """`render <file> --to html -M key:value … -P name:value … --output <name> --output-dir <dir>`."""
    import yaml

    template, rest = args[0], args[1:]
    params, metadata, options = {}, {}, {}
    for flag, value in zip(rest[::2], rest[1::2]):
        if flag in ("-P", "-M"):
            name, _, text = value.partition(":")
            (params if flag == "-P" else metadata)[name] = yaml.safe_load(text)  # Quarto reads each value as YAML
        else:
            options[flag] = value
    return template, params, metadata, Path(options["--output-dir"]) / options["--output"]


def _notebook(text: str):
    """What Quarto writes to `<name>.quarto_ipynb`: markdown cells and code cells, each cell's `#|` options in its
    metadata (`tags` where papermill looks for them)."""
    import nbformat
    import yaml

    lines = text.splitlines()
    front_matter = {}
    if lines and lines[0] == "---":
        end = lines.index("---", 1)
        front_matter, lines = yaml.safe_load("\n".join(lines[1:end])) or {}, lines[end + 1:]
    cells, markdown, index = [], [], 0
    while index < len(lines):
        if not _CELL_OPEN.match(lines[index]):
            markdown.append(lines[index])
            index += 1
            continue
        close = lines.index("```", index + 1)
        source = lines[index + 1:close]
        cells += [_markdown_cell(markdown), _code_cell(source, front_matter)]
        markdown, index = [], close + 1
    cells.append(_markdown_cell(markdown))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.kernelspec = {"name": "python3", "language": "python", "display_name": "Python 3"}
    notebook.metadata.papermill = {}  # where papermill records the injected parameters
    return front_matter, notebook


def _markdown_cell(lines: list[str]):
    import nbformat

    cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    cell.metadata.tags = []  # papermill looks for the `parameters` tag in every cell
    return cell


def _code_cell(source: list[str], front_matter: dict):
    import nbformat
    import yaml

    count = next((i for i, line in enumerate(source) if not line.startswith("#|")), len(source))
    options = yaml.safe_load("\n".join(line[2:] for line in source[:count])) or {}
    cell = nbformat.v4.new_code_cell("\n".join(source[count:]))  # the kernel gets the code without its options
    cell.metadata.tags = list(options.get("tags", []))
    cell.metadata.quarto = {**(front_matter.get("execute") or {}), **options}
    return cell


class _CellFailed(Exception):
    pass


def _execute(notebook, params: dict):
    """Parameters injected after the `parameters` cell, then every cell run in order in one kernel, with Quarto's
    progress lines (the product names the failing cell from them)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.parameterize import parameterize_notebook

    notebook = parameterize_notebook(notebook, params)
    client = NotebookClient(notebook, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(Path.cwd())}})
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    sys.stderr.write("Starting python3 kernel...")
    with client.setup_kernel():
        sys.stderr.write("Done\n\n")
        for number, cell in enumerate(code, 1):
            sys.stderr.write(f"  Cell {number}/{len(code)}: '{cell.metadata.get('quarto', {}).get('label', '')}'...")
            try:
                client.execute_cell(cell, notebook.cells.index(cell))
            except CellExecutionError as error:
                raise _CellFailed(str(error)) from None
            sys.stderr.write("Done\n")
    return notebook


def _page(notebook, metadata: dict) -> str:
    figures = [cell.metadata.quarto["label"] for cell in notebook.cells
               if cell.cell_type == "code" and str(cell.metadata.get("quarto", {}).get("label", "")).startswith("fig-")]
    raw: list[str] = []
    markdown = "\n\n".join(_cell_markdown(cell, figures, raw) for cell in notebook.cells)
    body = _render_markdown(_XREF.sub(lambda m: _xref(m["label"], figures), _divs(_hold_raw(markdown, raw))))
    body = re.sub(r"<!--raw:(\d+)-->\n?", lambda m: raw[int(m[1])], body)
    title = metadata.get("title")
    heading = f'<h1 class="title">{html.escape(str(title))}</h1>\n' if title else ""
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(str(metadata.get("lang", "en")))}">\n<head>\n'
            f'<meta charset="utf-8">\n<meta name="generator" content="{GENERATOR}">\n'
            f'<title>{html.escape(str(metadata.get("pagetitle") or title or ""))}</title>\n</head>\n'
            f"<body>\n{heading}{body}</body>\n</html>\n")


def _cell_markdown(cell, figures: list[str], raw: list[str]) -> str:
    if cell.cell_type == "markdown":
        return cell.source
    options = cell.metadata.get("quarto", {})
    if options.get("include") is False or options.get("output") is False:
        return ""
    if options.get("output") == "asis":
        return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
    parts = []
    for output in cell.outputs:
        data = output.get("data", {})
        if "image/png" in data:
            parts.append(_hold(_figure(data["image/png"], options, figures), raw))
        elif "text/html" in data:
            parts.append(_hold(data["text/html"], raw))
        elif output.output_type == "stream" or "text/plain" in data:
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
