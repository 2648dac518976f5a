"""Fixtures the fault batteries share with the delivery tests."""

from risk_assets_tests.delivery.conftest import env  # noqa: F401 — a source, databases and folders
from risk_assets_tests.delivery.slack_server import slack_server  # noqa: F401 — the local Slack stand-in
from risk_assets_tests.delivery.smtp_server import smtp_ca, smtp_ca_file  # noqa: F401 — the test CA
