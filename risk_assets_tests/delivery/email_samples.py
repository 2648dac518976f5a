"""Report files for the e-mail tests: summaries shaped like the pipeline's <tenant>_summary.json, a small report."""

from __future__ import annotations

import hashlib
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd

from risk_assets.delivery.content import ReportDelivery

SEOUL_SUBJECT = "[주간 위험 보고서] 서울중앙중학교 2026-11-16 – 2026-11-22 · 위험 147 · 주의 78"
NYC_SUBJECT = "[Weekly risk report] Bridge Academy NYC 2026-11-16 – 2026-11-22 · critical 136 · warning 79"

# Non-ASCII text, CRLF and trailing blanks: any re-encoding of the attachment would show as a byte difference.
REPORT_BYTES = ('<!DOCTYPE html>\r\n<html lang="ko"><head><meta charset="utf-8"><title>주간 학생 위험 보고서</title>'
                "</head>\n<body><h1>서울중앙중학교 · 주간 학생 위험 보고서</h1>   \n<p>Δθ₁₄ −0.28</p></body></html>\n"
                ).encode()


def body_text(message: EmailMessage, subtype: str) -> str:
    """The text of the message's text/`subtype` body (plain or html)."""
    body = message.get_body((subtype,))
    assert body is not None, f"the message has no text/{subtype} body"
    return body.get_content()


def _levels(counts: dict[str, int], total: int) -> dict[str, dict[str, Any]]:
    return {level: {"count": n, "pct": round(100 * n / total, 1)} for level, n in counts.items()}


def seoul_summary() -> dict[str, Any]:
    """Figures of seoul-central, week 2026-11-16 (a fresh dict each call: tests change it)."""
    return {
        "tenant": "seoul-central", "org_name": "서울중앙중학교", "week": "2026-11-16", "week_end": "2026-11-22",
        "timezone": "Asia/Seoul", "cutoff": "2026-11-22T15:00:00+00:00", "locale": "ko", "profile": "legacy",
        "spec_version": "v1", "generated_at": "2026-11-26T11:35:29.360260+00:00", "total_students": 300,
        "levels": _levels({"CRIT": 147, "WARN": 78, "OK": 72, "OK_PARTIAL": 3, "INSUFFICIENT_DATA": 0}, 300),
        "domains": {"theta": {"WARN": 58, "CRIT": 85, "INSUFFICIENT": 1},
                    "omit": {"WARN": 10, "CRIT": 10, "INSUFFICIENT": 0},
                    "guess": {"WARN": 52, "CRIT": 15, "INSUFFICIENT": 18},
                    "attendance": {"WARN": 3, "CRIT": 57, "INSUFFICIENT": 0}},
        "delta_theta_14d": {"n": 297, "median": 0.0439, "q1": -0.2777, "q3": 0.3054, "iqr": 0.5831},
        "week_over_week": {"available": True, "new_warn_or_crit": 79, "resolved": 59,
                           "level_change": {"CRIT": 18, "WARN": 2, "OK": -19, "INSUFFICIENT_DATA": 0},
                           "persistent_available": True, "persistent": 97},
        "new_student_ids": [10100001, 10100006],
        "classes": [{"class_name": "1학년 1반", "students": 30, "crit": "<10", "warn": 15, "ok": "<10",
                     "insufficient": "<10"}],
        "data_quality": {"attendance_unknown_status": 0, "theta_not_finite": 0},
    }


def nyc_summary() -> dict[str, Any]:
    """Figures of nyc-bridge, week 2026-11-16."""
    summary = seoul_summary()
    summary.update({
        "tenant": "nyc-bridge", "org_name": "Bridge Academy NYC", "timezone": "America/New_York",
        "cutoff": "2026-11-23T05:00:00+00:00", "locale": "en",
        "levels": _levels({"CRIT": 136, "WARN": 79, "OK": 79, "OK_PARTIAL": 6, "INSUFFICIENT_DATA": 0}, 300),
        "week_over_week": {"available": True, "new_warn_or_crit": 66, "resolved": 60,
                           "level_change": {"CRIT": 3, "WARN": 3, "OK": -4, "INSUFFICIENT_DATA": -2},
                           "persistent_available": True, "persistent": 99},
        "classes": [{"class_name": "Grade 6 - A", "students": 30, "crit": 17, "warn": "<10", "ok": "<10",
                     "insufficient": "<10"}],
    })
    return summary


def write_delivery(directory: Path, summary: dict[str, Any], report: bytes = REPORT_BYTES) -> ReportDelivery:
    """Writes <tenant>_summary.json and <tenant>_report.html as the pipeline does and loads them."""
    summary_path = directory / f"{summary['tenant']}_summary.json"
    report_path = directory / f"{summary['tenant']}_report.html"
    # In these samples a report's content is its bytes; the pipeline derives content_id from the data.
    summary = {"content_id": hashlib.sha256(report).hexdigest(), **summary}
    summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    report_path.write_bytes(report)
    return ReportDelivery.load(summary_path, report_path)


def students_frame() -> pd.DataFrame:
    """A few rows of <tenant>_students.csv: two CRIT students (one with markup in the name), one WARN, one OK."""
    return pd.DataFrame({
        "student_id": [10100001, 10100002, 10100003, 10100004],
        "display_name": ["유예서", "<b>Kim & Lee</b>", "김수민", "김유준"],
        "class_name": ["2학년 1반", "1학년 2반", "2학년 2반", "1학년 2반"],
        "level": ["CRIT", "CRIT", "WARN", "OK"],
    })
