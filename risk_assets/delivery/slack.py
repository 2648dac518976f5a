"""Slack delivery: the week's figures as an incoming-webhook message, the report file through the bot API."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from risk_assets.config.tenants import SlackDelivery
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.report.strings import STRINGS as REPORT_STRINGS
from risk_assets.vocabulary import CRIT, LEVEL_INSUFFICIENT, LEVEL_OK_PARTIAL, WARN

# Words the report also uses come from the report's dictionaries, so both always say the same.
_SHARED = ("week", "students", "levels", "not_available")

KO = {
    **{key: REPORT_STRINGS["ko"][key] for key in _SHARED},
    "header": "{org} 주간 위험 보고서",
    "count": "{n}명",
    "count_pct": "{n}명 ({pct:.1f}%)",
    "new": "이번 주 새로 주의 이상",
    "report_file": "보고서 파일: {name}",
    "report_id": "보고서 ID: {id}",
    "summary": "{header} ({week}): 위험 {crit}명, 주의 {warn}명 / 전체 {total}명",
}

EN = {
    **{key: REPORT_STRINGS["en"][key] for key in _SHARED},
    "header": "{org} Weekly Risk Report",
    "count": "{n}",
    "count_pct": "{n} ({pct:.1f}%)",
    "new": "New this week",
    "report_file": "Report file: {name}",
    "report_id": "Report id: {id}",
    "summary": "{header} ({week}): {crit} critical, {warn} warning of {total} students",
}

STRINGS = {"ko": KO, "en": EN}

# Levels shown only when some student has them, so that a normal week stays a short message
# while an all-insufficient week does not read as "0 critical, 0 warning".
_SOMETIMES_SHOWN_LEVELS = (LEVEL_OK_PARTIAL, LEVEL_INSUFFICIENT)

# slack-sdk logs request URLs (the webhook secret) at debug level and raw exception texts at error level;
# failures reach the operator as a scrubbed DeliveryError instead.
_SDK_LOGGER = logging.getLogger(f"{__name__}.sdk")
_SDK_LOGGER.setLevel(logging.CRITICAL)

_MAX_QUOTED_BODY = 200
MAX_RETRY_AFTER_SECONDS = 10  # a longer Retry-After fails the channel (the next run retries) instead of blocking
DEFAULT_TIMEOUT_SECONDS = 30  # SLACK_TIMEOUT: how long a request waits for Slack's answer (slack-sdk's default)
_MAX_TIMEOUT_SECONDS = 300
# http:// is accepted only to this machine (a local stand-in or proxy): anything else would send the secret in clear.
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# --- the message -------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Slack parses &, < and > as markup (links, mentions) in every text object, so names must escape them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def _week_span(delivery: ReportDelivery) -> str:
    return f"{delivery.week.isoformat()} – {delivery.week_end.isoformat()}"


def _header(delivery: ReportDelivery) -> str:
    return STRINGS[delivery.locale]["header"].format(org=_escape(delivery.org_name))


def _level_count(words: Mapping[str, Any], level: Mapping[str, Any], *, with_pct: bool) -> str:
    if with_pct:
        return words["count_pct"].format(n=level["count"], pct=level["pct"])
    return words["count"].format(n=level["count"])


def _new_this_week(words: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    week_over_week = summary["week_over_week"]
    if not week_over_week["available"]:
        return words["not_available"]
    return words["count"].format(n=week_over_week["new_warn_or_crit"])


def _figures(delivery: ReportDelivery) -> list[tuple[str, str]]:
    """(label, value) pairs of the message's figure grid, in reading order."""
    words, summary = STRINGS[delivery.locale], delivery.summary
    levels, names = summary["levels"], words["levels"]
    figures = [
        (words["week"], _week_span(delivery)),
        (words["students"], words["count"].format(n=summary["total_students"])),
        (names[CRIT], _level_count(words, levels[CRIT], with_pct=True)),
        (names["WARN"], _level_count(words, levels["WARN"], with_pct=True)),
        (names["OK"], _level_count(words, levels["OK"], with_pct=False)),
    ]
    figures += [(names[level], _level_count(words, levels[level], with_pct=True))
                for level in _SOMETIMES_SHOWN_LEVELS if levels[level]["count"] > 0]
    figures.append((words["new"], _new_this_week(words, summary)))
    engagement = delivery.engagement_figure()
    return figures if engagement is None else [*figures, engagement]


