"""Rendering tenant-weeks' reports: choosing the engine once, handing over the parameters, and keeping Quarto's
fixed costs to one per session (quarto_batch.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from risk_assets.rendering.builtin import parsed_template, render_builtin
from risk_assets.rendering.choice import Renderer, choose_renderer
from risk_assets.rendering.errors import RenderError
from risk_assets.rendering.params import normalize_params
from risk_assets.rendering.qmd import Document
from risk_assets.rendering.quarto_batch import QuartoBatch


class RenderSession:
    """Reports rendered one after another with one renderer; a run opens one session for its whole batch.

    `engine` is a Renderer chosen once for the run (choose_renderer), or auto / quarto / builtin to choose at the
    first report. `cache_dir` keeps Quarto skeleton pages across sessions (None: for this session only).
    """

    def __init__(self, engine: Renderer | str = "auto", *, cache_dir: Path | None = None):
        self.engine = engine
        self.cache_dir = cache_dir
        self._quarto: QuartoBatch | None = None
        # The built-in renderer's parsed templates: (path, modification time, size) → document, so that a batch
        # parses its template once and a template edited meanwhile is read again.
        self._documents: dict[tuple[Path, int, int], Document] = {}

    def render(self, template: Path, params: Mapping[str, object], output: Path, *, label: str,
               lang: str | None = None) -> Path:
        """Render `template` with `params` into the self-contained HTML file `output` (atomically). Returns output.

        `label` (e.g. "seoul 2025-01-06") starts every error message. On any failure `output` is left as it was.
        `lang` overrides the template's `lang` (the report's language differs per tenant).
        """
        template, output = Path(template), Path(output)
        if not template.is_file():
            raise RenderError(f"{label}: the report template {template} does not exist")
        values = normalize_params(params, label=label)
        renderer = self.renderer(label)
        if renderer.quarto is None:
            return render_builtin(template, values, output, label=label, lang=lang,
                                  document=self._document(template, label))
        if self._quarto is None:
            self._quarto = QuartoBatch(renderer, self.cache_dir)
        return self._quarto.render(template, values, output, label=label, lang=lang)

    def _document(self, template: Path, label: str) -> Document:
        stat = template.stat()
        key = (template.resolve(), stat.st_mtime_ns, stat.st_size)
        if key not in self._documents:
            self._documents[key] = parsed_template(template, label)
        return self._documents[key]

    def renderer(self, label: str) -> Renderer:
        if not isinstance(self.engine, Renderer):
            try:
                self.engine = choose_renderer(self.engine)
            except RenderError as error:
                raise RenderError(f"{label}: {error}") from None
        return self.engine

    def close(self) -> None:
        if self._quarto is not None:
            self._quarto.close()
            self._quarto = None

    def __enter__(self) -> RenderSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def render_report(template: Path, params: Mapping[str, object], output: Path, *, label: str,
                  engine: Renderer | str = "auto", lang: str | None = None) -> Path:
    """One report in a session of its own (RenderSession.render says what the arguments mean)."""
    with RenderSession(engine) as session:
        return session.render(template, params, output, label=label, lang=lang)
