"""Real stand-ins for the delivery channels: an SMTP server with STARTTLS and AUTH, and an HTTP server for Slack;
and `env`, a source with two schools, the databases and the folders the delivery tests (and the fault batteries)
run the product against."""

from __future__ import annotations

import datetime as dt

import pytest

from risk_assets.window import ReportWindow
from risk_assets_tests.delivery.slack_server import slack_server  # noqa: F401
from risk_assets_tests.delivery.smtp_server import smtp_ca, smtp_ca_file, smtp_server  # noqa: F401
from risk_assets_tests.product_env import point_product_at
from risk_assets_tests.source_rows import SourceRows

WEEK = dt.date(2026, 11, 16)


@pytest.fixture
def env(source_conn, source_url, risk_url, tmp_path, monkeypatch):
    point_product_at(monkeypatch, source_url, risk_url, tmp_path)
    rows = SourceRows(source_conn)
    cutoff = ReportWindow(WEEK, "Asia/Seoul").cutoff
    for org in (601, 602):
        rows.organization(org, f"org {org}")
        item = rows.item()
        for n in range(3):
            sid = rows.student(org, f"학생 {org}-{n}")
            rows.presentation(sid, item, cutoff - dt.timedelta(days=1))
            rows.theta(sid, cutoff - dt.timedelta(days=9), 0.5, 0.2)
            rows.theta(sid, cutoff - dt.timedelta(days=2), 0.5 - 0.3 * n, 0.2)
    return tmp_path
