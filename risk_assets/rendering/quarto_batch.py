"""Reports rendered by Quarto, many per batch, with Quarto's and Python's fixed costs paid once per batch.

Per batch: one cell worker (cell_worker.py) imports IPython and what the template imports, and one private copy of
the template's folder is made. Per school: the worker forks and runs the template's cells with the school's
parameters (a clean state every time), and the school's page is made from a skeleton page — the template's
notebook rendered once by Quarto with placeholder outputs (skeleton.py) — or, when an output cannot be
substituted, by Quarto rendering the school's executed notebook. Skeletons are kept in `cache_dir` across batches,
keyed by everything they depend on. docs/performance.md has the numbers; quarto/README.md what a template may use.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from risk_assets.files import write_atomically
from risk_assets.rendering.choice import Renderer
from risk_assets.rendering.errors import RenderError, cell_failure
from risk_assets.rendering.params import ParamValue
from risk_assets.rendering.qmd import Document, QmdError, read_document
from risk_assets.rendering.quarto_cli import (
    QUARTO_PYTHON_ENV,
    RENDER_TIMEOUT_SECONDS,
    copy_template_folder,
    kernel_python,
    render_notebook,
)
from risk_assets.rendering.skeleton import Slot, placeholders, skeleton_notebook, slots, substitute

WORKER_MODULE = "risk_assets.rendering.cell_worker"
SKELETON_FORMAT = 1  # part of every skeleton's cache key: change it when placeholders change
LOG_TAIL_LINES = 20
STOP_SECONDS = 10  # for a cell worker that has been told to end, or whose pipes closed, to exit
FIXES = {
    "ModuleNotFoundError": f"the Python that runs the cells lacks a package: install `.[jupyter]` into "
                           f"{QUARTO_PYTHON_ENV}",
    "FileNotFoundError": "an input file of the template is missing: re-materialise the tenant's summary",
    "KeyError": "the template reads a field its inputs do not have: check the cell against summary.json",
}


@dataclass
class _Template:
    path: Path
    document: Document
    workdir: Path  # the private copy of its folder: the cells' working directory, and where Quarto renders
    digest: str  # of every file of its folder


class QuartoBatch:
    """Renders reports one after another with `renderer` (a Quarto); close() ends its worker and scratch files."""

    def __init__(self, renderer: Renderer, cache_dir: Path | None = None):
        if renderer.quarto is None:  # RenderSession renders with the built-in renderer itself
            raise ValueError(f"QuartoBatch needs a Quarto renderer, not {renderer.name}")
        self.renderer = renderer
        self.quarto: Path = renderer.quarto
        self.cache_dir = cache_dir
        self._scratch = tempfile.TemporaryDirectory(prefix="risk-quarto-")
        self._templates: dict[Path, _Template] = {}
        self._skeletons: dict[str, str | None] = {}
        self._worker: CellWorker | None = None
        self._count = 0

    def render(self, template: Path, params: Mapping[str, ParamValue], output: Path, *, label: str,
               lang: str | None = None) -> Path:
        prepared = self._template(template, label)
        notebook = self._execute(prepared, params, label)
        found = slots(prepared.document, notebook)
        if found is not None:
            page = self._skeleton_page(prepared, notebook, found, lang, label)
            if page is not None:
                return write_atomically(output, substitute(page, found).encode("utf-8"))
        return write_atomically(output, render_notebook(self.quarto, prepared.workdir, notebook,
                                                        template.stem, label=label, lang=lang))

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
        self._scratch.cleanup()

    def __enter__(self) -> QuartoBatch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- per template, once per batch --------------------------------------------------------------------------

    def _template(self, template: Path, label: str) -> _Template:
        template = template.resolve()
        if template not in self._templates:
            try:
                document = read_document(template, builtin_subset=False)
            except QmdError as error:
                raise RenderError(f"{label}: cannot render {template}: {error}") from error
            scratch = Path(self._scratch.name) / f"template-{len(self._templates)}"
            scratch.mkdir()
            workdir = copy_template_folder(template, scratch)
            self._templates[template] = _Template(template, document, workdir, _folder_digest(workdir))
        return self._templates[template]

    # -- per school --------------------------------------------------------------------------------------------

    def _execute(self, prepared: _Template, params: Mapping[str, ParamValue], label: str) -> dict:
        """The template's notebook with this school's cell outputs."""
        self._count += 1
        files = Path(self._scratch.name) / f"school-{self._count}"
        request: dict[str, Any] = {"template": str(prepared.path), "params": dict(params),
                                   "cwd": str(prepared.workdir), "notebook": f"{files}.ipynb",
                                   "result": f"{files}.json"}
        result, executed = Path(request["result"]), Path(request["notebook"])
        try:
            worker = self._live_worker()
            status = worker.execute(request, label)
            if status != 0 or not result.is_file():
                raise RenderError(f"{label}: the template's cells ended their process (exit status {status}) "
                                  f"before they finished{worker.log_tail()}")
            outcome = json.loads(result.read_text(encoding="utf-8"))
            if "failed" in outcome:
                failed = outcome["failed"]
                raise RenderError(cell_failure(label, failed["cell"], prepared.path.name, failed["line"],
                                               failed["error"], failed["message"], FIXES.get(failed["error"])))
            return json.loads(executed.read_text(encoding="utf-8"))
        finally:  # a batch of a thousand schools keeps no thousand notebooks in the temporary folder
            result.unlink(missing_ok=True)
            executed.unlink(missing_ok=True)

    def _live_worker(self) -> CellWorker:
        """The batch's cell worker; a new one when the last has ended (killed after a timeout, or by a cell), so
        that one school's fate is not the next school's."""
        if self._worker is not None and not self._worker.alive:
            self._worker.close()
            self._worker = None
        if self._worker is None:
            self._worker = CellWorker(kernel_python(), Path(self._scratch.name))
        return self._worker

    def _skeleton_page(self, prepared: _Template, notebook: dict, found: list[Slot], lang: str | None,
                       label: str) -> str | None:
        """The skeleton's page for this shape of outputs, from memory, the cache folder or one Quarto render;
        None when Quarto did not keep every placeholder exactly once (the school is then rendered on its own)."""
        key = self._skeleton_key(prepared, found, lang)
        if key in self._skeletons:
            return self._skeletons[key]
        if self.cache_dir is None:
            page = self._render_skeleton(prepared, notebook, lang, label)
        else:
            cached = self.cache_dir / f"{key}.html"
            # Runs that start together (a backfill's batches) want the same skeleton: one renders it, the others
            # wait for it and read it (each render is seconds of CPU).
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with FileLock(self.cache_dir / f"{key}.lock"):
                if not cached.is_file():
                    write_atomically(cached, self._render_skeleton(prepared, notebook, lang, label).encode("utf-8"))
            page = cached.read_text(encoding="utf-8")
        usable = all(page.count(mark) == 1 for mark in placeholders(found))
        self._skeletons[key] = page if usable else None
        return self._skeletons[key]

    def _render_skeleton(self, prepared: _Template, notebook: dict, lang: str | None, label: str) -> str:
        skeleton = skeleton_notebook(prepared.document, notebook)
        return render_notebook(self.quarto, prepared.workdir, skeleton, prepared.path.stem,
                               label=f"{label} (the batch's skeleton page)", lang=lang).decode("utf-8")

    def _skeleton_key(self, prepared: _Template, found: list[Slot], lang: str | None) -> str:
        parts = [SKELETON_FORMAT, str(self.renderer.quarto), self.renderer.version, prepared.digest,
                 prepared.path.name, lang, [slot.shape for slot in found]]
        return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()[:32]


class CellWorker:
    """The cell worker process (cell_worker.py) under `python`, answering one request at a time."""

    def __init__(self, python: str, scratch: Path):
        self.python = python
        self.log = tempfile.TemporaryFile(dir=scratch, prefix="cell-worker-", suffix=".log")
        try:
            self.process = subprocess.Popen(
                [python, "-m", WORKER_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                text=True, encoding="utf-8", env={**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
        except OSError as error:
            self.log.close()
            raise RenderError(f"cannot start the cell worker with {python}: {error.strerror or error}") from None
        assert self.process.stdin is not None and self.process.stdout is not None  # both are pipes
        self._requests, self._replies = self.process.stdin, self.process.stdout

    def execute(self, request: dict, label: str) -> int:
        """Send one request; the exit status of the child that ran it."""
        try:
            self._requests.write(json.dumps(request, ensure_ascii=False) + "\n")
            self._requests.flush()
        except (BrokenPipeError, OSError):
            raise self._stopped(label) from None
        ready, _, _ = select.select([self._replies], [], [], RENDER_TIMEOUT_SECONDS)
        if not ready:
            self.process.kill()
            self._ended()
            raise RenderError(f"{label}: the template's cells did not finish within {RENDER_TIMEOUT_SECONDS} s")
        line = self._replies.readline()
        if not line:
            raise self._stopped(label)
        return int(json.loads(line)["done"])

    def _stopped(self, label: str) -> RenderError:
        """The worker's pipes are closed: it is ending."""
        self._ended()
        return RenderError(f"{label}: the cell worker ({self.python}) has stopped{self.log_tail()}")

    def _ended(self) -> None:
        """Until the worker has exited (killed after STOP_SECONDS), so that `alive` says so and the next school gets
        a new worker: a process closes its files, and takes a signal, a moment before its parent can see it exit."""
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self) -> str:
        """The end of what the worker and the cells wrote to stderr, for an error message."""
        self.log.flush()
        self.log.seek(0)
        lines = [line for line in self.log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        return (": " + "\n".join(lines[-LOG_TAIL_LINES:])) if lines else ""

    def close(self) -> None:
        try:
            self._requests.close()  # the worker's signal to end
        except OSError:  # it has ended already: nothing left to flush to it
            pass
        self._ended()
        self._replies.close()
        self.log.close()


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
