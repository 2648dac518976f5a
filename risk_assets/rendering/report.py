"""Rendering one tenant-week's report: choosing the engine and handing over the parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

from risk_assets.rendering.builtin import render_builtin
from risk_assets.rendering.choice import Renderer, choose_renderer
from risk_assets.rendering.errors import RenderError
from risk_assets.rendering.params import normalize_params
from risk_assets.rendering.quarto_cli import render_with_quarto


def render_report(
    template: Path,
    params: Mapping[str, object],
    output: Path,
    *,
    label: str,
    engine: Renderer | str = "auto",
    lang: Optional[str] = None,
) -> Path:
    """Render `template` with `params` into the self-contained HTML file `output` (atomically). Returns output.

    `engine` is a Renderer chosen once for the run (choose_renderer), or auto / quarto / builtin to choose now.
    `label` (e.g. "seoul 2025-01-06") starts every error message. On any failure `output` is left as it was.
    `lang` overrides the template's `lang` (the report's language differs per tenant).
    """
    template, output = Path(template), Path(output)
    if not template.is_file():
        raise RenderError(f"{label}: the report template {template} does not exist")
    values = normalize_params(params, label=label)
    renderer = engine if isinstance(engine, Renderer) else _chosen(engine, label)
    if renderer.quarto is None:
        return render_builtin(template, values, output, label=label, lang=lang)
    return render_with_quarto(renderer.quarto, template, values, output, label=label, lang=lang)


def _chosen(requested: str, label: str) -> Renderer:
    try:
        return choose_renderer(requested)
    except RenderError as error:
        raise RenderError(f"{label}: {error}") from None
