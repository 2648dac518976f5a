"""Delivering one report on every channel, exactly once per report content, recorded in the ledger."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

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
from risk_assets.delivery.ledger import (
    CHANNELS,
    FAILED,
    FILE,
    MESSAGE,
    SENDING,
    SENT,
    SKIPPED,
    UNKNOWN,
    Ledger,
    LedgerEntry,
)
from risk_assets.delivery.outbox import Outbox
from risk_assets.delivery.preflight import no_outbox, no_recipient
from risk_assets.delivery.slack import (
    DEFAULT_TIMEOUT_SECONDS,
    NoAnswer,
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
    """What a delivery run may use: SMTP (None: outbox), the environment for Slack secrets, the outbox (None in
    production, where an unconfigured channel is an error or, for Slack, skipped)."""

    smtp: SmtpSettings | None
    outbox: Outbox | None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    slack_base_url: str | None = None  # Slack Web API base (tests point it at a local server)
    slack_timeout: int = DEFAULT_TIMEOUT_SECONDS  # seconds a Slack request waits for the answer (SLACK_TIMEOUT)
    templates: Path = DEFAULT_TEMPLATES  # the e-mail's template folder (the report template's templates/)


class OutcomeUnknown(DeliveryError):
    """An interrupted send whose result cannot be looked up: an operator decides whether to send again."""


def _send_email(delivery: ReportDelivery, tenant: Tenant, channels: Channels, students: pd.DataFrame | None,
                entry: LedgerEntry, ledger: Ledger) -> tuple[str, str]:
    recipients = tenant.delivery.email
    sender = channels.smtp.sender if channels.smtp else OUTBOX_SENDER
    message = build_email(delivery, recipients, sender, include_student_names=tenant.delivery.include_student_names,
                          students=students, templates=channels.templates,
                          message_id=delivery_message_id(delivery, entry.generation, sender), date=entry.created_at)
    if channels.smtp is None:
        outbox = channels.outbox
        if outbox is None:
            raise DeliveryError(no_outbox(tenant))
        return "outbox", _to_outbox(entry, ledger, lambda: outbox.put_email(delivery, message))
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
    """The webhook message, then (with a bot token) the report file; a part delivered by an earlier try is not
    sent again (docs/delivery.md, "The guarantee")."""
    payload = build_payload(delivery)
    webhook = resolve_webhook(tenant.delivery.slack, channels.env)
    if webhook is None:
        outbox = channels.outbox
        assert outbox is not None  # without a webhook or an outbox, _skip_reason skipped the channel
        return "outbox", _to_outbox(entry, ledger, lambda: outbox.put_slack(delivery, payload))
    url, secret_name = webhook
    bot = resolve_bot(tenant.delivery.slack, channels.env)
    destination = "webhook" if bot is None else "webhook+upload"
    delivered = _delivered_parts(delivery, channels, entry, ledger, bot)
    ledger.begin(entry, destination)
    count = partial(ledger.count_attempt, entry)  # every try on the wire, the clients' retries included
    if MESSAGE not in delivered:
        _send_part(ledger, entry, MESSAGE, lambda: post_webhook(url, payload, secret_name=secret_name,
                                                                timeout=channels.slack_timeout, on_attempt=count),
                   lambda unanswered: _unanswered_message(unanswered, delivery, bot))
    if bot is None:
        return destination, ""
    token, channel, _ = bot
    file_id = delivered.get(FILE) or _send_part(
        ledger, entry, FILE, lambda: upload_report(token, channel, delivery, base_url=channels.slack_base_url,
                                                   timeout=channels.slack_timeout, on_attempt=count),
        lambda unanswered: DeliveryError(f"{unanswered}; the next run looks in the channel's history before "
                                         "uploading it again"))
    return destination, file_id


def _send_part(ledger: Ledger, entry: LedgerEntry, part: str, send: Callable[[], str | None],
               when_unanswered: Callable[[NoAnswer], DeliveryError]) -> str:
    """One part with its outcome in the ledger, `sending` before its request goes out; returns its provider id."""
    ledger.record_part(entry, part, SENDING)
    try:
        provider_id = send() or ""
    except NoAnswer as unanswered:
        ledger.record_part(entry, part, UNKNOWN)
        raise when_unanswered(unanswered) from None
    except DeliveryError:
        ledger.record_part(entry, part, FAILED)
        raise
    ledger.record_part(entry, part, SENT, provider_id or None)
    return provider_id


def _resend_hint(delivery: ReportDelivery) -> str:
    return (f"look in the channel, and if the message is not there run `risk-report resend --week {delivery.week} "
            f"--tenant {delivery.tenant} --channel slack`")


def _unanswered_message(unanswered: NoAnswer, delivery: ReportDelivery,
                        bot: tuple[str, str, str] | None) -> DeliveryError:
    if bot is None:
        return OutcomeUnknown(f"{unanswered}; a webhook cannot tell whether the message arrived, so it is not "
                              f"posted again blindly: {_resend_hint(delivery)}")
    return DeliveryError(f"{unanswered}; the next run looks in the channel's history before posting it again")


def _delivered_parts(delivery: ReportDelivery, channels: Channels, entry: LedgerEntry, ledger: Ledger,
                     bot: tuple[str, str, str] | None) -> dict[str, str]:
    """part -> provider id of each part an earlier try delivered: recorded as sent, or, for a part whose try
    ended without an answer (its process died, or Slack did not answer), found in the channel's history."""
    parts = ledger.parts(entry)
    delivered = {part: provider_id or "" for part, (status, provider_id) in parts.items() if status == SENT}
    if not any(status in (SENDING, UNKNOWN) for status, _ in parts.values()):
        return delivered
    assert entry.started_at is not None  # parts are recorded only after begin() set it
    if bot is None:
        ledger.record_part(entry, MESSAGE, UNKNOWN)
        started = f"{entry.started_at:%Y-%m-%d %H:%M:%S %Z}"
        raise OutcomeUnknown(
            f"an earlier run was interrupted while posting to the Slack webhook (at {started}); a webhook cannot tell "
            f"whether the message arrived, so it is not posted again blindly: {_resend_hint(delivery)}")
    token, channel, _ = bot
    found = find_posts(token, channel, delivery, entry.started_at, base_url=channels.slack_base_url,
                       timeout=channels.slack_timeout)
    for part, provider_id in ((MESSAGE, "" if found.message else None), (FILE, found.file_id)):
        if provider_id is not None and part not in delivered:
            ledger.record_part(entry, part, SENT, provider_id or None)
            delivered[part] = provider_id
    return delivered


def deliver(delivery: ReportDelivery, tenant: Tenant, ledger: Ledger, channels: Channels, run_id: str,
            students: pd.DataFrame | None = None, only: str | None = None) -> list[ChannelOutcome]:
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


def _skip_reason(tenant: Tenant, channels: Channels, channel: str) -> str | None:
    """Why the channel is not sent for this tenant, or None."""
    if channel == "email" and not tenant.delivery.email.enabled:
        return "e-mail is off for this tenant (delivery.email.enabled: false in tenants.yaml)"
    if channel == "slack" and tenant.delivery.slack.webhook_env is None and channels.outbox is None:
        return ("the tenant has no Slack webhook (delivery.slack.webhook_env in tenants.yaml), and "
                "RISK_DEPLOYMENT=production writes no outbox")
    return None


def _deliver_channel(delivery: ReportDelivery, tenant: Tenant, ledger: Ledger, channels: Channels,
                     students: pd.DataFrame | None, entry: LedgerEntry) -> ChannelOutcome:
    channel = entry.channel
    skipped = _skip_reason(tenant, channels, channel)
    if skipped:
        ledger.record(entry, SKIPPED, destination="none", error=skipped)
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
