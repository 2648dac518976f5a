"""Both delivery channels for a test that runs the product in other processes (dagster dev, Celery workers): a real
SMTP server (STARTTLS, AUTH) and the Slack stand-in, and the environment variables that point the product at them.
Production writes no outbox, so such a test counts what arrived on the wire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import trustme

from risk_assets_tests.delivery.slack_server import PROXY_VARIABLES, Reply, SlackStandIn
from risk_assets_tests.delivery.smtp_server import HOST, PASSWORD, USER, RunningServer, running_smtp_server

HOOK_ENV = "SLACK_HOOK"  # tenants.yaml's webhook_env for the stand-in's webhook
HOOK_PATH = "/hooks/weekly"


class Channels(NamedTuple):
    smtp: RunningServer
    slack: SlackStandIn
    env: dict[str, str]

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        """`base` with the channels' variables, without proxies (slack-sdk would send the stand-in's requests
        through one)."""
        return {name: value for name, value in {**base, **self.env}.items() if name not in PROXY_VARIABLES}

    def recipients(self) -> list[str]:
        """Every envelope recipient of every message the SMTP server accepted, sorted."""
        return sorted(rcpt for message in self.smtp.handler.received for rcpt in message.rcpt_tos)


def running_channels(folder: Path) -> Iterator[Channels]:
    """For a module fixture: `yield from running_channels(tmp_path_factory.mktemp("channels"))`."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    slack = SlackStandIn()
    slack.script(HOOK_PATH, Reply())
    slack.start()
    try:
        with running_smtp_server(ca) as smtp:
            yield Channels(smtp, slack, {
                "SMTP_HOST": HOST, "SMTP_PORT": str(smtp.port), "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD,
                "SMTP_FROM": USER, "SMTP_CA_FILE": str(folder / "ca.pem"), HOOK_ENV: slack.url + HOOK_PATH})
    finally:
        slack.stop()
