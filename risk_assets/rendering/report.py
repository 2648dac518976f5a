"""Rendering one tenant-week's report: choosing the engine and handing over the parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Mapping, Optional

from risk_assets.rendering.builtin import render_builtin
from risk_assets.rendering.errors import RenderError
from risk_assets.rendering.params import normalize_params
from risk_assets.rendering.quarto_cli import (
    QUARTO_BIN_ENV,
    quarto_available,
    render_with_quarto,
)

Engine = Literal["auto", "builtin", "quarto"]
ENGINES = ("auto", "builtin", "quarto")


def render_report(
    template: Path,
    params: Mapping[str, object],
    output: Path,
    *,
    label: str,
    engine: Engine = "auto",
    lang: Optional[str] = None,
) -> Path:
    """Render `template` with `params` into the self-contained HTML file `output` (atomically). Returns output.
    auto = quarto when available, else builtin.

    `label` (e.g. "seoul 2025-01-06") starts every error message. On any failure `output` is left as it was.
    `lang` overrides the template's `lang` (the report's language differs per tenant).
    """
    template, output = Path(template), Path(output)
    if not template.is_file():
        raise RenderError(f"{label}: the report template {template} does not exist")
    values = normalize_params(params, label=label)
    quarto = _quarto_for(engine, label)
    if quarto is None:
        return render_builtin(template, values, output, label=label, lang=lang)
    return render_with_quarto(quarto, template, values, output, label=label, lang=lang)


def _quarto_for(engine: Engine, label: str) -> Optional[Path]:
    """The quarto binary to use, or None for the built-in renderer."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "builtin":
        return None
    quarto = quarto_available()
    if engine == "quarto" and quarto is None:
        raise RenderError(
            f"{label}: engine 'quarto' was requested but Quarto was not found: install it "
            f"(https://quarto.org/docs/get-started/) and put it on PATH, or set {QUARTO_BIN_ENV}"
        )
    return quarto
