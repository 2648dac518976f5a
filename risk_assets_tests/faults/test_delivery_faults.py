"""Delivery under faults: a crash mid-send, a refused recipient, concurrent re-sends, a long Retry-After, a webhook
that does not answer, a failed upload after a posted message, a tenant without recipients, and a ledger that says
what happened. Real SMTP (aiosmtpd with STARTTLS and AUTH), the local Slack stand-in, PostgreSQL, and a delivery
process killed with SIGKILL."""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email import policy

import psycopg2
import pytest
from dagster import DagsterInstance

from risk_assets.config import TenantsFile
from risk_assets.defs.delivery.job import DELIVERY_JOB, ONLY_CHANNEL_TAG, run_config
from risk_assets.delivery.content import ReportDelivery
from risk_assets.delivery.ledger import Ledger
from risk_assets.delivery.preflight import delivery_problems
from risk_assets.delivery.slack import report_id
from risk_assets.partitions import partition_key
from risk_assets_tests.delivery.conftest import WEEK
from risk_assets_tests.delivery.reports import definitions, materialize_partition
from risk_assets_tests.delivery.slack_server import Reply, SlackStandIn
from risk_assets_tests.delivery.smtp_server import HOST, PASSWORD, USER, RecordingHandler, running_smtp_server
from risk_assets_tests.processes import wait_for

HOOK_PATH = "/services/T0/B0/HOOKSECRET"
KEY = str(partition_key(WEEK, "alpha"))


def alpha(email_config: dict | None = None, slack: dict | None = None) -> TenantsFile:
    return TenantsFile.model_validate({
        "first_week": "2026-10-05",
        "tenants": [{"key": "alpha", "org_id": 601, "name": "알파중학교",
                     "delivery": {"email": email_config or {"to": ["head@alpha.example.kr"]}, "slack": slack or {}}}],
    })


def rows(risk_url: str) -> list[tuple]:
    """(channel, generation, status, destination, attempts, runs) of every ledger row."""
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT channel, generation, status, destination, attempts, runs FROM risk.deliveries"
                    " ORDER BY channel, generation")
        return cur.fetchall()


def recipients(risk_url: str) -> list[tuple]:
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT address, status FROM risk.delivery_recipients ORDER BY address")
        return cur.fetchall()


def deliver(tenants: TenantsFile, instance, tags: dict | None = None):
    return definitions(tenants).resolve_job_def(DELIVERY_JOB).execute_in_process(
        run_config=run_config([KEY]), instance=instance, tags=tags or {}, raise_on_error=False)


def start_child(tenants: TenantsFile, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "risk_assets_tests.faults.job_child",
                             tenants.model_dump_json(), "deliver", *options, KEY], env=dict(os.environ))


