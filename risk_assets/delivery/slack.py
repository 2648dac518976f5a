"""Slack delivery: the week's figures as an incoming-webhook message, the report file through the bot API."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Mapping, Optional
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


def resolve_webhook(slack: SlackDelivery, env: Mapping[str, str] = os.environ) -> Optional[tuple[str, str]]:
    """(webhook URL, name of its variable); None when the tenant has no webhook, so the caller uses the outbox."""
    if slack.webhook_env is None:
        return None
    url = _secret_from_env(slack.webhook_env, env, "Slack incoming-webhook URL",
                           "to write Slack messages to the outbox instead")
    return url, slack.webhook_env


def resolve_bot(slack: SlackDelivery, env: Mapping[str, str] = os.environ) -> Optional[tuple[str, str, str]]:
    """(bot token, channel, name of the token's variable); None when the tenant uploads no report file."""
    if slack.bot_token_env is None:
        return None
    if not slack.channel:
        raise DeliveryError(
            f"delivery.slack.bot_token_env ({slack.bot_token_env}) is set in tenants.yaml but delivery.slack.channel "
            "is not; add the ID of the channel the report file goes to, e.g. `channel: C0123ABCD`"
        )
    token = _secret_from_env(slack.bot_token_env, env, "Slack bot token xoxb-…",
                             "to post the message without uploading the report file")
    return token, slack.channel, slack.bot_token_env


# --- sending ---------------------------------------------------------------------------------------------------


def _scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _retry_after(headers: Mapping[str, Any]) -> Optional[int]:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, (list, tuple)) else value
            return int(text) if str(text).strip().isdigit() else None
    return None


class _CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's rate-limit handler, waiting only when Retry-After is at most max_wait seconds: a school's
    delivery run is not held for minutes by one channel."""

    def __init__(self, max_retry_count: int, max_wait: int):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        wait = _retry_after(response.headers) if response is not None else None
        return (super()._can_retry(state=state, request=request, response=response, error=error)
                and (wait or 0) <= self.max_wait)


def _retry_handlers(max_retries: int, max_wait: int = MAX_RETRY_AFTER_SECONDS) -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(max_retry_count=max_retries),
            _CappedRateLimitRetryHandler(max_retry_count=max_retries, max_wait=max_wait)]


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


def post_webhook(url: str, payload: Mapping[str, Any], *, secret_name: str, max_retries: int = 3) -> None:
    """Posts the message; waits out rate limits (Retry-After) up to max_retries times.

    The URL is the secret: no error names it, only the variable it came from (secret_name).
    """
    where = f"the Slack webhook (env {secret_name})"
    if not url.startswith(("https://", "http://")):
        raise DeliveryError(f"{where} does not hold an http(s) URL; set it to the incoming-webhook URL from Slack")
    # Wherever a failure text could quote the URL, its path (the secret part) appears as well.
    secrets = (url, urlsplit(url).path)
    client = WebhookClient(url, retry_handlers=_retry_handlers(max_retries), logger=_SDK_LOGGER)
    try:
        response = client.send_dict(dict(payload))
    except Exception as exc:  # any failure text may contain the URL, so none escapes unscrubbed
        raise DeliveryError(f"could not post to {where}: {type(exc).__name__}: {_scrub(str(exc), *secrets)}") from None
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


def _web_client(token: str, base_url: Optional[str], max_retries: int) -> WebClient:
    return WebClient(token=token, base_url=base_url or WebClient.BASE_URL,
                     retry_handlers=_retry_handlers(max_retries), logger=_SDK_LOGGER)


def _upload_comment(delivery: ReportDelivery) -> str:
    words = STRINGS[delivery.locale]
    return f"{_summary_text(delivery)}\n{words['report_id'].format(id=report_id(delivery))}"


@dataclass(frozen=True)
class FoundPosts:
    """What an interrupted run had posted, as the channel's history shows it."""

    message: bool  # the webhook message
    file_id: Optional[str]  # the uploaded report


def find_posts(token: str, channel: str, delivery: ReportDelivery, since: dt.datetime, *,
               base_url: Optional[str] = None, max_retries: int = 3) -> FoundPosts:
    """The report's messages in the channel since `since` (conversations.history), recognised by report_id.
    The webhook is assumed to post into the same channel as the bot."""
    marker = report_id(delivery)
    try:
        response = _web_client(token, base_url, max_retries).conversations_history(
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


def upload_report(token: str, channel: str, delivery: ReportDelivery, *, base_url: Optional[str] = None,
                  max_retries: int = 3) -> str:
    """Uploads the report file to the channel and returns Slack's file id.

    files_upload_v2 asks for an upload URL (files.getUploadURLExternal), POSTs the bytes there and then shares
    the file (files.completeUploadExternal). No error contains the token.
    """
    client = _web_client(token, base_url, max_retries)
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
        raise DeliveryError(
            f"could not upload {delivery.attachment_name} to Slack channel {channel}: "
            f"{type(exc).__name__}: {_scrub(str(exc), token)}"
        ) from None
    files = response.get("files") or []
    if not files:
        raise DeliveryError(f"Slack accepted {delivery.attachment_name} but returned no file id")
    return files[0]["id"]
