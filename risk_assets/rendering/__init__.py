"""Rendering the weekly report template (quarto/weekly_report.qmd) into one self-contained HTML file,
with the Quarto CLI when it is installed and with the built-in renderer otherwise."""

from risk_assets.rendering.errors import RenderError
from risk_assets.rendering.quarto_cli import quarto_available
from risk_assets.rendering.report import render_report

__all__ = ["RenderError", "quarto_available", "render_report"]
