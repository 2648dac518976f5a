"""Delivery end to end with a real Dagster instance: the sensor, the ledger, the outbox, and no secret anywhere."""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
from email import policy

import psycopg2
from dagster import AssetMaterialization, AssetSelection, DagsterInstance, materialize

from risk_assets.config import TenantsFile
from risk_assets.partitions import partition_key
from risk_assets.window import ReportWindow
from risk_assets_tests.delivery.conftest import WEEK
from risk_assets_tests.delivery.reports import (
    definitions,
    deliver,
    deliver_alpha,
    ledger,
    materialize_partition,
    reports_of,
    run_requests,
    tenants,
)
from risk_assets_tests.delivery.smtp_server import PASSWORD, USER
from risk_assets_tests.source_rows import SourceRows

SECRET_WEBHOOK = "http://127.0.0.1:9/services/T000/B000/SUPERSECRETHOOK"
WRONG_PASSWORD = "hunter2-not-the-password"


def rerender_report(defs, instance, tenant: str):
    """Only tenant_report again: same snapshot, same bytes."""
    return materialize(list(defs.assets), selection=AssetSelection.assets("tenant_report"),
                       partition_key=partition_key(WEEK, tenant), instance=instance, resources=defs.resources)


def test_sensor_delivers_new_reports_in_one_run_and_none_twice(env, risk_url, source_conn):
    defs = definitions(tenants())
    with DagsterInstance.ephemeral() as instance:
        requests, cursor, skip = run_requests(defs, instance, None)
        assert requests == [] and skip.startswith("first evaluation: starting after the newest existing report")
        for tenant in ("alpha", "beta"):
            materialize_partition(defs, instance, tenant)
        [request], cursor, _ = run_requests(defs, instance, cursor)
        assert reports_of(request) == ["alpha|2026-11-16", "beta|2026-11-16"]
        assert (request.tags["risk/tenant"], request.tags["risk/week"]) == ("alpha,beta", "2026-11-16")
        again, cursor_again, skip = run_requests(defs, instance, cursor)
        assert again == [] and skip == "no new tenant_report materializations"

        deliver(defs, instance, request)
        assert ledger(risk_url) == [
            ("alpha", "email", 0, "sent", "outbox", 1), ("alpha", "slack", 0, "sent", "outbox", 1),
            ("beta", "email", 0, "sent", "outbox", 1), ("beta", "slack", 0, "sent", "outbox", 1),
        ]
        outbox = env / "outbox" / "2026-11-16"
        message = email.message_from_bytes((outbox / "alpha" / "email.eml").read_bytes(), policy=policy.default)
        assert message["To"] == "head@alpha.example.kr"
        assert "알파" in message["Subject"] or "org 601" in message["Subject"]
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "alpha_report.html"
        assert (attachment.get_content().encode("utf-8")
                == (env / "reports" / "2026-11-16" / "alpha_report.html").read_bytes())
        beta = email.message_from_bytes((outbox / "beta" / "email.eml").read_bytes(), policy=policy.default)
        assert beta["Bcc"] is None
        payload = json.loads((outbox / "alpha" / "slack.json").read_text(encoding="utf-8"))
        assert payload["blocks"]

        # Same snapshot, report rendered again: identical bytes → one request, and its run sends nothing.
        rerender_report(defs, instance, "alpha")
        [request], cursor, _ = run_requests(defs, instance, cursor)
        assert reports_of(request) == ["alpha|2026-11-16"]
        deliver(defs, instance, request)
        assert len(ledger(risk_url)) == 4

        # New data in the source → changed report → one request, sent again.
        rows = SourceRows(source_conn)
        newcomer = rows.student(601, "전학생")
        cutoff = ReportWindow(WEEK, "Asia/Seoul").cutoff
        rows.theta(newcomer, cutoff - dt.timedelta(days=9), 1.0, 0.1)
        rows.theta(newcomer, cutoff - dt.timedelta(days=1), 0.0, 0.1)
        materialize_partition(defs, instance, "alpha")
        [request], cursor, _ = run_requests(defs, instance, cursor)
        assert reports_of(request) == ["alpha|2026-11-16"]
        deliver(defs, instance, request)
        rows = ledger(risk_url)
        assert len(rows) == 6 and [r[3] for r in rows if r[0] == "alpha"] == ["sent"] * 4