def _summary_text(delivery: ReportDelivery) -> str:
    """One line for notifications and clients that cannot show blocks."""
    words, levels = STRINGS[delivery.locale], delivery.summary["levels"]
    return words["summary"].format(header=_header(delivery), week=_week_span(delivery),
                                   crit=levels[CRIT]["count"], warn=levels[WARN]["count"],
                                   total=delivery.summary["total_students"])


def report_id(delivery: ReportDelivery) -> str:
    """Shown in every Slack message of a report, so that a run can find what an interrupted run posted."""
    return f"{delivery.week.isoformat()}/{delivery.checksum[:12]}"


def build_payload(delivery: ReportDelivery) -> dict[str, Any]:
    """The incoming-webhook message: figures only, never a student's name or id."""
    words = STRINGS[delivery.locale]
    fields = [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in _figures(delivery)]
    return {
        "text": _summary_text(delivery),
        "blocks": [
            {"type": "header", "text": _plain(_header(delivery))},
            {"type": "section", "fields": fields},
            {"type": "context",
             "elements": [_plain(words["report_file"].format(name=_escape(delivery.attachment_name))),
                          _plain(words["report_id"].format(id=report_id(delivery)))]},
        ],
    }


# --- secrets from the environment ---------------------------------------------------------------------------


def _secret_from_env(name: str, env: Mapping[str, str], what: str, without_it: str) -> str:
    # Secret files and CI variables often carry a trailing newline, which would make the URL invalid.
    value = env.get(name, "").strip()
    if not value:
        raise DeliveryError(
            f"environment variable {name} named in tenants.yaml is not set; export {name}=<{what}>, "
            f"or remove it from tenants.yaml {without_it}"
        )
    return value


def resolve_webhook(slack: SlackDelivery, env: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """(webhook URL, name of its variable); None when the tenant has no webhook, so the caller uses the outbox."""
    if slack.webhook_env is None:
        return None
    url = _secret_from_env(slack.webhook_env, env, "Slack incoming-webhook URL",
                           "to write Slack messages to the outbox instead")
    check_webhook_url(url, slack.webhook_env)
    return url, slack.webhook_env


def resolve_bot(slack: SlackDelivery, env: Mapping[str, str] = os.environ) -> tuple[str, str, str] | None:
    """(bot token, channel, name of the token's variable); None when the tenant uploads no report file."""
    if slack.bot_token_env is None:
        if slack.channel:
            raise DeliveryError(
                f"delivery.slack.channel ({slack.channel}) is set in tenants.yaml but delivery.slack.bot_token_env is "
                "not; the channel is where the bot uploads the report file, so it needs a bot token: add "
                "`bot_token_env: <variable holding the xoxb-… token>`, or remove channel (the webhook posts into the "
                "channel it was created for)")
        return None
    if not slack.channel:
        raise DeliveryError(
            f"delivery.slack.bot_token_env ({slack.bot_token_env}) is set in tenants.yaml but delivery.slack.channel "
            "is not; add the ID of the channel the report file goes to, e.g. `channel: C0123ABCD`"
        )
    token = _secret_from_env(slack.bot_token_env, env, "Slack bot token xoxb-…",
                             "to post the message without uploading the report file")
    return token, slack.channel, slack.bot_token_env


def is_secure_url(url: str) -> bool:
    """An https:// URL with a host, or http:// to this machine (a local stand-in or proxy)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        return False
    return bool(host) and (parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK_HOSTS))


def check_webhook_url(url: str, secret_name: str) -> None:
    """The value is the secret: the error names only its variable."""
    if not is_secure_url(url):
        raise DeliveryError(
            f"the Slack webhook (env {secret_name}) does not hold an https:// URL: set {secret_name} to the "
            "incoming-webhook URL Slack shows (https://hooks.slack.com/services/…); http:// is accepted only for "
            "this machine (127.0.0.1, localhost)")


def timeout_from_env(env: Mapping[str, str] = os.environ) -> int:
    """SLACK_TIMEOUT: seconds a Slack request waits for the answer once it is sent."""
    value = env.get("SLACK_TIMEOUT", "").strip()
    if not value:
        return DEFAULT_TIMEOUT_SECONDS
    # str.isdigit() also accepts digits such as "²" that int() refuses, hence isascii().
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= _MAX_TIMEOUT_SECONDS:
        raise DeliveryError(f"SLACK_TIMEOUT={value!r} is not a number of seconds: write a whole number "
                            f"1-{_MAX_TIMEOUT_SECONDS}, ASCII digits, e.g. SLACK_TIMEOUT={DEFAULT_TIMEOUT_SECONDS}, "
                            "or unset it")
    return int(value)


def check_api_url(env: Mapping[str, str] = os.environ) -> None:
    value = env.get("SLACK_API_URL", "").strip()
    if value and not is_secure_url(value):
        raise DeliveryError(f"SLACK_API_URL={value!r} is not an https:// URL: write the Web API base, e.g. "
                            "SLACK_API_URL=https://slack.com/api/, or unset it")


# --- sending ---------------------------------------------------------------------------------------------------


class NoAnswer(DeliveryError):
    """The request went out and no answer came: Slack may have it, so it must not be sent again blindly."""


def _unanswered(error: Exception) -> bool:
    """A timeout, reset or closed connection while waiting for the answer. urllib raises URLError instead for
    anything that happens while connecting and sending: then the request never arrived."""
    return (isinstance(error, (TimeoutError, ConnectionError, http.client.HTTPException))
            and not isinstance(error, URLError))


def _scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _retry_after(headers: Mapping[str, Any]) -> int | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = str(value[0] if isinstance(value, (list, tuple)) else value).strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


OnAttempt = Callable[[], None]  # called before each try on the wire, so the ledger counts it


def _no_attempt() -> None:
    pass


class _CountingConnectionRetryHandler(ConnectionErrorRetryHandler):
    """slack-sdk's connection-error handler, retrying only a request that never went out (urllib raises URLError
    while connecting and sending): a reset or a timeout while waiting for the answer may follow a delivered message.
    Each retry is counted."""

    def __init__(self, max_retry_count: int, on_retry: OnAttempt):
        super().__init__(max_retry_count=max_retry_count, error_types=[URLError])
        self.on_retry = on_retry

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)
        self.on_retry()


class _CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's rate-limit handler, waiting only when Retry-After is at most max_wait seconds: a school's
    delivery run is not held for minutes by one channel. Each retry is counted."""

    def __init__(self, max_retry_count: int, max_wait: int, on_retry: OnAttempt):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.on_retry = on_retry

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        wait = _retry_after(response.headers) if response is not None else None
        return (super()._can_retry(state=state, request=request, response=response, error=error)
                and (wait or 0) <= self.max_wait)

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)
        self.on_retry()


