"""One student's metrics row from an in-memory snapshot, under the legacy (default) or the reliable profile
(docs/metrics.md, "Profiles"), and the reason codes it carries."""

from __future__ import annotations

from risk_assets.config.thresholds import Thresholds
from risk_assets.metrics import compute_metrics
from risk_assets_tests.metrics.builder import SnapshotBuilder

LEGACY = Thresholds()
RELIABLE = Thresholds.from_mapping({"profile": "reliable"})


def metrics_row(builder: SnapshotBuilder, sid: int, thresholds: Thresholds = LEGACY) -> dict:
    frame = compute_metrics(builder.build(), thresholds)
    [row] = frame.loc[frame["student_id"] == sid].to_dict("records")
    return row


def codes(row: dict) -> list[str]:
    return row["reason_codes"].split(";") if row["reason_codes"] else []
