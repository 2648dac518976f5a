"""Delivering one report on every channel, exactly once per report content, recorded in the ledger."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

import pandas as pd

from risk_assets.config import Tenant
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.delivery.email import (
    DEFAULT_TEMPLATES,
    SmtpSettings,
    build_email,
    send_email,
)
from risk_assets.delivery.ledger import CHANNELS, Ledger
from risk_assets.delivery.outbox import Outbox
from risk_assets.delivery.slack import (
    build_payload,
    post_webhook,
    resolve_bot,
    resolve_webhook,
    upload_report,
)

OUTBOX_SENDER = "risk-report@outbox.invalid"  # From of outbox e-mails when SMTP is not configured


@dataclass(frozen=True)
class ChannelOutcome:
    channel: str
    status: str  # sent | already sent | failed
    destination: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Channels:
    """What a delivery run may use: SMTP (None: outbox), the environment for Slack secrets, the outbox."""

    smtp: Optional[SmtpSettings]
    outbox: Outbox
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    slack_base_url: Optional[str] = None  # Slack Web API base (tests point it at a local server)
    templates: Path = DEFAULT_TEMPLATES  # the e-mail's template folder (the report template's templates/)


def _send_email(delivery: ReportDelivery, tenant: Tenant, channels: Channels,
                students: Optional[pd.DataFrame]) -> tuple[str, str]:
    recipients = tenant.delivery.email
    sender = channels.smtp.sender if channels.smtp else OUTBOX_SENDER
    message = build_email(delivery, recipients, sender, include_student_names=tenant.delivery.include_student_names,
                          students=students, templates=channels.templates)
    if channels.smtp is None or not recipients.recipients:
        return "outbox", str(channels.outbox.put_email(delivery, message))
    return "smtp", send_email(channels.smtp, message, recipients.recipients)


def _send_slack(delivery: ReportDelivery, tenant: Tenant, channels: Channels) -> tuple[str, str]:
    payload = build_payload(delivery)
    webhook = resolve_webhook(tenant.delivery.slack, channels.env)
    if webhook is None:
        return "outbox", str(channels.outbox.put_slack(delivery, payload))
    url, secret_name = webhook
    post_webhook(url, payload, secret_name=secret_name)
    bot = resolve_bot(tenant.delivery.slack, channels.env)
    if bot is None:
        return "webhook", ""
    token, channel, _ = bot
    return "webhook+upload", upload_report(token, channel, delivery, base_url=channels.slack_base_url)


def deliver(delivery: ReportDelivery, tenant: Tenant, ledger: Ledger, channels: Channels, run_id: str,
            students: Optional[pd.DataFrame] = None, only: Optional[str] = None) -> list[ChannelOutcome]:
    """Each channel not yet sent for this report content is sent (or written to the outbox) and recorded;
    a failing channel is recorded as failed and does not stop the others."""
    outcomes = []
    with ledger.exclusive(delivery.week, delivery.tenant):
        for channel in CHANNELS:
            if only and channel != only:
                continue
            entry = ledger.claim(delivery.week, delivery.tenant, channel, delivery.checksum, run_id)
            if entry is None:
                outcomes.append(ChannelOutcome(channel, "already sent"))
                continue
            try:
                if channel == "email":
                    destination, message_id = _send_email(delivery, tenant, channels, students)
                else:
                    destination, message_id = _send_slack(delivery, tenant, channels)
            except DeliveryError as exc:
                ledger.record(entry, sent=False, destination="", run_id=run_id, error=str(exc))
                outcomes.append(ChannelOutcome(channel, "failed", detail=str(exc)))
                continue
            ledger.record(entry, sent=True, destination=destination, run_id=run_id, message_id=message_id or None)
            outcomes.append(ChannelOutcome(channel, "sent", destination, message_id))
    return outcomes
