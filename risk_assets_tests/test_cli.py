"""`risk-report` end to end, as a newcomer runs it: real embedded PostgreSQL, real Dagster runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterEventType, DagsterInstance

from risk_assets.metrics import STUDENT_COLUMNS
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.conftest import traversable_tmp_dir


def postgres_processes_using(folder: Path) -> list[int]:
    """PIDs of postgres processes whose command line names `folder`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "postgres" in cmdline and str(folder) in cmdline:
            pids.append(int(entry.name))
    return pids


def risk_report(*args: str, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "risk_assets.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_DIR,
    )


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    data = traversable_tmp_dir("risk-test-cli-")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL")}
    env.update({"RISK_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "dagster_home"),
                "RISK_REPORTS_DIR": str(tmp_path / "reports"), "RISK_OUTBOX_DIR": str(tmp_path / "outbox")})
    yield env
    subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "db", "stop"], env=env, capture_output=True)
    shutil.rmtree(data, ignore_errors=True)


def test_demo_runs_twice_reusing_its_data_and_leaves_no_server(cli_env):
    data = Path(cli_env["RISK_DATA_DIR"])

    first = risk_report("demo", env=cli_env)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "no demo data yet" in first.stdout
    assert "materialising week" in first.stdout
    snapshots = data / "snapshots"
    weeks = sorted(p.name.removeprefix("week=") for p in snapshots.iterdir())
    assert len(weeks) == 3  # the last three complete weeks, oldest first
    week = weeks[-1]
    assert [l.split("materialising week ")[1].split()[0] for l in first.stdout.splitlines()
            if "materialising week" in l] == weeks
    reports = Path(cli_env["RISK_REPORTS_DIR"]) / week
    for tenant in ("seoul-central", "busan-ocean", "nyc-bridge"):
        line = next(l for l in first.stdout.splitlines() if l.startswith(tenant) and f" {week} " in l)
        assert line.split()[:3] == [tenant, week, "ok"]
        manifest = json.loads((snapshots / f"week={week}" / f"tenant={tenant}" / "manifest.json").read_text(encoding="utf-8"))
        assert 250 <= manifest["rows"]["students"] <= 300
        assert manifest["rows"]["presentations"] > 10 * manifest["rows"]["students"]
        students = pd.read_csv(reports / f"{tenant}_students.csv")
        assert list(students.columns) == STUDENT_COLUMNS
        assert len(students) == manifest["rows"]["students"]
        counts = line.split()[6:10]  # after tenant, week, status, students, presentations, data issues
        assert [int(c) for c in counts] == [
            int((students["level"] == level).sum()) for level in ("CRIT", "WARN", "OK", "INSUFFICIENT_DATA")
        ]
        for name in (f"{tenant}_report.html", f"{tenant}_summary.json"):
            assert (reports / name).exists()
            assert f"  {name}  (" in first.stdout
        summary = json.loads((reports / f"{tenant}_summary.json").read_text(encoding="utf-8"))
        assert summary["week_over_week"]["available"] and summary["week_over_week"]["persistent_available"]
    assert (reports / "summary.csv").exists()
    assert "stopped the embedded PostgreSQL server" in first.stdout
    assert postgres_processes_using(data) == []
    assert (data / "demo" / "ground_truth.csv").exists()

    second = risk_report("demo", env=cli_env)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "re-using the demo data already loaded" in second.stdout
    assert "generating demo data" not in second.stdout
    assert postgres_processes_using(data) == []
    # Both demos' runs are recorded in the Dagster instance the UI reads: 3 weeks × 3 tenants each.
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        runs = [r for r in instance.get_runs() if r.job_name == "weekly_risk_job"]
    assert len(runs) == 18
    assert {r.status.value for r in runs} == {"SUCCESS"}