def kill_when(child: subprocess.Popen, condition, timeout: float = 120) -> None:
    """SIGKILL the delivery process once `condition()` holds (the server has what it sent)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert child.poll() is None, "the delivery process ended before the fault"
        assert time.monotonic() < deadline, "the delivery process never reached the fault"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


@pytest.fixture
def smtp_env(monkeypatch, smtp_ca_file):
    def configure(port: int) -> None:
        for name, value in {"SMTP_HOST": HOST, "SMTP_PORT": str(port), "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD,
                            "SMTP_FROM": "Risk reports <reports@school.example>", "SMTP_CA_FILE": smtp_ca_file}.items():
            monkeypatch.setenv(name, value)
    return configure


def test_a_crash_after_the_server_accepted_the_message_resends_the_same_message(env, risk_url, smtp_ca, smtp_env):
    handler = RecordingHandler(stall_first_data=60)
    with running_smtp_server(smtp_ca, handler) as server, DagsterInstance.ephemeral() as instance:
        smtp_env(server.port)
        tenants = alpha()
        materialize_partition(definitions(tenants), instance, "alpha")
        kill_when(start_child(tenants), lambda: len(handler.received) == 1)
        assert rows(risk_url)[0][:3] == ("email", 0, "sending")

        assert deliver(tenants, instance).success

    first, second = handler.received
    assert second.content == first.content  # the same message: same Message-ID, Date and MIME boundaries
    message = email.message_from_bytes(second.content, policy=policy.default)
    summary = ReportDelivery.load(env / "reports" / WEEK.isoformat() / "alpha_summary.json",
                                  env / "reports" / WEEK.isoformat() / "alpha_report.html")
    assert message["Message-ID"] == f"<risk.2026-11-16.alpha.{summary.checksum[:16]}.g0@school.example>"
    assert rows(risk_url) == [("email", 0, "sent", "smtp", 2, 2), ("slack", 0, "sent", "outbox", 1, 1)]


def test_a_resend_killed_mid_send_and_the_next_run_are_both_counted(env, risk_url, smtp_ca, smtp_env):
    handler = RecordingHandler()
    with running_smtp_server(smtp_ca, handler) as server, DagsterInstance.ephemeral() as instance:
        smtp_env(server.port)
        tenants = alpha()
        materialize_partition(definitions(tenants), instance, "alpha")
        assert deliver(tenants, instance).success
        summary = ReportDelivery.load(env / "reports" / WEEK.isoformat() / "alpha_summary.json",
                                      env / "reports" / WEEK.isoformat() / "alpha_report.html")
        with psycopg2.connect(risk_url) as conn:
            Ledger(conn).force(WEEK, "alpha", "email", summary.checksum, "operator@host")
        held = handler.gate = threading.Event()  # the server keeps the re-send's message and does not answer
        kill_when(start_child(tenants, "--only", "email"), lambda: len(handler.received) == 2)
        with psycopg2.connect(risk_url) as conn:  # the operator asks again: it joins the interrupted re-send
            assert Ledger(conn).force(WEEK, "alpha", "email", summary.checksum, "operator@host")[1] is False
        assert deliver(tenants, instance, {ONLY_CHANNEL_TAG: "email"}).success
        held.set()
    # The re-send's copy went out twice (the killed run's and the next run's: the same bytes), over three
    # connections in all with the first delivery's; the ledger counts both runs and every connection.
    assert len(handler.received) == 3 and handler.received[1].content == handler.received[2].content
    assert handler.connections == 3
    assert rows(risk_url) == [("email", 0, "sent", "smtp", 1, 1), ("email", 1, "sent", "smtp", 2, 2),
                              ("slack", 0, "sent", "outbox", 1, 1)]


def test_a_crash_during_a_webhook_post_is_not_posted_again_blindly(env, risk_url, slack_server: SlackStandIn,
                                                                  monkeypatch):
    slack_server.script(HOOK_PATH, Reply(delay=60), Reply())
    monkeypatch.setenv("HOOK", slack_server.url + HOOK_PATH)
    tenants = alpha(slack={"webhook_env": "HOOK"})
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        kill_when(start_child(tenants), lambda: len(slack_server.requests_to(HOOK_PATH)) == 1)

        again = deliver(tenants, instance)
        assert not again.success
        assert len(slack_server.requests_to(HOOK_PATH)) == 1
        assert rows(risk_url) == [("email", 0, "sent", "outbox", 1, 1), ("slack", 0, "unknown", "webhook", 1, 2)]
        with psycopg2.connect(risk_url) as conn:
            listing = Ledger(conn).listing(WEEK)
        [error] = listing.loc[listing["channel"] == "slack", "error"]
        assert "interrupted while posting to the Slack webhook" in error
        assert "risk-report resend --week 2026-11-16 --tenant alpha --channel slack" in error
        assert "HOOKSECRET" not in error

        # The operator looked: the message is not there, so they re-send Slack only.
        with psycopg2.connect(risk_url) as conn:
            summary = ReportDelivery.load(env / "reports" / WEEK.isoformat() / "alpha_summary.json",
                                          env / "reports" / WEEK.isoformat() / "alpha_report.html")
            Ledger(conn).force(WEEK, "alpha", "slack", summary.checksum, "operator@host")
        assert deliver(tenants, instance, {ONLY_CHANNEL_TAG: "slack"}).success
    assert len(slack_server.requests_to(HOOK_PATH)) == 2
    assert rows(risk_url) == [("email", 0, "sent", "outbox", 1, 1), ("slack", 0, "superseded", "webhook", 1, 2),
                              ("slack", 1, "sent", "webhook", 1, 1)]


UPLOAD_URL = "/upload/F1"


def with_bot(stand_in: SlackStandIn, monkeypatch) -> TenantsFile:
    """Tenant alpha posting to the stand-in's webhook, with a bot token for the upload and the look-ups."""
    monkeypatch.setenv("HOOK", stand_in.url + HOOK_PATH)
    monkeypatch.setenv("BOT", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", stand_in.url + "/api/")
    return alpha(slack={"webhook_env": "HOOK", "bot_token_env": "BOT", "channel": "C0123"})


def script_bot(stand_in: SlackStandIn, history: list[dict]) -> None:
    stand_in.script("/api/conversations.history", Reply(body={"ok": True, "messages": history}))
    stand_in.script("/api/files.getUploadURLExternal",
                    Reply(body={"ok": True, "upload_url": stand_in.url + UPLOAD_URL, "file_id": "F1"}))
    stand_in.script(UPLOAD_URL, Reply())
    stand_in.script("/api/files.completeUploadExternal", Reply(body={"ok": True, "files": [{"id": "F1"}]}))


def test_with_a_bot_token_an_interrupted_post_is_looked_up(env, risk_url, slack_server: SlackStandIn, monkeypatch):
    slack_server.script(HOOK_PATH, Reply(delay=60))
    tenants = with_bot(slack_server, monkeypatch)
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        kill_when(start_child(tenants), lambda: len(slack_server.requests_to(HOOK_PATH)) == 1)
        # The channel's history holds the message the killed run posted.
        [posted] = slack_server.requests_to(HOOK_PATH)
        script_bot(slack_server, [{"type": "message", "ts": "1.0", **posted.json()}])

        assert deliver(tenants, instance).success
    assert len(slack_server.requests_to(HOOK_PATH)) == 1  # found, not posted again
    [history] = slack_server.requests_to("/api/conversations.history")
    assert history.form()["channel"] == "C0123"
    assert len(slack_server.requests_to("/api/files.completeUploadExternal")) == 1
    summary = ReportDelivery.load(env / "reports" / WEEK.isoformat() / "alpha_summary.json",
                                  env / "reports" / WEEK.isoformat() / "alpha_report.html")
    upload = slack_server.requests_to("/api/files.completeUploadExternal")[0]
    assert report_id(summary) in upload.form()["initial_comment"]
    assert rows(risk_url)[1] == ("slack", 0, "sent", "webhook+upload", 2, 2)


def parts(risk_url: str) -> list[tuple]:
    """(generation, part, status, provider_id) of every Slack part in the ledger."""
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT d.generation, p.part, p.status, p.provider_id FROM risk.delivery_parts p"
                    " JOIN risk.deliveries d ON d.id = p.delivery_id ORDER BY d.generation, p.part DESC")
        return cur.fetchall()


