"""The weekly report's content: strings per language, plain-language reasons, charts, sections."""

from risk_assets.report.document import WeeklyReport

__all__ = ["WeeklyReport"]
