"""Delivering one report on every channel, exactly once per report content, recorded in the ledger."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional

import pandas as pd

from risk_assets.config import Tenant
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.delivery.email import (
    DEFAULT_TEMPLATES,
    RecipientsRefused,
    SmtpSettings,
    build_email,
    delivery_message_id,
    send_email,
)
from risk_assets.delivery.ledger import CHANNELS, FAILED, SENT, SKIPPED, UNKNOWN, Ledger, LedgerEntry
from risk_assets.delivery.outbox import Outbox
from risk_assets.delivery.preflight import no_recipient
from risk_assets.delivery.slack import (
    FoundPosts,
    build_payload,
    find_posts,
    post_webhook,
    resolve_bot,
    resolve_webhook,
    upload_report,
)

OUTBOX_SENDER = "risk-report@outbox.invalid"  # From of outbox e-mails when SMTP is not configured


@dataclass(frozen=True)
class ChannelOutcome:
    channel: str
    status: str  # sent | already sent | failed | unknown | skipped
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


class OutcomeUnknown(DeliveryError):
    """An interrupted send whose result cannot be looked up: an operator decides whether to send again."""


def _send_email(delivery: ReportDelivery, tenant: Tenant, channels: Channels, students: Optional[pd.DataFrame],
                entry: LedgerEntry, ledger: Ledger) -> tuple[str, str]:
    recipients = tenant.delivery.email
    sender = channels.smtp.sender if channels.smtp else OUTBOX_SENDER
    message = build_email(delivery, recipients, sender, include_student_names=tenant.delivery.include_student_names,
                          students=students, templates=channels.templates,
                          message_id=delivery_message_id(delivery, entry.generation, sender), date=entry.created_at)
    if channels.smtp is None:
        return "outbox", _to_outbox(entry, ledger, lambda: channels.outbox.put_email(delivery, message))
    if not recipients.recipients:
        raise DeliveryError(no_recipient(tenant))
    already = ledger.sent_recipients(entry)
    envelope = [address for address in recipients.recipients if address not in already]
    ledger.begin(entry, "smtp")
    if envelope:
        try:
            send_email(channels.smtp, message, envelope, on_attempt=lambda: ledger.count_attempt(entry))
        except RecipientsRefused as refused:
            ledger.record_recipients(entry, refused.accepted, refused.refused)
            raise
        ledger.record_recipients(entry, envelope, {})
    return "smtp", str(message["Message-ID"])


def _to_outbox(entry: LedgerEntry, ledger: Ledger, write: Callable[[], Path]) -> str:
    ledger.begin(entry, "outbox")
    ledger.count_attempt(entry)
    return str(write())


def _send_slack(delivery: ReportDelivery, tenant: Tenant, channels: Channels, entry: LedgerEntry,
                ledger: Ledger) -> tuple[str, str]:
    payload = build_payload(delivery)
    webhook = resolve_webhook(tenant.delivery.slack, channels.env)
    if webhook is None:
        return "outbox", _to_outbox(entry, ledger, lambda: channels.outbox.put_slack(delivery, payload))
    url, secret_name = webhook
    bot = resolve_bot(tenant.delivery.slack, channels.env)
    destination = "webhook" if bot is None else "webhook+upload"
    found = _what_an_interrupted_run_posted(delivery, channels, entry, bot)
    ledger.begin(entry, destination)
    if not found.message:
        ledger.count_attempt(entry)
        post_webhook(url, payload, secret_name=secret_name)
    if bot is None:
        return destination, ""
    if found.file_id:
        return destination, found.file_id
    token, channel, _ = bot
    ledger.count_attempt(entry)
    return destination, upload_report(token, channel, delivery, base_url=channels.slack_base_url)


def _what_an_interrupted_run_posted(delivery: ReportDelivery, channels: Channels, entry: LedgerEntry,
                                    bot: Optional[tuple[str, str, str]]) -> FoundPosts:
    if not entry.interrupted:
        return FoundPosts(message=False, file_id=None)
    if bot is None:
        raise OutcomeUnknown(
            f"an earlier run was interrupted while posting to the Slack webhook (at {entry.started_at:%Y-%m-%d %H:%M:%S %Z}); "
            "a webhook cannot tell whether the message arrived, so it is not posted again blindly: look in the "
            f"channel, and if the message is not there run `risk-report resend --week {delivery.week} "
            f"--tenant {delivery.tenant} --channel slack`")
    token, channel, _ = bot
    return find_posts(token, channel, delivery, entry.started_at, base_url=channels.slack_base_url)


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
            outcomes.append(_deliver_channel(delivery, tenant, ledger, channels, students, entry))
    return outcomes


def _deliver_channel(delivery: ReportDelivery, tenant: Tenant, ledger: Ledger, channels: Channels,
                     students: Optional[pd.DataFrame], entry: LedgerEntry) -> ChannelOutcome:
    channel = entry.channel
    if channel == "email" and not tenant.delivery.email.enabled:
        ledger.record(entry, SKIPPED, destination="none", error="e-mail is off for this tenant "
                                                                 "(delivery.email.enabled: false in tenants.yaml)")
        return ChannelOutcome(channel, SKIPPED)
    if entry.status == UNKNOWN:
        return ChannelOutcome(channel, UNKNOWN, detail=entry.error or "the outcome of an interrupted send is unknown")
    try:
        if channel == "email":
            destination, message_id = _send_email(delivery, tenant, channels, students, entry, ledger)
        else:
            destination, message_id = _send_slack(delivery, tenant, channels, entry, ledger)
    except OutcomeUnknown as exc:
        ledger.record(entry, UNKNOWN, destination="webhook", error=str(exc))
        return ChannelOutcome(channel, UNKNOWN, detail=str(exc))
    except DeliveryError as exc:
        ledger.record(entry, FAILED, destination="", error=str(exc))
        return ChannelOutcome(channel, FAILED, detail=str(exc))
    ledger.record(entry, SENT, destination=destination, message_id=message_id or None)
    return ChannelOutcome(channel, SENT, destination, message_id)
