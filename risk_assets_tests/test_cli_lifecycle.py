"""`risk-report` starting and stopping what it needs: Ctrl-C and SIGTERM, a killed command's server taken over, the
embedded server's own commands, and mistakes in a command refused before anything starts. The commands that read a
finished demo are in test_cli.py (the two files run side by side in `make test`)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance

from risk_assets.cli.guard import running
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.cli_runner import postgres_processes_using, read_until, risk_report


def test_interrupted_demo_stops_the_server(cli_env):
    """Ctrl-C before any run: exit 130, server stopped."""
    data = Path(cli_env["RISK_DATA_DIR"])
    process = subprocess.Popen([sys.executable, "-m", "risk_assets.cli.main", "demo"], env=cli_env, cwd=PROJECT_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not postgres_processes_using(data) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert postgres_processes_using(data), "the embedded server never started"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert postgres_processes_using(data) == []


def test_sigterm_during_the_backfill_cancels_it(cli_env):
    """SIGTERM once the backfill is launched ends the command with 143 and cancels the backfill, so that the daemon
    does not run the remaining partitions later (docs/reliability.md, "Pipeline faults")."""
    data = Path(cli_env["RISK_DATA_DIR"])
    process = subprocess.Popen([sys.executable, "-m", "risk_assets.cli.main", "demo"], env=cli_env, cwd=PROJECT_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    launched = read_until(process, "partition(s), many per run")
    backfill_id = re.search(r"backfill (\S+): 3 partition\(s\)", launched).group(1)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 128 + signal.SIGTERM, launched + stdout + stderr
    assert f"cancelled backfill {backfill_id}: no further partition runs" in stdout
    assert "Traceback" not in stderr
    assert postgres_processes_using(data) == []
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        assert instance.get_backfill(backfill_id).status.value in ("CANCELED", "CANCELING")


def test_failed_run_stops_the_server_and_names_the_tenant(cli_env, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "tenants.yaml").write_text(
        "first_week: 2025-09-01\ntenants:\n  - {key: ghost-school, org_id: 4242, name: Ghost}\n", encoding="utf-8")
    (config / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")
    env = {**cli_env, "RISK_CONFIG_DIR": str(config)}
    data = Path(cli_env["RISK_DATA_DIR"])

    # A run killed with SIGKILL leaves no Dagster process, and the next command takes its server over.
    killed = subprocess.Popen([sys.executable, "-m", "risk_assets.cli.main", "run", "--week", "2026-11-16"], env=env,
                              cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    read_until(killed, "starting Dagster (webserver + daemon)")
    state = Path(env["DAGSTER_HOME"]) / "risk-report-dagster.json"
    deadline = time.monotonic() + 30
    while not state.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    guard = json.loads(state.read_text())["pid"]
    time.sleep(2)  # the guard is starting the webserver
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    deadline = time.monotonic() + 90
    while running(guard) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running(guard), "the Dagster processes outlived the command that was killed"
    assert postgres_processes_using(data) != []

    result = risk_report("run", "--week", "2026-11-16", env=env)
    assert result.returncode == 1
    assert "took over the embedded PostgreSQL server" in result.stdout and "it is stopped at the end" in result.stdout
    assert "ghost-school" in result.stdout and "FAILED" in result.stdout and "Traceback" not in result.stderr
    assert "tenant 'ghost-school' has org_id 4242, which is not in the source's organizations table" in result.stderr
    assert result.stderr.count("ghost-school 2026-11-16: ") <= 1  # the "<tenant> <week>: " prefix is not repeated
    assert postgres_processes_using(data) == []


def test_week_mistakes_are_clear_errors_without_traceback(cli_env):
    result = risk_report("run", "--week", "2026-11-18", env=cli_env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "risk-report: error: --week 2026-11-18 is a Wednesday; give the Monday that starts the week, "
        "e.g. --week 2026-11-16"
    )
    future = risk_report("run", "--week", "2099-01-05", env=cli_env)
    assert future.returncode == 2 and "has not ended yet for tenant" in future.stderr
    early = risk_report("run", "--week", "2020-01-06", env=cli_env)
    assert early.returncode == 2 and "is before the first report week" in early.stderr
    unknown = risk_report("run", "--week", "2026-11-16", "--tenant", "atlantis", env=cli_env)
    assert unknown.returncode == 2 and "unknown tenant 'atlantis'" in unknown.stderr
    backwards = risk_report("backfill", "--tenant", "nyc-bridge", "--from", "2026-11-16", "--to", "2026-11-02",
                            env=cli_env)
    assert backwards.returncode == 2
    assert "--to 2026-11-02 is before --from 2026-11-16; give the older week first" in backwards.stderr
    not_monday = risk_report("backfill", "--tenant", "nyc-bridge", "--from", "2026-11-17", "--to", "2026-11-23",
                             env=cli_env)
    assert "--from 2026-11-17 is a Tuesday" in not_monday.stderr
    for result in (future, early, unknown, backwards, not_monday):
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("missing, exported", [("SOURCE_DATABASE_URL", "RISK_DATABASE_URL"),
                                               ("RISK_DATABASE_URL", "SOURCE_DATABASE_URL")])
def test_production_requires_both_database_urls(cli_env, missing, exported):
    """In production a missing URL is a clear error before anything starts, never the embedded server."""
    env = {**cli_env, "RISK_DEPLOYMENT": "production", exported: "postgresql://risk@db.example:5432/risk"}
    result = risk_report("deliveries", "--week", "2026-11-16", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"risk-report: error: RISK_DEPLOYMENT=production needs {missing}: export "
        "postgresql+psycopg2://user:password@host:5432/db URLs (docs/deploy.md)")
    assert "embedded PostgreSQL" not in result.stdout
    assert postgres_processes_using(Path(cli_env["RISK_DATA_DIR"])) == []


def test_db_commands_start_report_and_stop_the_server(cli_env):
    data = Path(cli_env["RISK_DATA_DIR"])
    not_running = risk_report("db", "url", env=cli_env)
    assert not_running.returncode == 2
    assert "the embedded server is not running; start it with `risk-report db start`" in not_running.stderr

    started = risk_report("db", "start", env=cli_env)
    assert started.returncode == 0, started.stderr
    assert f"SOURCE_DATABASE_URL=postgresql://postgres@/risk_source?host={data}" in started.stdout
    assert postgres_processes_using(data) != []
    url = risk_report("db", "url", "--risk", env=cli_env)
    assert url.stdout.strip().startswith("postgresql://postgres@/risk?host=")
    # A command that finds the server started by `db start` leaves it running, and says so.
    listing = risk_report("deliveries", "--week", "2026-11-16", env=cli_env)
    assert listing.returncode == 0, listing.stderr
    assert "using the embedded PostgreSQL server started by `risk-report db start`" in listing.stdout
    assert "left the embedded PostgreSQL server running" in listing.stdout
    assert "stopped the embedded PostgreSQL server" not in listing.stdout
    assert postgres_processes_using(data) != []

    stopped = risk_report("db", "stop", env=cli_env)
    assert stopped.stdout.strip() == "stopped"
    assert postgres_processes_using(data) == []


def test_dagster_definitions_validate(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-m", "risk_assets.definitions"],
        env=env, capture_output=True, text=True, timeout=300, cwd=PROJECT_DIR,
    )
    assert result.returncode == 0, result.stderr
    assert "Validation successful for code location risk_assets.definitions" in result.stderr + result.stdout
