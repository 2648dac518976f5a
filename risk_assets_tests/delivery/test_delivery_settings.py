"""Delivery settings checked before anything runs: production sends only through configured channels (the outbox is
for RISK_DEPLOYMENT=local), and a Slack or SMTP value that cannot work is one clear error from `risk-report validate`
and at run start (exit 2), while the definitions load all the same (the UI stays browsable)."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import pytest
import yaml
from dagster import DagsterInstance

from risk_assets.cli.main import EXIT_USER_ERROR, main
from risk_assets.config import TenantsFile
from risk_assets.delivery.preflight import delivery_problems
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.delivery.reports import definitions, deliver_alpha, ledger, materialize_partition
from risk_assets_tests.delivery.smtp_server import PASSWORD, USER

NO_OUTBOX = ("tenant 'alpha' has e-mail on (delivery.email in tenants.yaml) but SMTP_HOST is not set, and "
             "RISK_DEPLOYMENT=production writes no outbox (it is for RISK_DEPLOYMENT=local): export SMTP_HOST and "
             "SMTP_FROM (with SMTP_PORT, SMTP_USER, SMTP_PASSWORD as the server needs), or set "
             "delivery.email.enabled: false for this tenant")
TENANTS_YAML = """first_week: 2026-10-05
tenants:
  - key: alpha
    org_id: 601
    name: Alpha
    delivery:
      email: {to: [head@alpha.example.kr]}
