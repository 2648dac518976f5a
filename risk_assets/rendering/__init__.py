"""Rendering the weekly report template (quarto/weekly_report.qmd) into one self-contained HTML file,
with the Quarto CLI or the built-in renderer (choice.py decides which, once per run)."""

from risk_assets.rendering.choice import Renderer, choose_renderer
from risk_assets.rendering.errors import RenderError
from risk_assets.rendering.report import RenderSession, render_report

__all__ = ["RenderError", "RenderSession", "Renderer", "choose_renderer", "render_report"]
