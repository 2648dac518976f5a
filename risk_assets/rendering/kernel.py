"""Running a document's cells in-process, in order, in one namespace — what a Jupyter kernel does for Quarto."""

from __future__ import annotations

import ast
import builtins
import io
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

from risk_assets.rendering.qmd import Cell


@dataclass(frozen=True)
class CellResult:
    stdout: str
    value: object  # the value of a trailing expression statement, None when there is none


class Kernel:
    """One fresh namespace for one render of `template`; code objects are named after the template file
    and keep its line numbers, so a failure can be located in the .qmd."""

    def __init__(self, template: Path):
        self.filename = str(template)
        self.namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": builtins}

    def inject(self, params: Mapping[str, object]) -> None:
        """What papermill's injected cell does: assign each parameter, overriding the defaults."""
        self.namespace.update(params)

    def run(self, cell: Cell) -> CellResult:
        statements, trailing = self._compile(cell)
        stdout = io.StringIO()
        with redirect_stdout(stdout):
            # Running the template's own code is the point, as Quarto's kernel does: the template is trusted.
            exec(statements, self.namespace)  # noqa: S102
            value = eval(trailing, self.namespace) if trailing is not None else None
        return CellResult(stdout=stdout.getvalue(), value=value)

    def failing_line(self, error: BaseException) -> int | None:
        """The .qmd line a cell's exception was raised on (the innermost frame in the template)."""
        if isinstance(error, SyntaxError) and error.filename == self.filename:
            return error.lineno
        line = None
        traceback = error.__traceback__
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == self.filename:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        return line

    def _compile(self, cell: Cell) -> tuple[CodeType, CodeType | None]:
        # Padding with blank lines makes the code's line numbers those of the .qmd.
        source = "\n" * (cell.line - 1) + cell.source
        tree = ast.parse(source, filename=self.filename)
        # Like Jupyter, a trailing expression is evaluated separately so its value can be shown.
        last = tree.body[-1] if tree.body else None
        if isinstance(last, ast.Expr):
            tree.body.pop()
            trailing = compile(ast.Expression(last.value), self.filename, "eval")
        else:
            trailing = None
        return compile(tree, self.filename, "exec"), trailing


@contextmanager
def importable_from(folder: Path) -> Iterator[None]:
    """Let cells import helper modules that sit next to the template, for the duration of a render."""
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        if entry in sys.path:
            sys.path.remove(entry)