def _retry_handlers(max_retries: int, on_retry: OnAttempt,
                    max_wait: int = MAX_RETRY_AFTER_SECONDS) -> list[RetryHandler]:
    return [_CountingConnectionRetryHandler(max_retries, on_retry),
            _CappedRateLimitRetryHandler(max_retries, max_wait, on_retry)]


def _rate_limited(where: str, headers: Mapping[str, Any], max_retries: int) -> str:
    wait = _retry_after(headers)
    if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
        return (f"{where} is rate limited (HTTP 429) and asks to wait {wait} s, longer than the "
                f"{MAX_RETRY_AFTER_SECONDS} s a delivery run waits; the next delivery run tries again")
    return f"{where} is still rate limited (HTTP 429) after {max_retries} retries; try again later"


def _webhook_failure(status: int, body: str, headers: Mapping[str, Any], where: str, secret_name: str,
                     max_retries: int) -> str:
    if status == 429:
        return _rate_limited(where, headers, max_retries)
    quoted = body.strip()[:_MAX_QUOTED_BODY] or "no body"
    if 400 <= status < 500:
        return f"{where} refused the message (HTTP {status}: {quoted}); check the webhook URL in {secret_name}"
    return f"{where} answered HTTP {status} ({quoted}); try again later"


def post_webhook(url: str, payload: Mapping[str, Any], *, secret_name: str, max_retries: int = 3,
                 timeout: int = DEFAULT_TIMEOUT_SECONDS, on_attempt: OnAttempt = _no_attempt) -> None:
    """Posts the message; waits out rate limits (Retry-After) up to max_retries times. Raises NoAnswer when the
    post went out and no answer came within `timeout` seconds, DeliveryError when it was not delivered.

    The URL is the secret: no error names it, only the variable it came from (secret_name).
    """
    where = f"the Slack webhook (env {secret_name})"
    check_webhook_url(url, secret_name)
    # Wherever a failure text could quote the URL, its path (the secret part) appears as well.
    secrets = (url, urlsplit(url).path)
    client = WebhookClient(url, timeout=timeout, retry_handlers=_retry_handlers(max_retries, on_attempt),
                           logger=_SDK_LOGGER)
    on_attempt()
    try:
        response = client.send_dict(dict(payload))
    except Exception as exc:  # any failure text may contain the URL, so none escapes unscrubbed
        reason = f"{type(exc).__name__}: {_scrub(str(exc), *secrets)}"
        if _unanswered(exc):
            raise NoAnswer(f"{where} received the message but gave no answer (waiting up to {timeout} s, "
                           f"SLACK_TIMEOUT: {reason}); it may be in the channel") from None
        raise DeliveryError(f"could not post to {where}: {reason}") from None
    if response.status_code != 200:
        body = _scrub(response.body or "", *secrets)
        raise DeliveryError(_webhook_failure(response.status_code, body, response.headers or {}, where, secret_name,
                                             max_retries))


