"""What is delivered for one report: the tenant, the week, its figures and the report file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from risk_assets.report.strings import STRINGS as REPORT_STRINGS
from risk_assets.vocabulary import CRIT, ENGAGEMENT, WARN, Reason


@dataclass(frozen=True)
class EngagementCounts:
    """Rapid guessers this week and θ flags that came with disengagement (ENGAGEMENT on)."""

    crit: int
    warn: int
    theta_drops: int


class DeliveryError(Exception):
    """A channel could not deliver. The message never contains a secret (password, token, webhook URL)."""


@dataclass(frozen=True)
class ReportDelivery:
    tenant: str  # tenant key, e.g. "seoul-central"
    org_name: str  # the school's display name (may be Korean)
    locale: str  # "ko" | "en"
    week: dt.date  # Monday of the report week
    week_end: dt.date  # Sunday of the report week
    summary: Mapping[str, Any]  # the content of <tenant>_summary.json (figures, no student names)
    report_path: Path  # <tenant>_report.html
    report_bytes: bytes

    @property
    def checksum(self) -> str:
        """The report's content identity (summary.json `content_id`): a re-run of an unchanged week renders a
        report whose "data as of" time differs, yet it is the same delivery."""
        return self.summary["content_id"]

    @property
    def attachment_name(self) -> str:
        return self.report_path.name

    @property
    def engagement(self) -> EngagementCounts | None:
        """None while the ENGAGEMENT domain is off (the summary then has no such domain)."""
        counts = self.summary.get("domains", {}).get(ENGAGEMENT)
        if counts is None:
            return None
        return EngagementCounts(crit=counts[CRIT], warn=counts[WARN],
                                theta_drops=self.summary["annotations"][Reason.THETA_DROP_WITH_DISENGAGEMENT])

    def engagement_figure(self) -> tuple[str, str] | None:
        """(label, value) of the rapid-guessing counts for e-mail and Slack, in the report's words; None while off."""
        counts = self.engagement
        if counts is None:
            return None
        words = REPORT_STRINGS[self.locale]
        return words["domains"][ENGAGEMENT], words["engagement_counts"].format(
            crit=counts.crit, warn=counts.warn, drops=counts.theta_drops)

    @classmethod
    def load(cls, summary_path: Path, report_path: Path) -> ReportDelivery:
        summary = json.loads(Path(summary_path).read_text(encoding="utf-8"))
        if "content_id" not in summary:
            raise DeliveryError(f"{summary_path} has no content_id (written before this version): re-materialise "
                                "the partition's tenant_summary and tenant_report")
        return cls(
            tenant=summary["tenant"],
            org_name=summary["org_name"],
            locale=summary["locale"],
            week=dt.date.fromisoformat(summary["week"]),
            week_end=dt.date.fromisoformat(summary["week_end"]),
            summary=summary,
            report_path=Path(report_path),
            report_bytes=Path(report_path).read_bytes(),
        )
