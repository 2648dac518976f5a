"""The cell worker: runs a report template's cells for one school after another, each school in a fresh fork of one
warmed-up interpreter, and writes each school's executed notebook for Quarto to render (docs/performance.md).

Why a fork per school: the interpreter imports IPython and the modules the template imports once per batch, and
every school still starts from that same untouched state — nothing one school's cells define or change (a helper
module's globals included) is visible to the next, because it lived and died in that school's child process.

Started by the Quarto renderer under the Python Quarto would run (QUARTO_PYTHON):

    python -m risk_assets.rendering.cell_worker

Requests arrive one JSON object per line on stdin: {"template", "params", "cwd", "notebook", "result"}. The child
writes the executed notebook to "notebook" and its outcome to "result" ({"ok": true} or {"failed": {...}});
the worker then answers one line, {"done": exit status}, on the descriptor that was its stdout. Everything else
written to stdout (a cell's C library, a subprocess) goes to stderr and can never be mistaken for an answer.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import sys
import traceback
from pathlib import Path

from risk_assets.rendering.notebook import INJECTED_TAG, document_notebook
from risk_assets.rendering.qmd import Cell, Document, html_option, read_document

# Quarto's defaults for HTML figures (its Jupyter setup cell sets them for matplotlib, and so does the worker).
FIGURE_DEFAULTS = {"fig-width": 7, "fig-height": 5, "fig-format": "retina", "fig-dpi": 96}


# -- the worker: one process per batch ---------------------------------------------------------------------------

def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    shell = _new_shell()
    prepared: dict[str, Document] = {}
    for line in sys.stdin:
        request = json.loads(line)
        document = prepared.get(request["template"]) or _prepare(shell, request, prepared)
        protocol.write(json.dumps({"done": _fork_and_execute(shell, document, request)}) + "\n")
    return 0


def _prepare(shell, request: dict, prepared: dict[str, Document]) -> Document:
    """Parse the template and import, once, every module its cells import, so that no school pays for them."""
    document = read_document(Path(request["template"]), builtin_subset=False)
    os.chdir(request["cwd"])
    sys.path.insert(0, request["cwd"])  # Jupyter's kernel imports helper modules from the document's folder
    for module in _imported_modules(document):
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 — the cell that imports it will raise the error in its school's render
            pass
    if "matplotlib" in sys.modules:
        shell.enable_matplotlib("inline")
        _set_figure_options(document)
    prepared[request["template"]] = document
    return document


def _imported_modules(document: Document) -> list[str]:
    names = []
    for cell in document.cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.append(node.module)
    return list(dict.fromkeys(names))


def _fork_and_execute(shell, document: Document, request: dict) -> int:
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            outcome = _execute(shell, document, request)
            Path(request["result"]).write_text(json.dumps(outcome), encoding="utf-8")
            status = 0
        except BaseException:  # noqa: BLE001 — the worker's log is where the render error reads it from
            traceback.print_exc(file=sys.__stderr__)
        finally:
            os._exit(status)  # the child never returns into the worker's loop
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


# -- one school, in its child process ----------------------------------------------------------------------------

def _execute(shell, document: Document, request: dict) -> dict:
    os.chdir(request["cwd"])
    notebook = document_notebook(document, request["params"])
    sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
    template_cells = iter(document.cells)
    count = 0
    for cell in (cell for cell in notebook["cells"] if cell["cell_type"] == "code"):
        if INJECTED_TAG in cell["metadata"].get("tags", ()):
            shell.run_cell("".join(cell["source"]), store_history=False)
            continue
        count += 1
        _OUTPUTS.clear()
        failure = _run(shell, next(template_cells))
        if failure:
            return {"failed": failure}
        cell["outputs"], cell["execution_count"] = list(_OUTPUTS), count
    Path(request["notebook"]).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    return {"ok": True}


def _run(shell, cell: Cell) -> dict | None:
    """Run one cell; on an error, what failed and on which line of the .qmd."""
    result = shell.run_cell(cell.source, store_history=False)
    error = result.error_before_exec or result.error_in_exec
    if error is None:
        return None
    line = _cell_line(error, shell.user_ns)
    return {"cell": cell.name, "line": None if line is None else cell.line + line - 1,
            "error": type(error).__name__, "message": str(error)}


def _cell_line(error: BaseException, namespace: dict) -> int | None:
    """The line of the cell the error was raised on: the innermost frame in the code of the cell that ran, which
    is the first frame running in the cells' namespace."""
    if isinstance(error, SyntaxError):
        return error.lineno
    line, cell_file, traceback = None, None, error.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if cell_file is None and traceback.tb_frame.f_globals is namespace:
            cell_file = code.co_filename
        if code.co_filename == cell_file:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _set_figure_options(document: Document) -> None:
    """What Quarto's Jupyter setup cell does for matplotlib, from the document's figure options."""
    import matplotlib.pyplot as plt
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    option = {name: default if html_option(document, name) is None else html_option(document, name)
              for name, default in FIGURE_DEFAULTS.items()}
    plt.rcParams["figure.figsize"] = (option["fig-width"], option["fig-height"])
    plt.rcParams["figure.dpi"] = option["fig-dpi"]
    plt.rcParams["savefig.dpi"] = "figure"
    set_matplotlib_formats(option["fig-format"])


# -- outputs in Jupyter's shapes -----------------------------------------------------------------------------------

_OUTPUTS: list[dict] = []


class _Stream:
    """sys.stdout / sys.stderr of a cell: consecutive writes become one `stream` output, as in Jupyter."""

    encoding = "utf-8"

    def __init__(self, name: str):
        self.name = name

    def write(self, text: str) -> int:
        if _OUTPUTS and _OUTPUTS[-1]["output_type"] == "stream" and _OUTPUTS[-1]["name"] == self.name:
            _OUTPUTS[-1]["text"] += text
        else:
            _OUTPUTS.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _shell_classes():
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, *args, **kwargs):
            _OUTPUTS.append({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait=False):
            _OUTPUTS.clear()

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            _OUTPUTS.append({"output_type": "execute_result", "data": format_dict, "metadata": md_dict or {},
                             "execution_count": None})

        def finish_displayhook(self):
            pass

    class Shell(InteractiveShell):
        """IPython without a kernel: the inline matplotlib backend needs no GUI event loop."""

        def enable_gui(self, gui=None):
            pass

        @classmethod
        def instance(cls, *args, **kwargs):
            from traitlets.config import Config

            config = Config()
            config.HistoryManager.enabled = False
            return super().instance(config=config, displayhook_class=Hook, display_pub_class=Publisher)

    return Shell


def _new_shell():
    return _shell_classes().instance()


if __name__ == "__main__":
    sys.exit(main())