def test_failed_channel_is_recorded_and_secrets_never_leak(env, risk_url, monkeypatch, caplog, capfd, smtp_server,
                                                           smtp_ca_file):
    """The SMTP password is used for real (a server with STARTTLS and AUTH: first a wrong one, then the right one)
    and appears nowhere: not in events, metadata, logs, the ledger, the outbox, error texts or the e-mail."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SLACK_WEBHOOK_ALPHA", SECRET_WEBHOOK)  # nothing listens on port 9
    for name, value in {"SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port), "SMTP_USER": USER,
                        "SMTP_PASSWORD": WRONG_PASSWORD, "SMTP_FROM": "Risk reports <reports@school.example>",
                        "SMTP_CA_FILE": smtp_ca_file}.items():
        monkeypatch.setenv(name, value)
    defs = definitions(tenants("SLACK_WEBHOOK_ALPHA"))
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(defs, instance, "alpha")
        refused = deliver_alpha(defs, instance)
        with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT error FROM risk.deliveries WHERE channel = 'email'")
            [(login_error,)] = cur.fetchall()
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        accepted = deliver_alpha(defs, instance)
    assert not refused.success and not accepted.success  # Slack fails both times
    assert login_error.startswith(f"SMTP login failed for user '{USER}' at 127.0.0.1:{smtp_server.port}")
    assert smtp_server.authenticator.mechanisms == ["PLAIN", "PLAIN"]  # both passwords went to the server
    [message] = smtp_server.handler.received
    rows = ledger(risk_url)
    assert [(r[1], r[3]) for r in rows] == [("email", "sent"), ("slack", "failed")]
    everything = [str(e) for result in (refused, accepted) for e in result.all_events]
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        for table in ("deliveries", "delivery_recipients", "delivery_parts"):
            cur.execute(f"SELECT row_to_json(t)::text FROM risk.{table} t")
            everything += [r[0] for r in cur.fetchall()]
    for path in (env / "outbox").rglob("*"):
        if path.is_file():
            everything.append(path.read_text(encoding="utf-8", errors="replace"))
    everything += [caplog.text, *capfd.readouterr(), login_error, message.content.decode("ascii", "replace")]
    for secret in ("SUPERSECRETHOOK", SECRET_WEBHOOK, PASSWORD, WRONG_PASSWORD):
        assert not [text for text in everything if secret in text], secret
    [failure] = [e for e in accepted.all_events if e.is_step_failure]
    assert "SLACK_WEBHOOK_ALPHA" in failure.step_failure_data.user_failure_data.description


def test_first_tick_skips_history_and_a_hundred_new_reports_take_at_most_two_runs(env, risk_url):
    """9 reports before the sensor starts are history; 100 after it are each delivered exactly once."""
    many = TenantsFile.model_validate({"first_week": dt.date(2026, 10, 5), "tenants": [
        {"key": f"school-{i:03d}", "org_id": 7000 + i, "name": f"School {i}", "locale": "en"} for i in range(109)]})
    defs = definitions(many)
    real = definitions(tenants())
    reports = env / "reports" / WEEK.isoformat()
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(real, instance, "beta")  # one real report, copied for every school below
        summary = json.loads((reports / "beta_summary.json").read_text(encoding="utf-8"))
        for tenant in many.tenants:
            (reports / f"{tenant.key}_summary.json").write_text(
                json.dumps({**summary, "tenant": tenant.key, "org_name": tenant.name}), encoding="utf-8")
            (reports / f"{tenant.key}_report.html").write_bytes(
                (reports / "beta_report.html").read_bytes().replace(b"beta", tenant.key.encode()))
        history, new = many.tenants[:9], many.tenants[9:]
        for tenant in history:
            instance.report_runless_asset_event(AssetMaterialization("tenant_report", partition=f"{tenant.key}|{WEEK}"))
        first, cursor, skip = run_requests(defs, instance, None)
        assert first == [] and skip.startswith("first evaluation")
        for tenant in new:
            instance.report_runless_asset_event(AssetMaterialization("tenant_report", partition=f"{tenant.key}|{WEEK}"))
        requests, cursor, _ = run_requests(defs, instance, cursor)
        assert 1 <= len(requests) <= 2
        assert sorted(key for r in requests for key in reports_of(r)) == sorted(f"{t.key}|{WEEK}" for t in new)
        for request in requests:
            assert deliver(defs, instance, request).success
        rows = ledger(risk_url)
        assert len(rows) == 200  # 100 reports × e-mail and Slack, once each
        assert {r[0] for r in rows} == {t.key for t in new}
        assert all(status == "sent" and attempts == 1 for _t, _c, _g, status, _d, attempts in rows)
        assert run_requests(defs, instance, cursor)[0] == []