@pytest.mark.parametrize("signum, exit_code", [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)])
def test_interrupted_demo_stops_the_server(cli_env, signum, exit_code):
    data = Path(cli_env["RISK_DATA_DIR"])
    process = subprocess.Popen([sys.executable, "-m", "risk_assets.cli.main", "demo"], env=cli_env, cwd=PROJECT_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not postgres_processes_using(data) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert postgres_processes_using(data), "the embedded server never started"
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == exit_code, stdout + stderr
    assert "Traceback" not in stderr
    assert postgres_processes_using(data) == []


def test_failed_run_stops_the_server_and_names_the_tenant(cli_env, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "tenants.yaml").write_text(
        "first_week: 2025-09-01\ntenants:\n  - {key: ghost-school, org_id: 4242, name: Ghost}\n", encoding="utf-8")
    (config / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")
    env = {**cli_env, "RISK_CONFIG_DIR": str(config)}
    result = risk_report("run", "--week", "2026-11-16", env=env)
    assert result.returncode == 1
    assert "ghost-school" in result.stdout and "FAILED" in result.stdout
    assert "tenant 'ghost-school' has org_id 4242, which is not in the source's organizations table" in result.stderr
    assert postgres_processes_using(Path(cli_env["RISK_DATA_DIR"])) == []


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


def test_deliveries_and_resend(cli_env):
    first = risk_report("demo", env=cli_env)
    assert first.returncode == 0, first.stdout + first.stderr
    week = sorted(p.name.removeprefix("week=") for p in (Path(cli_env["RISK_DATA_DIR"]) / "snapshots").iterdir())[-1]
    outbox = Path(cli_env["RISK_OUTBOX_DIR"]) / week
    assert sorted(p.name for p in outbox.iterdir()) == ["busan-ocean", "nyc-bridge", "seoul-central"]
    assert sorted(p.name for p in (outbox / "nyc-bridge").iterdir()) == ["email.eml", "slack.json"]

    listing = risk_report("deliveries", "--week", week, env=cli_env)
    assert listing.returncode == 0, listing.stderr
    lines = [l.split() for l in listing.stdout.splitlines() if l.startswith(("seoul", "busan", "nyc"))]
    assert [(l[0], l[1], l[2], l[3], l[4]) for l in lines] == [
        (t, c, "0", "sent", "outbox") for t in ("busan-ocean", "nyc-bridge", "seoul-central") for c in ("email", "slack")
    ]
    eml = outbox / "nyc-bridge" / "email.eml"
    eml.unlink()

    resend = risk_report("resend", "--week", week, "--tenant", "nyc-bridge", "--channel", "email", env=cli_env)
    assert resend.returncode == 0, resend.stdout + resend.stderr
    assert eml.exists()
    listing = risk_report("deliveries", "--week", week, env=cli_env).stdout
    nyc_email = [l.split() for l in listing.splitlines() if l.startswith("nyc-bridge") and " email " in l]
    assert [row[2:5] for row in nyc_email] == [["0", "sent", "outbox"], ["1", "sent", "outbox"]]
    assert any("@" in token for token in nyc_email[1])  # forced_by: user@host of whoever asked


def test_backfill_materialises_exactly_weeks_times_assets(cli_env):
    first = risk_report("demo", env=cli_env)
    assert first.returncode == 0, first.stdout + first.stderr
    weeks = sorted(p.name.removeprefix("week=") for p in (Path(cli_env["RISK_DATA_DIR"]) / "snapshots").iterdir())

    result = risk_report("backfill", "--tenant", "busan-ocean", "--from", weeks[0], "--to", weeks[-1], env=cli_env)

    assert result.returncode == 0, result.stdout + result.stderr
    run_id = re.search(r"backfill run (\S+) succeeded", result.stdout).group(1)
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        assert instance.get_run_by_id(run_id).job_name == "weekly_batch"
        events = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        done = {(e.event_log_entry.dagster_event.asset_key.path[-1], e.event_log_entry.dagster_event.partition)
                for e in events}
    assert done == {(asset, f"busan-ocean|{week}") for asset in ("snapshot", "metrics", "tenant_summary", "tenant_report")
                    for week in weeks}
    assert len(events) == 12