def test_a_failed_upload_is_retried_without_posting_the_message_again(env, risk_url, slack_server: SlackStandIn,
                                                                       monkeypatch):
    slack_server.script(HOOK_PATH, Reply())
    tenants = with_bot(slack_server, monkeypatch)
    script_bot(slack_server, [])
    slack_server.script("/api/files.getUploadURLExternal", Reply(body={"ok": False, "error": "internal_error"}),
                        Reply(body={"ok": True, "upload_url": slack_server.url + UPLOAD_URL, "file_id": "F1"}))
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        assert not deliver(tenants, instance).success
        assert rows(risk_url)[1] == ("slack", 0, "failed", "", 2, 1)
        assert parts(risk_url) == [(0, "message", "sent", None), (0, "file", "failed", None)]
        with psycopg2.connect(risk_url) as conn:
            listing = Ledger(conn).listing(WEEK)
        assert listing.loc[listing["channel"] == "slack", "parts"].tolist() == ["message sent, file failed"]

        assert deliver(tenants, instance).success
    assert len(slack_server.requests_to(HOOK_PATH)) == 1  # the message once; only the upload was tried again
    assert len(slack_server.requests_to("/api/files.getUploadURLExternal")) == 2
    assert len(slack_server.requests_to("/api/files.completeUploadExternal")) == 1
    assert slack_server.requests_to("/api/conversations.history") == []  # nothing unknown: nothing to look up
    assert rows(risk_url)[1] == ("slack", 0, "sent", "webhook+upload", 3, 2)
    assert parts(risk_url) == [(0, "message", "sent", None), (0, "file", "sent", "F1")]