def _file_title(delivery: ReportDelivery) -> str:
    return f"{STRINGS[delivery.locale]['header'].format(org=delivery.org_name)} {_week_span(delivery)}"


def _api_failure(exc: SlackApiError, delivery: ReportDelivery, channel: str, max_retries: int) -> str:
    where = f"Slack (upload of {delivery.attachment_name} to channel {channel})"
    if exc.response.status_code == 429:
        return _rate_limited(where, exc.response.headers or {}, max_retries)
    code = exc.response.get("error") or f"HTTP {exc.response.status_code}"
    return f"Slack refused the upload of {delivery.attachment_name} to channel {channel}: {code}"


def _web_client(token: str, base_url: str | None, max_retries: int, timeout: int = DEFAULT_TIMEOUT_SECONDS,
                on_retry: OnAttempt = _no_attempt) -> WebClient:
    return WebClient(token=token, base_url=base_url or WebClient.BASE_URL, timeout=timeout,
                     retry_handlers=_retry_handlers(max_retries, on_retry), logger=_SDK_LOGGER)


def _upload_comment(delivery: ReportDelivery) -> str:
    words = STRINGS[delivery.locale]
    return f"{_summary_text(delivery)}\n{words['report_id'].format(id=report_id(delivery))}"


@dataclass(frozen=True)
class FoundPosts:
    """What an interrupted run had posted, as the channel's history shows it."""

    message: bool  # the webhook message
    file_id: str | None  # the uploaded report


def find_posts(token: str, channel: str, delivery: ReportDelivery, since: dt.datetime, *,
               base_url: str | None = None, max_retries: int = 3,
               timeout: int = DEFAULT_TIMEOUT_SECONDS) -> FoundPosts:
    """The report's messages in the channel since `since` (conversations.history), recognised by report_id.
    The webhook is assumed to post into the same channel as the bot."""
    marker = report_id(delivery)
    try:
        response = _web_client(token, base_url, max_retries, timeout).conversations_history(
            channel=channel, oldest=f"{since.timestamp():.6f}", limit=200)
    except SlackApiError as exc:
        code = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        raise DeliveryError(f"could not read the history of Slack channel {channel} to find what an interrupted "
                            f"run posted: {code}; the bot needs the channels:history scope") from None
    except Exception as exc:
        raise DeliveryError(f"could not read the history of Slack channel {channel}: "
                            f"{type(exc).__name__}: {_scrub(str(exc), token)}") from None
    message, file_id = False, None
    for item in response.get("messages") or []:
        if marker not in json.dumps(item, ensure_ascii=False):
            continue
        if item.get("files"):
            file_id = item["files"][0].get("id")
        else:
            message = True
    return FoundPosts(message, file_id)


def upload_report(token: str, channel: str, delivery: ReportDelivery, *, base_url: str | None = None,
                  max_retries: int = 3, timeout: int = DEFAULT_TIMEOUT_SECONDS,
                  on_attempt: OnAttempt = _no_attempt) -> str:
    """Uploads the report file to the channel and returns Slack's file id.

    files_upload_v2 asks for an upload URL (files.getUploadURLExternal), POSTs the bytes there and then shares
    the file (files.completeUploadExternal). No error contains the token.
    """
    client = _web_client(token, base_url, max_retries, timeout, on_attempt)
    on_attempt()
    try:
        response = client.files_upload_v2(
            channel=channel,
            content=delivery.report_bytes,
            filename=delivery.attachment_name,
            title=_file_title(delivery),
            initial_comment=_upload_comment(delivery),
        )
    except SlackApiError as exc:
        raise DeliveryError(_scrub(_api_failure(exc, delivery, channel, max_retries), token)) from None
    except Exception as exc:  # network and upload-step failures (urllib, SlackRequestError) are delivery failures too
        failure = NoAnswer if _unanswered(exc) else DeliveryError
        raise failure(
            f"could not upload {delivery.attachment_name} to Slack channel {channel}: "
            f"{type(exc).__name__}: {_scrub(str(exc), token)}"
        ) from None
    files = response.get("files") or []
    if not files:
        raise DeliveryError(f"Slack accepted {delivery.attachment_name} but returned no file id")
    return files[0]["id"]