"""


def alpha(delivery: dict) -> TenantsFile:
    return TenantsFile.model_validate({"first_week": "2026-10-05", "tenants": [
        {"key": "alpha", "org_id": 601, "name": "Alpha", "delivery": delivery}]})


def validate_error(tenants: TenantsFile, folder, monkeypatch, capsys) -> str:
    """What `risk-report validate` says about `tenants` (exit 2), after checking that their definitions load."""
    assert definitions(tenants).resolve_job_def("delivery") is not None
    config = folder / "config"
    config.mkdir()
    (config / "tenants.yaml").write_text(yaml.safe_dump(tenants.model_dump(mode="json", exclude_defaults=True)),
                                         encoding="utf-8")
    (config / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")
    monkeypatch.setenv("RISK_CONFIG_DIR", str(config))
    capsys.readouterr()
    assert main(["validate"]) == EXIT_USER_ERROR
    return capsys.readouterr().err.removeprefix("risk-report: error: ").rstrip("\n")


def test_production_without_smtp_host_is_a_configuration_error(env, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RISK_DEPLOYMENT", "production")
    tenants = alpha({"email": {"to": ["head@alpha.example.kr"]}})
    assert delivery_problems(tenants.tenants) == [NO_OUTBOX]
    assert validate_error(tenants, tmp_path, monkeypatch, capsys) == f"delivery settings:\n  - {NO_OUTBOX}"
    assert delivery_problems(alpha({"email": {"enabled": False}}).tenants) == []
    monkeypatch.setenv("RISK_DEPLOYMENT", "local")
    assert delivery_problems(tenants.tenants) == []  # local: the outbox


def test_risk_report_run_in_production_without_smtp_host_exits_2_before_starting(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "tenants.yaml").write_text(TENANTS_YAML, encoding="utf-8")
    (config / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith("SMTP_")}
    env.update({"RISK_DEPLOYMENT": "production", "RISK_CONFIG_DIR": str(config),
                "SOURCE_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/source",
                "RISK_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/risk",
                "RISK_DATA_DIR": str(tmp_path / "data"), "RISK_OUTBOX_DIR": str(tmp_path / "outbox")})
    result = subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "run", "--week", "2026-11-16"], env=env,
                            capture_output=True, text=True, timeout=120, cwd=PROJECT_DIR)
    assert result.returncode == 2, result.stdout + result.stderr
    assert NO_OUTBOX in result.stderr and "Traceback" not in result.stderr
    assert "starting Dagster" not in result.stdout
    assert not (tmp_path / "outbox").exists()


def test_production_sends_by_smtp_and_skips_slack_without_a_webhook(env, risk_url, monkeypatch, smtp_server,
                                                                      smtp_ca_file):
    for name, value in {"RISK_DEPLOYMENT": "production", "SMTP_HOST": smtp_server.host,
                        "SMTP_PORT": str(smtp_server.port), "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD,
                        "SMTP_FROM": "reports@school.example", "SMTP_CA_FILE": smtp_ca_file}.items():
        monkeypatch.setenv(name, value)
    defs = definitions(alpha({"email": {"to": ["head@alpha.example.kr"]}}))
    with DagsterInstance.ephemeral() as instance:
        materialize_partition(defs, instance, "alpha")
        assert deliver_alpha(defs, instance).success
    assert [message.rcpt_tos for message in smtp_server.handler.received] == [["head@alpha.example.kr"]]
    assert ledger(risk_url) == [("alpha", "email", 0, "sent", "smtp", 1), ("alpha", "slack", 0, "skipped", "none", 0)]
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT error FROM risk.deliveries WHERE channel = 'slack'")
        assert cur.fetchone()[0] == ("the tenant has no Slack webhook (delivery.slack.webhook_env in tenants.yaml), "
                                     "and RISK_DEPLOYMENT=production writes no outbox")
    assert not (env / "outbox").exists()


@pytest.mark.parametrize(("slack", "variables", "problem"), [
    ({"webhook_env": "HOOK"}, {"HOOK": "hooks.slack.com/services/T/B/HOOKSECRET"},
     "tenant 'alpha': the Slack webhook (env HOOK) does not hold an https:// URL: set HOOK to the incoming-webhook URL "
     "Slack shows (https://hooks.slack.com/services/…); http:// is accepted only for this machine (127.0.0.1, "
     "localhost)"),
    ({"webhook_env": "HOOK", "channel": "C0123"}, {"HOOK": "https://hooks.slack.com/services/T/B/HOOKSECRET"},
     "tenant 'alpha': delivery.slack.channel (C0123) is set in tenants.yaml but delivery.slack.bot_token_env is not; "
     "the channel is where the bot uploads the report file, so it needs a bot token: add `bot_token_env: <variable "
     "holding the xoxb-… token>`, or remove channel (the webhook posts into the channel it was created for)"),
    ({}, {"SLACK_TIMEOUT": "²"},
     "SLACK_TIMEOUT='²' is not a number of seconds: write a whole number 1-300, ASCII digits, e.g. SLACK_TIMEOUT=30, "
     "or unset it"),
    ({}, {"SMTP_HOST": "smtp://mail.school.example", "SMTP_FROM": "reports@school.example"},
     "SMTP_HOST='smtp://mail.school.example' is not a host name: write the name or address alone, e.g. "
     "SMTP_HOST=smtp.school.example, with the port in SMTP_PORT and the encryption in SMTP_TLS (starttls, ssl or "
     "none), not in a URL"),
    ({}, {"SMTP_HOST": "mail.school.example", "SMTP_PORT": "²", "SMTP_FROM": "reports@school.example"},
     "SMTP_PORT='²' is not a port number: write a port number 1-65535, ASCII digits, e.g. SMTP_PORT=587 for "
     "SMTP_TLS=starttls"),
])
def test_settings_that_cannot_work_are_reported_by_validate_while_the_definitions_load(env, monkeypatch, capsys,
                                                                                      tmp_path, slack, variables,
                                                                                      problem):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    tenants = alpha({"email": {"to": ["head@alpha.example.kr"]}, "slack": slack})
    assert delivery_problems(tenants.tenants) == [problem]
    message = validate_error(tenants, tmp_path, monkeypatch, capsys)
    assert message == f"delivery settings:\n  - {problem}" and "HOOKSECRET" not in message
