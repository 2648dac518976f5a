"""Reading a Quarto document: YAML front matter, then markdown chunks and ```{python} cells.

Only the subset of Quarto that quarto/README.md lists is understood; features outside it are
rejected here with the line they are on, rather than rendered differently from Quarto.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CELL_OPEN = "```{python}"
CELL_CLOSE = "```"
OPTION_PREFIX = "#|"
FRONT_MATTER_FENCE = "---"
FRONT_MATTER_END = ("---", "...")
PARAMETERS_TAG = "parameters"

ASIS = "asis"
BOOLEAN_OPTIONS = ("echo", "include")

NEEDS_QUARTO = ("rendering this template needs Quarto: install Quarto and `.[jupyter]` (see quarto/README.md) "
                "and set report.renderer: quarto, or auto")
_OTHER_ENGINE_CELL = re.compile(r"^```\{(?!python\})")
_UNSUPPORTED = (
    (re.compile(r"`\{python\}"), "inline `{python}` expressions"),
    (re.compile(r"^:::"), "fenced divs (`:::`), e.g. callouts and tabsets"),
    (re.compile(r"(?<![\w`])@(?:fig|tbl|sec|eq|lst)-[\w-]+"), "cross-references (`@fig-…`)"),
    (re.compile(r"\{\{<"), "shortcodes (`{{< >}}`)"),
)


class QmdError(Exception):
    """The document uses syntax the built-in renderer does not support, or is malformed."""


@dataclass(frozen=True)
class Markdown:
    text: str


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based among the document's cells
    line: int  # line of the .qmd holding the cell's first line (option lines included)
    source: str  # everything between the fences, option lines included (they are Python comments)
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def code(self) -> str:
        """The source without its `#|` option lines: what `echo: true` shows."""
        lines = self.source.splitlines()
        return "\n".join(lines[_option_line_count(lines):])

    @property
    def name(self) -> str:
        """How errors refer to the cell: its `#| label`, else its number and first line of code."""
        label = self.options.get("label")
        if label:
            return str(label)
        first = next((line.strip() for line in self.code.splitlines() if line.strip()), "")
        return f"#{self.index} ({first})" if first else f"#{self.index}"

    @property
    def tags(self) -> tuple[str, ...]:
        tags = self.options.get("tags") or ()
        if isinstance(tags, str):
            return (tags,)
        if not isinstance(tags, Iterable):  # e.g. `#| tags: 5`, which the option checks let through
            raise QmdError(f"cell {self.name}: tags: {tags!r} is not supported; use a tag or a list of tags")
        return tuple(str(tag) for tag in tags)


Block = Markdown | Cell


@dataclass(frozen=True)
class Document:
    front_matter: Mapping[str, object]
    blocks: tuple[Block, ...]
    front_matter_text: str = ""  # the YAML between the fences, as written (comments included)

    @property
    def title(self) -> str | None:
        title = self.front_matter.get("title")
        return None if title is None else str(title)

    @property
    def pagetitle(self) -> str | None:
        """Quarto's `pagetitle`: the browser title without a visible title block."""
        title = self.front_matter.get("pagetitle")
        return None if title is None else str(title)

    @property
    def lang(self) -> str:
        return str(self.front_matter.get("lang") or "en")

    @property
    def execute_defaults(self) -> Mapping[str, object]:
        execute = self.front_matter.get("execute") or {}
        assert isinstance(execute, Mapping)  # parse_document checked it (_check_options)
        return execute

    @property
    def cells(self) -> tuple[Cell, ...]:
        return tuple(block for block in self.blocks if isinstance(block, Cell))

    @property
    def parameters_cell(self) -> Cell | None:
        return next((cell for cell in self.cells if PARAMETERS_TAG in cell.tags), None)

    def option(self, cell: Cell, name: str, fallback: object) -> object:
        """A cell option, else the front matter's `execute:` default, else `fallback`."""
        return cell.options.get(name, self.execute_defaults.get(name, fallback))


def html_option(document: Document, name: str) -> object:
    """A document option given under `format: html:` or at the top of the front matter (None when absent)."""
    formats = document.front_matter.get("format")
    html = formats.get("html") if isinstance(formats, dict) else None
    return html[name] if isinstance(html, dict) and name in html else document.front_matter.get(name)


