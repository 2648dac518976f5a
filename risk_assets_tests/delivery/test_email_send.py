"""Sending through a real SMTP server on 127.0.0.1: STARTTLS with a self-signed CA, required login, retries."""

from __future__ import annotations

import email
import time
import traceback
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, TypedDict

import pytest
import trustme

from risk_assets.config.tenants import EmailDelivery
from risk_assets.delivery.content import DeliveryError
from risk_assets.delivery.email import SmtpSettings, build_email, send_email
from risk_assets_tests.delivery.email_samples import (
    NYC_SUBJECT,
    REPORT_BYTES,
    SEOUL_SUBJECT,
    body_text,
    nyc_summary,
    seoul_summary,
    students_frame,
    write_delivery,
)
from risk_assets_tests.delivery.smtp_server import (
    HOST,
    PASSWORD,
    USER,
    RecordingHandler,
    RunningServer,
    running_smtp_server,
)
from risk_assets_tests.processes import free_port

RECIPIENTS = EmailDelivery(to=["principal@seoul.example.kr"], cc=["office@seoul.example.kr"],
                           bcc=["audit@platform.example"])
SENDER = "Risk reports <reports@school.example>"
WRONG_PASSWORD = "wrong-horse-battery-staple"
class _Quick(TypedDict):
    backoff_seconds: float


QUICK: _Quick = {"backoff_seconds": 0.01}  # send_email's retries, without the wait


def settings_for(port: int, ca_file: str | None, **overrides: Any) -> SmtpSettings:
    values: dict[str, Any] = {"host": HOST, "port": port, "user": USER, "password": PASSWORD, "sender": SENDER,
                              "ca_file": ca_file, "timeout": 5}
    values.update(overrides)
    return SmtpSettings(**values)


def report_email(tmp_path: Path, make_summary: Callable[[], dict] = seoul_summary, **options: Any) -> EmailMessage:
    return build_email(write_delivery(tmp_path, make_summary()), RECIPIENTS, SENDER, **options)


def received(server: RunningServer) -> EmailMessage:
    [message] = server.handler.received
    return email.message_from_bytes(message.content, policy=policy.default)


def assert_secret_free(error: BaseException) -> None:
    shown = "".join(traceback.format_exception(error))
    assert PASSWORD not in shown and WRONG_PASSWORD not in shown


@pytest.mark.parametrize(("make_summary", "subject"), [(seoul_summary, SEOUL_SUBJECT), (nyc_summary, NYC_SUBJECT)])
def test_one_send_delivers_one_message(smtp_server: RunningServer, smtp_ca_file: str, tmp_path: Path,
                                       make_summary: Callable[[], dict], subject: str) -> None:
    message = report_email(tmp_path, make_summary)
    message_id = send_email(settings_for(smtp_server.port, smtp_ca_file), message, RECIPIENTS.recipients)

    assert message_id == message["Message-ID"]
    [envelope] = smtp_server.handler.received
    assert envelope.mail_from == "reports@school.example"
    assert envelope.rcpt_tos == ["principal@seoul.example.kr", "office@seoul.example.kr", "audit@platform.example"]
    got = received(smtp_server)
    assert got["Subject"] == subject
    assert (got["From"], got["To"], got["Cc"], got["Bcc"]) == (
        SENDER, "principal@seoul.example.kr", "office@seoul.example.kr", None)
    assert b"audit@platform.example" not in envelope.content
    assert got["Message-ID"] == message_id
    levels = make_summary()["levels"]
    crit, warn = str(levels["CRIT"]["count"]), str(levels["WARN"]["count"])
    html, text = body_text(got, "html"), body_text(got, "plain")
    assert f">{crit}<" in html and f">{warn}<" in html
    assert f": {crit} (" in text and f": {warn} (" in text
    [attachment] = got.iter_attachments()
    assert attachment.get_filename() == f"{make_summary()['tenant']}_report.html"
    assert attachment.get_payload(decode=True) == REPORT_BYTES
    assert smtp_server.authenticator.mechanisms == ["PLAIN"]
    assert smtp_server.handler.connections == 1


@pytest.mark.parametrize("include_student_names", [False, True])
def test_student_names_travel_only_on_request(smtp_server: RunningServer, smtp_ca_file: str, tmp_path: Path,
                                              include_student_names: bool) -> None:
    message = report_email(tmp_path, include_student_names=include_student_names, students=students_frame())
    send_email(settings_for(smtp_server.port, smtp_ca_file), message, RECIPIENTS.recipients)

    got = received(smtp_server)
    bodies = body_text(got, "plain") + body_text(got, "html")
    assert ("유예서" in bodies) is include_student_names
    assert "김유준" not in bodies  # an OK student is never named


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_login_with_the_mechanism_the_server_offers(smtp_ca: trustme.CA, smtp_ca_file: str, tmp_path: Path,
                                                    mechanism: str) -> None:
    with running_smtp_server(smtp_ca, mechanisms=[mechanism]) as server:
        send_email(settings_for(server.port, smtp_ca_file), report_email(tmp_path), RECIPIENTS.recipients)
    assert server.authenticator.mechanisms == [mechanism]
    assert len(server.handler.received) == 1


# aiosmtpd's warning knows only STARTTLS; with implicit TLS the login is encrypted all the same.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls(smtp_ca: trustme.CA, smtp_ca_file: str, tmp_path: Path) -> None:
    with running_smtp_server(smtp_ca, implicit_tls=True) as server:
        send_email(settings_for(server.port, smtp_ca_file, tls="ssl"), report_email(tmp_path), RECIPIENTS.recipients)
    assert len(server.handler.received) == 1