def test_an_upload_without_an_answer_is_looked_up_and_not_uploaded_again(env, risk_url, slack_server: SlackStandIn,
                                                                         monkeypatch):
    slack_server.script(HOOK_PATH, Reply())
    monkeypatch.setenv("SLACK_TIMEOUT", "1")
    tenants = with_bot(slack_server, monkeypatch)
    script_bot(slack_server, [])
    slack_server.script("/api/files.completeUploadExternal", Reply(body={"ok": True, "files": [{"id": "F1"}]}, delay=3))
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        assert not deliver(tenants, instance).success
        assert parts(risk_url) == [(0, "message", "sent", None), (0, "file", "unknown", None)]
        # Slack shared the file after all: the channel's history shows it with the report id.
        [shared] = slack_server.requests_to("/api/files.completeUploadExternal")
        script_bot(slack_server, [{"type": "message", "ts": "2.0", "text": shared.form()["initial_comment"],
                                   "files": [{"id": "F1"}]}])
        assert deliver(tenants, instance).success
    assert len(slack_server.requests_to(HOOK_PATH)) == 1
    assert len(slack_server.requests_to("/api/files.completeUploadExternal")) == 1  # found, not uploaded again
    assert len(slack_server.requests_to("/api/conversations.history")) == 1
    assert rows(risk_url)[1] == ("slack", 0, "sent", "webhook+upload", 2, 2)
    assert parts(risk_url) == [(0, "message", "sent", None), (0, "file", "sent", "F1")]


def test_a_webhook_that_does_not_answer_after_the_post_is_unknown_and_not_posted_again(
        env, risk_url, slack_server: SlackStandIn, monkeypatch):
    slack_server.script(HOOK_PATH, Reply(delay=4), Reply())
    monkeypatch.setenv("HOOK", slack_server.url + HOOK_PATH)
    monkeypatch.setenv("SLACK_TIMEOUT", "1")
    tenants = alpha(slack={"webhook_env": "HOOK"})
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        first = deliver(tenants, instance)
        again = deliver(tenants, instance)
    assert not first.success and not again.success
    assert len(slack_server.requests_to(HOOK_PATH)) == 1  # not posted again, and not retried inside the client
    assert rows(risk_url)[1] == ("slack", 0, "unknown", "webhook", 1, 2)
    assert parts(risk_url) == [(0, "message", "unknown", None)]
    with psycopg2.connect(risk_url) as conn:
        listing = Ledger(conn).listing(WEEK)
    [error] = listing.loc[listing["channel"] == "slack", "error"]
    assert error == ("the Slack webhook (env HOOK) received the message but gave no answer (waiting up to 1 s, "
                     "SLACK_TIMEOUT: TimeoutError: timed out); it may be in the channel; a webhook cannot tell whether "
                     "the message arrived, so it is not posted again blindly: look in the channel, and if the message "
                     "is not there run `risk-report resend --week 2026-11-16 --tenant alpha --channel slack`")