def read_document(path: Path, *, builtin_subset: bool = True) -> Document:
    """The document at `path`; `builtin_subset=False` keeps Quarto-only markdown (callouts, cross-references …)
    as text for Quarto to render."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise QmdError(f"cannot read {path}: {error.strerror}") from error
    return parse_document(text, builtin_subset=builtin_subset)


def parse_document(text: str, *, builtin_subset: bool = True) -> Document:
    lines = text.replace("\r\n", "\n").split("\n")
    front_matter, body_start = _front_matter(lines)
    return Document(front_matter=front_matter, blocks=tuple(_blocks(lines, body_start, builtin_subset)),
                    front_matter_text="\n".join(lines[1:body_start - 1]) if body_start else "")


def _front_matter(lines: list[str]) -> tuple[Mapping[str, object], int]:
    """The parsed YAML header and the index of the first body line."""
    if not lines or lines[0].rstrip() != FRONT_MATTER_FENCE:
        return {}, 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in FRONT_MATTER_END), None)
    if end is None:
        raise QmdError("the YAML front matter opened on line 1 is never closed with '---'")
    header = _yaml("\n".join(lines[1:end]), "the YAML front matter")
    _check_options(header.get("execute") or {}, "the front matter's execute:")
    return header, end + 1


def _blocks(lines: list[str], start: int, builtin_subset: bool) -> list[Block]:
    blocks: list[Block] = []
    markdown: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if line.rstrip() == CELL_OPEN:
            _flush(markdown, blocks)
            close = _closing_fence(lines, i)
            index = sum(isinstance(block, Cell) for block in blocks) + 1
            blocks.append(_cell(index, i + 2, lines[i + 1:close]))
            i = close + 1
            continue
        if builtin_subset:
            _reject_unsupported(line, i + 1)
        markdown.append(line)
        i += 1
    _flush(markdown, blocks)
    return blocks


def _flush(markdown: list[str], blocks: list[Block]) -> None:
    if any(line.strip() for line in markdown):
        blocks.append(Markdown("\n".join(markdown)))
    markdown.clear()


def _closing_fence(lines: list[str], open_index: int) -> int:
    for i in range(open_index + 1, len(lines)):
        if lines[i].rstrip() == CELL_CLOSE:
            return i
    raise QmdError(f"the ```{{python}} cell opened on line {open_index + 1} is never closed with ```")


def _reject_unsupported(line: str, number: int) -> None:
    if _OTHER_ENGINE_CELL.match(line):
        raise QmdError(f"line {number}: only ```{{python}} cells are supported, not {line.strip()}; {NEEDS_QUARTO}")
    for pattern, feature in _UNSUPPORTED:
        if pattern.search(line):
            raise QmdError(f"line {number}: {feature} are not supported by the built-in renderer; {NEEDS_QUARTO}")


def _cell(index: int, first_line: int, lines: list[str]) -> Cell:
    count = _option_line_count(lines)
    # "#| echo: false" -> "echo: false": the option lines together form one YAML mapping.
    yaml_text = "\n".join(line[len(OPTION_PREFIX):].removeprefix(" ") for line in lines[:count])
    where = f"the options of the cell on line {first_line}"
    options = _yaml(yaml_text, where)
    _check_options(options, where)
    return Cell(index=index, line=first_line, source="\n".join(lines), options=options)


def _option_line_count(lines: list[str]) -> int:
    count = 0
    while count < len(lines) and lines[count].startswith(OPTION_PREFIX):
        count += 1
    return count


def _yaml(text: str, where: str) -> dict:
    try:
        value = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as error:
        raise QmdError(f"{where} is not valid YAML: {error}") from error
    if not isinstance(value, dict):
        raise QmdError(f"{where} must be a YAML mapping of `key: value` lines")
    return value


def _check_options(options: Mapping[str, object], where: str) -> None:
    if not isinstance(options, Mapping):
        raise QmdError(f"{where} must be a YAML mapping")
    if "output" in options and not (isinstance(options["output"], bool) or options["output"] == ASIS):
        raise QmdError(f"{where}: output: {options['output']!r} is not supported; use true, false or asis")
    for name in BOOLEAN_OPTIONS:
        if name in options and not isinstance(options[name], bool):
            raise QmdError(f"{where}: {name}: {options[name]!r} is not supported; use true or false")