def test_wrong_password_fails_at_once(smtp_server: RunningServer, smtp_ca_file: str, tmp_path: Path) -> None:
    settings = settings_for(smtp_server.port, smtp_ca_file, password=WRONG_PASSWORD)
    with pytest.raises(DeliveryError) as raised:
        send_email(settings, report_email(tmp_path), RECIPIENTS.recipients, attempts=3, **QUICK)

    assert str(raised.value).startswith(
        f"SMTP login failed for user '{USER}' at {HOST}:{smtp_server.port}: check SMTP_USER / SMTP_PASSWORD")
    assert_secret_free(raised.value)
    assert smtp_server.authenticator.mechanisms == ["PLAIN"]  # one AUTH attempt, no retry
    assert smtp_server.handler.connections == 1
    assert smtp_server.handler.received == []


def test_server_down_is_retried_then_reported(smtp_ca_file: str, tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        send_email(settings_for(port, smtp_ca_file), report_email(tmp_path), RECIPIENTS.recipients,
                   attempts=3, backoff_seconds=0.05)

    assert str(raised.value).startswith(f"e-mail via {HOST}:{port} (user '{USER}') failed: gave up after 3 attempts")
    assert "Connection refused" in str(raised.value)
    assert time.monotonic() - started >= 0.05 + 0.1  # waited backoff · 2^0, then backoff · 2^1
    assert_secret_free(raised.value)


@pytest.mark.parametrize("failing_command", ["MAIL", "DATA"])
def test_temporary_failure_is_retried(smtp_ca: trustme.CA, smtp_ca_file: str, tmp_path: Path,
                                      failing_command: Literal["MAIL", "DATA"]) -> None:
    with running_smtp_server(smtp_ca, RecordingHandler(fail_first=failing_command)) as server:
        message = report_email(tmp_path)
        message_id = send_email(settings_for(server.port, smtp_ca_file), message, RECIPIENTS.recipients, **QUICK)

    assert server.handler.mail_commands == 2
    assert server.handler.connections == 2
    assert len(server.handler.received) == 1
    assert received(server)["Message-ID"] == message_id


def test_untrusted_certificate_fails_at_once(smtp_server: RunningServer, tmp_path: Path) -> None:
    settings = settings_for(smtp_server.port, ca_file=None)
    with pytest.raises(DeliveryError) as raised:
        send_email(settings, report_email(tmp_path), RECIPIENTS.recipients, attempts=3, **QUICK)

    message = str(raised.value)
    assert message.startswith(f"e-mail via {HOST}:{smtp_server.port} (user '{USER}') failed: "
                              "the server's TLS certificate could not be verified")
    assert "set SMTP_CA_FILE" in message
    assert smtp_server.handler.connections == 1
    assert smtp_server.authenticator.mechanisms == []  # the password never left the client
    assert_secret_free(raised.value)


def test_refused_recipients_fail_at_once(smtp_ca: trustme.CA, smtp_ca_file: str, tmp_path: Path) -> None:
    handler = RecordingHandler(refuse=RECIPIENTS.recipients)
    with running_smtp_server(smtp_ca, handler) as server, pytest.raises(DeliveryError) as raised:
        send_email(settings_for(server.port, smtp_ca_file), report_email(tmp_path), RECIPIENTS.recipients,
                   attempts=3, **QUICK)

    assert ("the server refused every recipient: principal@seoul.example.kr (550 5.1.1 No such user here)"
            in str(raised.value))
    assert server.handler.mail_commands == 1
    assert server.handler.received == []


def test_partly_refused_recipients_are_reported(smtp_ca: trustme.CA, smtp_ca_file: str, tmp_path: Path) -> None:
    handler = RecordingHandler(refuse=["office@seoul.example.kr"])
    with running_smtp_server(smtp_ca, handler) as server, pytest.raises(DeliveryError) as raised:
        send_email(settings_for(server.port, smtp_ca_file), report_email(tmp_path), RECIPIENTS.recipients, **QUICK)

    assert ("the message was delivered to 2 of 3 recipients; refused: office@seoul.example.kr "
            "(550 5.1.1 No such user here)") in str(raised.value)
    [envelope] = server.handler.received
    assert envelope.rcpt_tos == ["principal@seoul.example.kr", "audit@platform.example"]


def test_server_text_is_scrubbed_of_the_password(smtp_ca: trustme.CA, smtp_ca_file: str, tmp_path: Path) -> None:
    handler = RecordingHandler(refuse=RECIPIENTS.recipients, refusal=f"550 5.7.1 rejected {PASSWORD} for you")
    with running_smtp_server(smtp_ca, handler) as server, pytest.raises(DeliveryError) as raised:
        send_email(settings_for(server.port, smtp_ca_file), report_email(tmp_path), RECIPIENTS.recipients, **QUICK)

    assert "(550 5.7.1 rejected ******** for you)" in str(raised.value)
    assert_secret_free(raised.value)


def test_login_needs_tls(smtp_server: RunningServer, tmp_path: Path) -> None:
    """Over plain SMTP the server offers no AUTH: the password is not sent in clear text."""
    settings = settings_for(smtp_server.port, None, tls="none")
    with pytest.raises(DeliveryError, match="the server offers no login \\(AUTH\\) on this connection"):
        send_email(settings, report_email(tmp_path), RECIPIENTS.recipients, **QUICK)
    assert smtp_server.authenticator.mechanisms == []


def test_no_recipient(smtp_server: RunningServer, smtp_ca_file: str, tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match="there is no recipient"):
        send_email(settings_for(smtp_server.port, smtp_ca_file), report_email(tmp_path), [])
    assert smtp_server.handler.connections == 0