def test_a_webhook_that_refuses_the_connection_fails_and_is_retried(env, risk_url, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on: the post never leaves this machine
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HOOK", f"http://127.0.0.1:{probe.getsockname()[1]}{HOOK_PATH}")
    tenants = alpha(slack={"webhook_env": "HOOK"})
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        assert not deliver(tenants, instance).success
        assert parts(risk_url) == [(0, "message", "failed", None)]
        assert rows(risk_url)[1][:3] == ("slack", 0, "failed")


def test_attempts_count_the_clients_own_retries(env, risk_url, slack_server: SlackStandIn, monkeypatch):
    slack_server.script(HOOK_PATH, Reply(status=429, body="rate_limited", headers={"Retry-After": "1"}), Reply())
    monkeypatch.setenv("HOOK", slack_server.url + HOOK_PATH)
    tenants = alpha(slack={"webhook_env": "HOOK"})
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        assert deliver(tenants, instance).success
    assert len(slack_server.requests_to(HOOK_PATH)) == 2
    assert rows(risk_url)[1] == ("slack", 0, "sent", "webhook", 2, 1)  # two tries on the wire in one run


def test_one_refused_recipient_is_retried_alone(env, risk_url, smtp_ca, smtp_env):
    config = {"to": ["head@alpha.example.kr"], "cc": ["vice@alpha.example.kr"], "bcc": ["audit@alpha.example.kr"]}
    tenants = alpha(config)
    handler = RecordingHandler(refuse=["audit@alpha.example.kr"])
    with running_smtp_server(smtp_ca, handler) as server, DagsterInstance.ephemeral() as instance:
        smtp_env(server.port)
        materialize_partition(definitions(tenants), instance, "alpha")
        first = deliver(tenants, instance)
        assert not first.success
        assert recipients(risk_url) == [("audit@alpha.example.kr", "refused"), ("head@alpha.example.kr", "sent"),
                                        ("vice@alpha.example.kr", "sent")]
        with psycopg2.connect(risk_url) as conn:
            listing = Ledger(conn).listing(WEEK)
        assert listing.loc[listing["channel"] == "email", "recipients"].tolist() == ["2/3"]

        handler._refuse.clear()  # the mailbox exists now
        assert deliver(tenants, instance).success
    assert [message.rcpt_tos for message in handler.received] == [
        ["head@alpha.example.kr", "vice@alpha.example.kr"], ["audit@alpha.example.kr"]]
    assert handler.received[0].content == handler.received[1].content
    assert rows(risk_url)[0] == ("email", 0, "sent", "smtp", 2, 2)
    assert {status for _, status in recipients(risk_url)} == {"sent"}


def lock_waiters(risk_url: str) -> int:
    """Sessions of the pipeline database waiting for an advisory lock (a delivery waiting for another's turn)."""
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
        return cur.fetchone()[0]


def test_resend_of_one_channel_and_two_resends_at_once(env, risk_url, smtp_ca, smtp_env, slack_server: SlackStandIn,
                                                       monkeypatch):
    slack_server.script(HOOK_PATH, Reply())
    monkeypatch.setenv("HOOK", slack_server.url + HOOK_PATH)
    tenants = alpha(slack={"webhook_env": "HOOK"})
    handler = RecordingHandler()
    with running_smtp_server(smtp_ca, handler) as server, DagsterInstance.ephemeral() as instance:
        smtp_env(server.port)
        materialize_partition(definitions(tenants), instance, "alpha")
        assert deliver(tenants, instance).success
        summary = ReportDelivery.load(env / "reports" / WEEK.isoformat() / "alpha_summary.json",
                                      env / "reports" / WEEK.isoformat() / "alpha_report.html")
        with psycopg2.connect(risk_url) as conn:
            assert Ledger(conn).force(WEEK, "alpha", "email", summary.checksum, "a@host")[1] is True
            assert Ledger(conn).force(WEEK, "alpha", "email", summary.checksum, "b@host")[1] is False  # joins it
        # Two delivery runs at once, made to overlap: the server holds the first re-send's DATA (its message is
        # stored) until the other run waits for the tenant-week's lock, or has sent a copy of its own.
        gate = handler.gate = threading.Event()
        runs = [start_child(tenants, "--only", "email") for _ in range(2)]
        wait_for(lambda: (len(handler.received) == 2 and lock_waiters(risk_url) == 1) or len(handler.received) > 2,
                 120, "one re-send on the wire and the other waiting for its turn", interval=0.05)
        gate.set()
        assert [run.wait(timeout=120) for run in runs] == [0, 0]
    assert len(slack_server.requests_to(HOOK_PATH)) == 1  # Slack was not touched by the e-mail re-send
    # On the wire: the first delivery and one re-send, nothing more.
    assert [message.rcpt_tos for message in handler.received] == [["head@alpha.example.kr"]] * 2
    assert rows(risk_url) == [("email", 0, "sent", "smtp", 1, 1), ("email", 1, "sent", "smtp", 1, 1),
                              ("slack", 0, "sent", "webhook", 1, 1)]


def test_a_long_retry_after_fails_the_channel_instead_of_waiting(env, risk_url, slack_server: SlackStandIn,
                                                                   monkeypatch):
    slack_server.script(HOOK_PATH, Reply(status=429, body="rate_limited", headers={"Retry-After": "20"}))
    monkeypatch.setenv("HOOK", slack_server.url + HOOK_PATH)
    tenants = alpha(slack={"webhook_env": "HOOK"})
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        result = deliver(tenants, instance)
    assert not result.success
    assert len(slack_server.requests_to(HOOK_PATH)) == 1  # no wait, no retry
    with psycopg2.connect(risk_url) as conn:
        listing = Ledger(conn).listing(WEEK)
    [error] = listing.loc[listing["channel"] == "slack", "error"]
    assert error == ("the Slack webhook (env HOOK) is rate limited (HTTP 429) and asks to wait 20 s, longer than "
                     "the 10 s a delivery run waits; the next delivery run tries again")


def test_a_tenant_without_recipients_fails_its_own_e_mail_and_the_code_location_still_loads(env, risk_url, smtp_ca,
                                                                                          smtp_env):
    """`to: []` while SMTP_HOST is set: `risk-report validate` and the CLI refuse before anything starts (the same
    problem text); the definitions load all the same, and the tenant's delivery run fails its e-mail alone."""
    handler = RecordingHandler()
    with running_smtp_server(smtp_ca, handler) as server, DagsterInstance.ephemeral() as instance:
        smtp_env(server.port)
        nobody = alpha({"to": []})
        problem = ("tenant 'alpha' has no e-mail recipient while SMTP_HOST is set: add delivery.email.to (or cc, bcc) "
                   "in tenants.yaml, or set delivery.email.enabled: false")
        assert delivery_problems(nobody.tenants) == [problem]
        materialize_partition(definitions(nobody), instance, "alpha")
        delivered = deliver(nobody, instance)
    failure = delivered.failure_data_for_node("deliver_reports")
    assert not delivered.success and failure is not None and problem in str(failure.user_failure_data.description)
    assert handler.received == []
    assert rows(risk_url) == [("email", 0, "failed", "", 0, 1), ("slack", 0, "sent", "outbox", 1, 1)]


def test_a_tenant_with_e_mail_off_is_skipped(env, risk_url, smtp_ca, smtp_env):
    handler = RecordingHandler()
    with running_smtp_server(smtp_ca, handler) as server, DagsterInstance.ephemeral() as instance:
        smtp_env(server.port)
        off = alpha({"enabled": False})
        materialize_partition(definitions(off), instance, "alpha")
        assert deliver(off, instance).success
    assert handler.received == []
    assert rows(risk_url) == [("email", 0, "skipped", "none", 0, 1), ("slack", 0, "sent", "outbox", 1, 1)]


def test_attempts_count_tries_on_the_wire(env, risk_url, smtp_ca, smtp_env):
    handler = RecordingHandler(fail_first="MAIL")
    tenants = alpha()
    with running_smtp_server(smtp_ca, handler) as server, DagsterInstance.ephemeral() as instance:
        smtp_env(server.port)
        materialize_partition(definitions(tenants), instance, "alpha")
        assert deliver(tenants, instance).success
    assert rows(risk_url)[0] == ("email", 0, "sent", "smtp", 2, 1)  # one run, two SMTP connections


def test_reports_and_subjects_use_the_tenants_yaml_name(env):
    """tenants.yaml `name` is the display name; the source's organizations.name is kept for tracing."""
    tenants = alpha()
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(definitions(tenants), instance, "alpha")
        assert deliver(tenants, instance).success
    summary = ReportDelivery.load(env / "reports" / WEEK.isoformat() / "alpha_summary.json",
                                  env / "reports" / WEEK.isoformat() / "alpha_report.html")
    assert (summary.org_name, summary.summary["source_org_name"]) == ("알파중학교", "org 601")
    message = email.message_from_bytes((env / "outbox" / WEEK.isoformat() / "alpha" / "email.eml").read_bytes(),
                                       policy=policy.default)
    assert message["Subject"].startswith("[주간 위험 보고서] 알파중학교 2026-11-16 – 2026-11-22 · 위험 ")
    assert "org 601" not in summary.report_bytes.decode("utf-8")
