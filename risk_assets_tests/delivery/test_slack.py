"""Slack delivery against a real local HTTP server: the message, the webhook, the file upload, the secrets."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from risk_assets.config.tenants import SlackDelivery
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.delivery.slack import (
    build_payload,
    check_api_url,
    post_webhook,
    resolve_bot,
    resolve_webhook,
    timeout_from_env,
    upload_report,
)
from risk_assets_tests.delivery.email_samples import write_delivery
from risk_assets_tests.delivery.slack_server import Reply, SlackStandIn
from risk_assets_tests.processes import free_port

WEBHOOK_PATH = "/services/T/B/SECRET"
TOKEN = "xoxb-test-token"
STUDENT_IDS = [10100001, 10100006, 10100007]
REPORT_BYTES = "<!doctype html>\r\n<title>주간 학생 위험 보고서</title>\n<p>147 &amp; 78</p>\n".encode()


def summary(*, tenant: str = "seoul-central", org_name: str = "서울중앙중학교", locale: str = "ko",
            wow_available: bool = True, ok_partial: int = 3, insufficient: int = 0) -> dict[str, Any]:
    """The structure of a real <tenant>_summary.json, cut down to what a delivery reads."""
    return {
        "tenant": tenant,
        "org_name": org_name,
        "week": "2026-11-16",
        "week_end": "2026-11-22",
        "timezone": "Asia/Seoul",
        "locale": locale,
        "total_students": 300,
        "levels": {
            "CRIT": {"count": 147, "pct": 49.0},
            "WARN": {"count": 78, "pct": 26.0},
            "OK": {"count": 72 - insufficient, "pct": 24.0},
            "OK_PARTIAL": {"count": ok_partial, "pct": round(100 * ok_partial / 300, 1)},
            "INSUFFICIENT_DATA": {"count": insufficient, "pct": round(100 * insufficient / 300, 1)},
        },
        "week_over_week": {"available": wow_available, "new_warn_or_crit": 79 if wow_available else None,
                           "resolved": 59 if wow_available else None},
        "new_student_ids": STUDENT_IDS,
    }


def load_delivery(tmp_path: Path, content: dict[str, Any]) -> ReportDelivery:
    return write_delivery(tmp_path, content, REPORT_BYTES)


@pytest.fixture
def ko_delivery(tmp_path: Path) -> ReportDelivery:
    return load_delivery(tmp_path, summary())


@pytest.fixture
def en_delivery(tmp_path: Path) -> ReportDelivery:
    return load_delivery(tmp_path, summary(tenant="nyc-bridge", org_name="Bridge Academy", locale="en"))


def field_texts(payload: dict[str, Any]) -> list[str]:
    (section,) = [block for block in payload["blocks"] if block["type"] == "section"]
    return [field["text"] for field in section["fields"]]


def header_text(payload: dict[str, Any]) -> str:
    (header,) = [block for block in payload["blocks"] if block["type"] == "header"]
    return header["text"]["text"]


def assert_secret_free(message: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in message


# --- the message -------------------------------------------------------------------------------------------


def test_korean_message_shows_the_week_in_korean(ko_delivery: ReportDelivery) -> None:
    payload = build_payload(ko_delivery)

    assert header_text(payload) == "서울중앙중학교 주간 위험 보고서"
    assert field_texts(payload) == [
        "*보고 주간*\n2026-11-16 – 2026-11-22",
        "*전체 학생*\n300명",
        "*위험*\n147명 (49.0%)",
        "*주의*\n78명 (26.0%)",
        "*정상*\n72명",
        "*정상(부분)*\n3명 (1.0%)",
        "*이번 주 새로 주의 이상*\n79명",
    ]
    assert payload["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "plain_text", "text": "보고서 파일: seoul-central_report.html", "emoji": False},
                     {"type": "plain_text", "text": f"보고서 ID: 2026-11-16/{ko_delivery.checksum[:12]}",
                      "emoji": False}],
    }
    assert payload["text"] == ("서울중앙중학교 주간 위험 보고서 (2026-11-16 – 2026-11-22): "
                               "위험 147명, 주의 78명 / 전체 300명")


def test_english_message_shows_the_week_in_english(en_delivery: ReportDelivery) -> None:
    payload = build_payload(en_delivery)

    assert header_text(payload) == "Bridge Academy Weekly Risk Report"
    assert field_texts(payload) == [
        "*Report week*\n2026-11-16 – 2026-11-22",
        "*Students*\n300",
        "*Critical*\n147 (49.0%)",
        "*Warning*\n78 (26.0%)",
        "*OK*\n72",
        "*OK (partial)*\n3 (1.0%)",
        "*New this week*\n79",
    ]
    assert payload["blocks"][-1]["elements"][0]["text"] == "Report file: nyc-bridge_report.html"
    assert payload["text"] == ("Bridge Academy Weekly Risk Report (2026-11-16 – 2026-11-22): "
                               "147 critical, 78 warning of 300 students")


@pytest.mark.parametrize(("locale", "expected"), [("ko", "*이번 주 새로 주의 이상*\n비교 불가"),
                                                  ("en", "*New this week*\nnot available")])
def test_first_week_says_the_comparison_is_not_available(tmp_path: Path, locale: str, expected: str) -> None:
    delivery = load_delivery(tmp_path, summary(locale=locale, wow_available=False))

    assert field_texts(build_payload(delivery))[-1] == expected


def test_rare_levels_appear_only_when_some_student_has_them(tmp_path: Path) -> None:
    delivery = load_delivery(tmp_path, summary(locale="en", ok_partial=0, insufficient=12))

    fields = field_texts(build_payload(delivery))

    assert not any(text.startswith("*OK (partial)*") for text in fields)
    assert "*Insufficient data*\n12 (4.0%)" in fields


@pytest.mark.parametrize("locale, expected", [
    ("ko", "*빠른 추측(성의 없는 응답)*\n위험 12명 · 주의 5명 (능력치 하락과 겹침 9명)"),
    ("en", "*Rapid guessing*\n12 critical · 5 warning (9 with an ability drop)")])
def test_rapid_guessing_is_counted_when_the_engagement_domain_is_on(tmp_path: Path, locale: str, expected: str) -> None:
    content = summary(locale=locale)
    off = field_texts(build_payload(load_delivery(tmp_path, content)))
    content["domains"] = {"engagement": {"WARN": 5, "CRIT": 12, "INSUFFICIENT": 40}}
    content["annotations"] = {"THETA_DROP_WITH_DISENGAGEMENT": 9}
    on = field_texts(build_payload(load_delivery(tmp_path, content)))
    assert on == [*off, expected]


def test_names_cannot_inject_slack_markup(tmp_path: Path) -> None:
    delivery = load_delivery(tmp_path, summary(org_name="Arts & Science <!channel>", locale="en"))

    payload = build_payload(delivery)

    assert header_text(payload) == "Arts &amp; Science &lt;!channel&gt; Weekly Risk Report"
    assert payload["text"].startswith("Arts &amp; Science &lt;!channel&gt; Weekly Risk Report")
    assert "<!channel>" not in json.dumps(payload)


def test_message_names_no_student(ko_delivery: ReportDelivery) -> None:
    text = json.dumps(build_payload(ko_delivery))

    for student_id in STUDENT_IDS:
        assert str(student_id) not in text


# --- the webhook -------------------------------------------------------------------------------------------


def webhook_url(server: SlackStandIn) -> str:
    return server.url + WEBHOOK_PATH


@pytest.mark.parametrize(("delivery_fixture", "header", "crit"), [
    ("ko_delivery", "서울중앙중학교 주간 위험 보고서", "*위험*\n147명 (49.0%)"),
    ("en_delivery", "Bridge Academy Weekly Risk Report", "*Critical*\n147 (49.0%)"),
])
def test_webhook_receives_the_message(slack_server: SlackStandIn, request: pytest.FixtureRequest,
                                      delivery_fixture: str, header: str, crit: str) -> None:
    payload = build_payload(request.getfixturevalue(delivery_fixture))
    slack_server.script(WEBHOOK_PATH, Reply(200, "ok"))

    post_webhook(webhook_url(slack_server), payload, secret_name="SLACK_WEBHOOK_SEOUL")

    (posted,) = slack_server.requests
    assert (posted.method, posted.path) == ("POST", WEBHOOK_PATH)
    assert posted.headers["content-type"].startswith("application/json")
    assert posted.json() == payload
    assert header_text(posted.json()) == header
    assert crit in field_texts(posted.json())


def test_webhook_waits_out_a_rate_limit(slack_server: SlackStandIn, ko_delivery: ReportDelivery) -> None:
    slack_server.script(WEBHOOK_PATH, Reply(429, "rate_limited", {"Retry-After": "1"}), Reply(200, "ok"))

    post_webhook(webhook_url(slack_server), build_payload(ko_delivery), secret_name="SLACK_WEBHOOK_SEOUL")

    assert [request.method for request in slack_server.requests_to(WEBHOOK_PATH)] == ["POST", "POST"]


def test_webhook_rate_limit_beyond_retries_is_an_error_without_the_url(slack_server: SlackStandIn,
                                                                      ko_delivery: ReportDelivery) -> None:
    slack_server.script(WEBHOOK_PATH, Reply(429, "rate_limited", {"Retry-After": "1"}))

    with pytest.raises(DeliveryError) as raised:
        post_webhook(webhook_url(slack_server), build_payload(ko_delivery), secret_name="SLACK_WEBHOOK_SEOUL",
                     max_retries=0)

    message = str(raised.value)
    assert "429" in message and "rate limited" in message
    assert "SLACK_WEBHOOK_SEOUL" in message
    assert_secret_free(message, "SECRET", webhook_url(slack_server))
    assert len(slack_server.requests) == 1


@pytest.mark.parametrize(("status", "body"), [(404, "no_service"), (500, "internal error")])
def test_webhook_failure_is_an_error_without_the_url(slack_server: SlackStandIn, ko_delivery: ReportDelivery,
                                                     status: int, body: str) -> None:
    slack_server.script(WEBHOOK_PATH, Reply(status, body))

    with pytest.raises(DeliveryError) as raised:
        post_webhook(webhook_url(slack_server), build_payload(ko_delivery), secret_name="SLACK_WEBHOOK_SEOUL")

    message = str(raised.value)
    assert f"HTTP {status}" in message and body in message and "SLACK_WEBHOOK_SEOUL" in message
    assert_secret_free(message, "SECRET", webhook_url(slack_server))
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_unreachable_webhook_is_an_error_without_the_url(ko_delivery: ReportDelivery) -> None:
    url = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"

    with pytest.raises(DeliveryError) as raised:
        post_webhook(url, build_payload(ko_delivery), secret_name="SLACK_WEBHOOK_SEOUL", max_retries=0)

    assert "SLACK_WEBHOOK_SEOUL" in str(raised.value)
    assert_secret_free(str(raised.value), "SECRET", url)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_no_log_record_quotes_the_webhook_url(slack_server: SlackStandIn, ko_delivery: ReportDelivery,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    slack_server.script(WEBHOOK_PATH, Reply(429, "rate_limited", {"Retry-After": "0"}), Reply(200, "ok"))
    unreachable = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"

    post_webhook(webhook_url(slack_server), build_payload(ko_delivery), secret_name="SLACK_WEBHOOK_SEOUL")
    with pytest.raises(DeliveryError):
        post_webhook(unreachable, build_payload(ko_delivery), secret_name="SLACK_WEBHOOK_SEOUL", max_retries=0)

    assert "SECRET" not in caplog.text


def test_webhook_value_that_is_no_url_is_not_quoted(ko_delivery: ReportDelivery) -> None:
    with pytest.raises(DeliveryError, match="SLACK_WEBHOOK_SEOUL.*http") as raised:
        post_webhook("hooks.slack.com/services/T/B/SECRET", build_payload(ko_delivery),
                     secret_name="SLACK_WEBHOOK_SEOUL")

    assert_secret_free(str(raised.value), "SECRET")


# --- the file upload ---------------------------------------------------------------------------------------


GET_URL_PATH = "/api/files.getUploadURLExternal"
UPLOAD_PATH = "/upload/abc"
COMPLETE_PATH = "/api/files.completeUploadExternal"


def script_upload(server: SlackStandIn) -> None:
    server.script(GET_URL_PATH, Reply(body={"ok": True, "upload_url": server.url + UPLOAD_PATH, "file_id": "F123"}))
    server.script(UPLOAD_PATH, Reply(200, "OK - 123"))
    server.script(COMPLETE_PATH, Reply(body={"ok": True, "files": [{"id": "F123", "name": "seoul-central_report.html",
                                                                     "title": "report"}]}))


def test_report_file_is_uploaded_in_three_calls(slack_server: SlackStandIn, ko_delivery: ReportDelivery) -> None:
    script_upload(slack_server)

    file_id = upload_report(TOKEN, "C0123", ko_delivery, base_url=slack_server.url + "/api/")

    assert file_id == "F123"
    get_url, upload, complete = slack_server.requests
    assert [request.path for request in (get_url, upload, complete)] == [GET_URL_PATH, UPLOAD_PATH, COMPLETE_PATH]
    assert get_url.form()["filename"] == "seoul-central_report.html"
    assert get_url.form()["length"] == str(len(REPORT_BYTES))
    assert upload.method == "POST" and upload.body == REPORT_BYTES
    assert complete.form()["channel_id"] == "C0123"
    assert json.loads(complete.form()["files"])[0]["id"] == "F123"
    assert complete.form()["initial_comment"].startswith("서울중앙중학교 주간 위험 보고서")
    for api_call in (get_url, complete):
        assert api_call.headers["authorization"] == f"Bearer {TOKEN}"


def test_rejected_token_is_an_error_with_slacks_code_but_not_the_token(slack_server: SlackStandIn,
                                                                       ko_delivery: ReportDelivery) -> None:
    slack_server.script(GET_URL_PATH, Reply(body={"ok": False, "error": "invalid_auth"}))

    with pytest.raises(DeliveryError, match="invalid_auth") as raised:
        upload_report(TOKEN, "C0123", ko_delivery, base_url=slack_server.url + "/api/")

    assert_secret_free(str(raised.value), TOKEN)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert [request.path for request in slack_server.requests] == [GET_URL_PATH]


def test_unknown_channel_is_an_error_naming_the_channel(slack_server: SlackStandIn,
                                                        ko_delivery: ReportDelivery) -> None:
    script_upload(slack_server)
    slack_server.script(COMPLETE_PATH, Reply(body={"ok": False, "error": "channel_not_found"}))

    with pytest.raises(DeliveryError, match="C0123: channel_not_found") as raised:
        upload_report(TOKEN, "C0123", ko_delivery, base_url=slack_server.url + "/api/")

    assert_secret_free(str(raised.value), TOKEN)


def test_failed_byte_upload_is_an_error_without_the_token(slack_server: SlackStandIn,
                                                          ko_delivery: ReportDelivery) -> None:
    script_upload(slack_server)
    slack_server.script(UPLOAD_PATH, Reply(500, "storage unavailable"))

    with pytest.raises(DeliveryError, match="seoul-central_report.html.*C0123.*500") as raised:
        upload_report(TOKEN, "C0123", ko_delivery, base_url=slack_server.url + "/api/")

    assert_secret_free(str(raised.value), TOKEN)
    assert slack_server.requests_to(COMPLETE_PATH) == []


# --- secrets from the environment ---------------------------------------------------------------------------


def test_tenant_without_slack_settings_uses_the_outbox() -> None:
    assert resolve_webhook(SlackDelivery(), {}) is None
    assert resolve_bot(SlackDelivery(), {}) is None


def test_webhook_url_comes_from_the_named_variable() -> None:
    slack = SlackDelivery(webhook_env="SLACK_WEBHOOK_SEOUL")
    env = {"SLACK_WEBHOOK_SEOUL": "https://hooks.slack.com/services/T/B/SECRET\n"}

    assert resolve_webhook(slack, env) == ("https://hooks.slack.com/services/T/B/SECRET", "SLACK_WEBHOOK_SEOUL")


@pytest.mark.parametrize("env", [{}, {"SLACK_WEBHOOK_SEOUL": ""}, {"SLACK_WEBHOOK_SEOUL": "  "}])
def test_named_webhook_variable_must_be_set(env: dict[str, str]) -> None:
    slack = SlackDelivery(webhook_env="SLACK_WEBHOOK_SEOUL")

    with pytest.raises(DeliveryError,
                       match="environment variable SLACK_WEBHOOK_SEOUL named in tenants.yaml is not set"):
        resolve_webhook(slack, env)


def test_bot_token_and_channel_come_from_the_tenant() -> None:
    slack = SlackDelivery(bot_token_env="SLACK_BOT_SEOUL", channel="C0123")

    assert resolve_bot(slack, {"SLACK_BOT_SEOUL": TOKEN}) == (TOKEN, "C0123", "SLACK_BOT_SEOUL")


def test_named_bot_token_variable_must_be_set() -> None:
    slack = SlackDelivery(bot_token_env="SLACK_BOT_SEOUL", channel="C0123")

    with pytest.raises(DeliveryError, match="environment variable SLACK_BOT_SEOUL named in tenants.yaml is not set"):
        resolve_bot(slack, {})


def test_bot_token_without_channel_is_an_error() -> None:
    slack = SlackDelivery(bot_token_env="SLACK_BOT_SEOUL")

    with pytest.raises(DeliveryError, match="delivery.slack.channel"):
        resolve_bot(slack, {"SLACK_BOT_SEOUL": TOKEN})


@pytest.mark.parametrize("value", ["hooks.slack.com/services/T/B/SECRET", "http://hooks.slack.com/services/T/B/SECRET",
                                   "ftp://hooks.slack.com/SECRET", "https:///services/SECRET", "SECRET"])
def test_webhook_variable_must_hold_an_https_url(value: str) -> None:
    slack = SlackDelivery(webhook_env="SLACK_WEBHOOK_SEOUL")

    with pytest.raises(DeliveryError) as raised:
        resolve_webhook(slack, {"SLACK_WEBHOOK_SEOUL": value})

    assert str(raised.value) == (
        "the Slack webhook (env SLACK_WEBHOOK_SEOUL) does not hold an https:// URL: set SLACK_WEBHOOK_SEOUL to the "
        "incoming-webhook URL Slack shows (https://hooks.slack.com/services/…); http:// is accepted only for this "
        "machine (127.0.0.1, localhost)")
    assert_secret_free(str(raised.value), "SECRET")


def test_channel_without_a_bot_token_is_an_error() -> None:
    slack = SlackDelivery(webhook_env="SLACK_WEBHOOK_SEOUL", channel="C0123")

    with pytest.raises(DeliveryError) as raised:
        resolve_bot(slack, {})

    assert str(raised.value) == (
        "delivery.slack.channel (C0123) is set in tenants.yaml but delivery.slack.bot_token_env is not; the channel is "
        "where the bot uploads the report file, so it needs a bot token: add `bot_token_env: <variable holding the "
        "xoxb-… token>`, or remove channel (the webhook posts into the channel it was created for)")


@pytest.mark.parametrize("value", ["²", "0", "301", "1.5", "thirty", "３０"])
def test_slack_timeout_must_be_whole_seconds(value: str) -> None:
    with pytest.raises(DeliveryError) as raised:
        timeout_from_env({"SLACK_TIMEOUT": value})

    assert str(raised.value) == (f"SLACK_TIMEOUT={value!r} is not a number of seconds: write a whole number 1-300, "
                                 "ASCII digits, e.g. SLACK_TIMEOUT=30, or unset it")


def test_slack_timeout_default_and_value() -> None:
    assert (timeout_from_env({}), timeout_from_env({"SLACK_TIMEOUT": " 5 "})) == (30, 5)


@pytest.mark.parametrize("value", ["slack.com/api/", "http://slack.example/api/"])
def test_slack_api_url_must_be_https(value: str) -> None:
    with pytest.raises(DeliveryError) as raised:
        check_api_url({"SLACK_API_URL": value})

    assert str(raised.value) == (f"SLACK_API_URL={value!r} is not an https:// URL: write the Web API base, e.g. "
                                 "SLACK_API_URL=https://slack.com/api/, or unset it")
