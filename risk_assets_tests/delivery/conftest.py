"""Real stand-ins for the delivery channels: an SMTP server with STARTTLS and AUTH, and an HTTP server for Slack."""

from risk_assets_tests.delivery.slack_server import slack_server  # noqa: F401
from risk_assets_tests.delivery.smtp_server import smtp_ca, smtp_ca_file, smtp_server  # noqa: F401
