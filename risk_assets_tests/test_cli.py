"""`risk-report` end to end, as a newcomer runs it: real embedded PostgreSQL, real Dagster runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import psycopg2
import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance

from risk_assets.metrics import STUDENT_COLUMNS
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.cli_runner import postgres_processes_using, read_until, risk_report
from risk_assets_tests.conftest import traversable_tmp_dir
from risk_assets_tests.processes import free_port
from risk_assets_tests.r_engine.helpers import requires_r, run_rscript

# The module's demo (three schools, three weeks through dagster dev) takes about two minutes alone and up to five
# beside the other test files on 2 cores; the default 300 s would fail the tests that read it on a busy machine.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One `risk-report demo` for the tests that read what it produced (each demo takes about two minutes)."""
    data = traversable_tmp_dir("risk-test-demo-")
    root = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL")}
    env.update({"RISK_DATA_DIR": str(data), "DAGSTER_HOME": str(root / "dagster_home"),
                "RISK_REPORTS_DIR": str(root / "reports"), "RISK_OUTBOX_DIR": str(root / "outbox")})
    yield env, risk_report("demo", env=env)
    subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "db", "stop"], env=env, capture_output=True)
    shutil.rmtree(data, ignore_errors=True)


def test_demo_materializes_three_weeks_through_dagster_and_leaves_no_server(demo):
    cli_env, first = demo
    data = Path(cli_env["RISK_DATA_DIR"])

    assert first.returncode == 0, first.stdout + first.stderr
    assert "no demo data yet" in first.stdout
    assert first.stdout.count(": 3 partition(s), many per run") == 3  # one backfill per school
    snapshots = data / "snapshots"
    weeks = sorted(p.name.removeprefix("week=") for p in snapshots.iterdir())
    assert len(weeks) == 3  # the last three complete weeks
    progress = re.findall(r"\[(\d)/9\] (\S+) (\S+): ok", first.stdout)
    assert sorted((tenant, week) for _n, tenant, week in progress) == sorted(
        (t, w) for t in ("seoul-central", "busan-ocean", "nyc-bridge") for w in weeks)
    week = weeks[-1]
    reports = Path(cli_env["RISK_REPORTS_DIR"]) / week
    for tenant in ("seoul-central", "busan-ocean", "nyc-bridge"):
        line = next(row for row in first.stdout.splitlines() if row.startswith(tenant) and f" {week} " in row)
        assert line.split()[:3] == [tenant, week, "ok"]
        manifest_file = snapshots / f"week={week}" / f"tenant={tenant}" / "manifest.json"
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
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
    assert re.search(r"delivered in \d delivery run\(s\)", first.stdout)
    assert "stopped the embedded PostgreSQL server" in first.stdout
    assert postgres_processes_using(data) == []
    assert (data / "demo" / "ground_truth.csv").exists()
    # The runs are in the instance the UI reads: one backfill per school, each one batched run of its three weeks
    # (so no run waits for another's week), tagged with its school.
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        runs = [r for r in instance.get_runs() if "dagster/backfill" in r.tags]
        launched = {r.tags["dagster/backfill"]: instance.get_backfill(r.tags["dagster/backfill"]).backfill_timestamp
                    for r in runs}
        created = {r.run_id: instance.get_run_record_by_id(r.run_id).create_timestamp.timestamp() for r in runs}
    assert len(runs) == 3 and {r.status.value for r in runs} == {"SUCCESS"}
    assert sorted(r.tags["risk/tenant"] for r in runs) == ["busan-ocean", "nyc-bridge", "seoul-central"]
    assert len({r.tags["dagster/backfill"] for r in runs}) == 3
    # The daemon starts after the backfills are launched, so its first pass creates their runs; started with the
    # webserver, it would find them on its next pass, 30 s later (docs/orchestration.md, "The CLI's own Dagster").
    waits = [created[r.run_id] - launched[r.tags["dagster/backfill"]] for r in runs]
    assert max(waits) < 22, waits
    # The command's Dagster log stays where it said, out of the folder Dagster posts to its telemetry server.
    home = Path(cli_env["DAGSTER_HOME"])
    assert f"log {home / 'risk-report-dagster.log'}" in first.stdout
    assert (home / "risk-report-dagster.log").stat().st_size > 0
    assert not list(home.glob(".logs_queue/*")) and not list(home.glob("logs/*"))


def test_deliveries_and_resend(demo):
    cli_env, first = demo
    assert first.returncode == 0, first.stdout + first.stderr
    week = sorted(p.name.removeprefix("week=") for p in (Path(cli_env["RISK_DATA_DIR"]) / "snapshots").iterdir())[-1]
    outbox = Path(cli_env["RISK_OUTBOX_DIR"]) / week
    assert sorted(p.name for p in outbox.iterdir()) == ["busan-ocean", "nyc-bridge", "seoul-central"]
    assert sorted(p.name for p in (outbox / "nyc-bridge").iterdir()) == ["email.eml", "slack.json"]

    listing = risk_report("deliveries", "--week", week, env=cli_env)
    assert listing.returncode == 0, listing.stderr
    lines = [row.split() for row in listing.stdout.splitlines() if row.startswith(("seoul", "busan", "nyc"))]
    assert [tuple(fields[:5]) for fields in lines] == [
        (t, c, "0", "sent", "outbox") for t in ("busan-ocean", "nyc-bridge", "seoul-central")
        for c in ("email", "slack")]
    eml = outbox / "nyc-bridge" / "email.eml"
    eml.unlink()

    resend = risk_report("resend", "--week", week, "--tenant", "nyc-bridge", "--channel", "email", env=cli_env)
    assert resend.returncode == 0, resend.stdout + resend.stderr
    assert eml.exists()
    listing = risk_report("deliveries", "--week", week, env=cli_env).stdout
    nyc_email = [row.split() for row in listing.splitlines() if row.startswith("nyc-bridge") and " email " in row]
    assert [row[2:5] for row in nyc_email] == [["0", "sent", "outbox"], ["1", "sent", "outbox"]]
    assert any("@" in token for token in nyc_email[1])  # forced_by: user@host of whoever asked


@requires_r
def test_export_snapshot_gives_r_the_week_python_computed(demo, tmp_path):
    """`risk-report export-snapshot`, then Rscript on the folder: the levels, statuses and reason codes of the
    demo's own students CSV (the Python engine's), student by student."""
    cli_env, first = demo
    assert first.returncode == 0, first.stdout + first.stderr
    weeks = sorted(p.name.removeprefix("week=") for p in (Path(cli_env["RISK_DATA_DIR"]) / "snapshots").iterdir())
    week = weeks[-1]
    exported = risk_report("export-snapshot", "--week", week, "--tenant", "nyc-bridge", "--to",
                           str(tmp_path / "snap"), env=cli_env)
    assert exported.returncode == 0, exported.stderr
    thresholds = PROJECT_DIR / "config" / "thresholds.yaml.example"
    assert (f"{tmp_path / 'snap'}  (for: Rscript r/compute_metrics.R {tmp_path / 'snap'} {thresholds} students.csv)"
            in exported.stdout.splitlines())
    layout = json.loads((tmp_path / "snap" / "tables.json").read_text(encoding="utf-8"))
    python = pd.read_csv(Path(cli_env["RISK_REPORTS_DIR"]) / week / "nyc-bridge_students.csv",
                         keep_default_na=False)
    assert layout["students"]["rows"] == len(python)

    done = run_rscript(tmp_path / "snap", thresholds, tmp_path / "r.csv")
    assert done.returncode == 0, done.stderr
    r = pd.read_csv(tmp_path / "r.csv", keep_default_na=False)
    for column in ("student_id", "display_name", "level", "reason_codes", "theta_status", "attendance_status"):
        assert r[column].tolist() == python[column].tolist(), column

    earlier = (dt.date.fromisoformat(weeks[0]) - dt.timedelta(days=7)).isoformat()  # a report week, not run
    missing = risk_report("export-snapshot", "--week", earlier, "--tenant", "nyc-bridge", "--to",
                          str(tmp_path / "none"), env=cli_env)
    assert missing.returncode != 0
    assert f"no snapshot of tenant 'nyc-bridge' for week {earlier}" in missing.stderr
    assert "Traceback" not in missing.stderr


def poison_theta(cli_env: dict[str, str], org_id: int, week: str) -> int:
    """θ = −1e308 for one student, inside the week (quarantined as theta_out_of_range: docs/snapshot.md, "Dirty rows");
    returns the estimate id."""
    url = risk_report("db", "start", env=cli_env).stdout.split("SOURCE_DATABASE_URL=")[1].split()[0]
    monday = dt.date.fromisoformat(week)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT min(student_id) FROM students WHERE org_id = %s", (org_id,))
        student = cur.fetchone()[0]
        cur.execute("INSERT INTO theta_estimates (estimate_id, student_id, estimated_at, theta, se) "
                    "SELECT max(estimate_id) + 1, %s, %s, -1e308, 0.2 FROM theta_estimates RETURNING estimate_id",
                    (student, dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(12), dt.UTC)))
        estimate = cur.fetchone()[0]
    risk_report("db", "stop", env=cli_env)
    return estimate


def test_backfill_is_a_backfill_in_the_instance_one_run_per_week(demo):
    cli_env, first = demo
    assert first.returncode == 0, first.stdout + first.stderr
    weeks = sorted(p.name.removeprefix("week=") for p in (Path(cli_env["RISK_DATA_DIR"]) / "snapshots").iterdir())
    estimate = poison_theta(cli_env, 102, weeks[-1])

    result = risk_report("backfill", "--tenant", "busan-ocean", "--from", weeks[0], "--to", weeks[-1], env=cli_env)

    # The run succeeds with the estimate quarantined, and the failed ERROR check is the outcome: exit 1.
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"busan-ocean {weeks[-1]}: ok, CHECK FAILED theta_in_range: 1 θ estimate(s)" in result.stdout
    assert (f"busan-ocean {weeks[-1]}: check theta_in_range: 1 θ estimate(s) outside [-6, 6] were "
            f"quarantined (left out of the metrics); fix them in the source (estimate ids {estimate})") in result.stderr
    assert result.stdout.count("CHECK FAILED") == 2  # the progress line and the table row of that week only
    students = pd.read_csv(Path(cli_env["RISK_REPORTS_DIR"]) / weeks[-1] / "busan-ocean_students.csv")
    assert students["delta_7d"].abs().max() < 20
    backfill_id = re.search(r"backfill (\S+): 3 partition\(s\)", result.stdout).group(1)
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        assert instance.get_backfill(backfill_id).tags["risk/trigger"] == "cli-backfill"
        runs = [r for r in instance.get_runs() if r.tags.get("dagster/backfill") == backfill_id]
        done = set()
        for run in runs:
            events = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
            done |= {(e.event_log_entry.dagster_event.asset_key.path[-1], e.event_log_entry.dagster_event.partition)
                     for e in events}
    assert [r.tags["risk/tenant"] for r in runs] == ["busan-ocean"]  # one batched run: the school's weeks, oldest first
    assert done == {(asset, f"busan-ocean|{week}") for week in weeks
                    for asset in ("snapshot", "metrics", "tenant_summary", "tenant_report")}


def product_processes(dagster_home: str) -> dict[int, str]:
    """Processes other than the embedded PostgreSQL server (taken over by the next command, docs/embedded-postgres.md)
    whose environment has DAGSTER_HOME=dagster_home: the command and every Dagster process it started."""
    found = {}
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            environment = process.environ()
        except psutil.Error:
            continue
        cmdline = " ".join(process.info["cmdline"] or [])
        if environment.get("DAGSTER_HOME") == dagster_home and "postgres" not in cmdline:
            found[process.info["pid"]] = cmdline
    return found


def latest_demo_week(cli_env: dict[str, str]) -> str:
    return sorted(p.name.removeprefix("week=") for p in (Path(cli_env["RISK_DATA_DIR"]) / "snapshots").iterdir())[-1]


def test_run_beside_the_ui_launches_through_it_and_one_failed_school_among_three(demo, tmp_path):
    """`run` beside a running `risk-report ui` finds its webserver by itself (no RISK_DAGSTER_URL) and launches through
    it; once the UI is stopped, its daemon's fresh heartbeat does not make the next command refuse. The run's three
    schools: one's org_id is not in the source; the other two are reported, exit 1, the failed one named."""
    from risk_assets.cli.dagster_service import daemon_running

    cli_env, first = demo
    assert first.returncode == 0, first.stdout + first.stderr
    week = latest_demo_week(cli_env)
    example = yaml.safe_load((PROJECT_DIR / "config" / "tenants.yaml.example").read_text(encoding="utf-8"))
    example["tenants"] = [t for t in example["tenants"] if t["key"] in ("seoul-central", "nyc-bridge")] + [
        {"key": "ghost-school", "org_id": 4242, "name": "Ghost", "timezone": "Asia/Seoul"}]
    config = tmp_path / "config"
    config.mkdir()
    (config / "tenants.yaml").write_text(yaml.safe_dump(example, allow_unicode=True), encoding="utf-8")
    shutil.copyfile(PROJECT_DIR / "config" / "thresholds.yaml.example", config / "thresholds.yaml")
    env = {**cli_env, "RISK_CONFIG_DIR": str(config)}
    env.pop("RISK_DAGSTER_URL", None)

    port = free_port()
    ui = subprocess.Popen([sys.executable, "-m", "risk_assets.cli.main", "ui", "--port", str(port)],
                          env=env, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.time()
    deadline = time.monotonic() + 180
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        while not any(beat.timestamp > started for beat in instance.get_daemon_heartbeats().values()):
            assert time.monotonic() < deadline and ui.poll() is None, "no daemon heartbeat from `risk-report ui`"
            time.sleep(0.5)
    try:
        result = risk_report("run", "--week", week, env=env)
    finally:
        ui.send_signal(signal.SIGINT)  # Ctrl-C, as the operator stops it
        ui_output = ui.communicate(timeout=120)[0]
    assert ui.returncode == 0, ui_output
    assert product_processes(cli_env["DAGSTER_HOME"]) == {}
    assert f"launching through the running `risk-report ui` at http://127.0.0.1:{port}" in result.stdout
    assert "starting Dagster" not in result.stdout

    assert result.returncode == 1, result.stdout + result.stderr
    progress = re.findall(r"\[\d/3\] (\S+) (\S+): (ok|FAILED)", result.stdout)
    assert sorted(progress) == [("ghost-school", week, "FAILED"), ("nyc-bridge", week, "ok"),
                                ("seoul-central", week, "ok")]
    for tenant in ("seoul-central", "nyc-bridge"):
        row = next(line for line in result.stdout.splitlines() if line.startswith(f"{tenant} "))
        assert row.split()[:3] == [tenant, week, "ok"] and row.split()[-1] == f"{tenant}_report.html"
        assert (Path(cli_env["RISK_REPORTS_DIR"]) / week / f"{tenant}_report.html").stat().st_mtime > started
    assert (f"ghost-school {week}: tenant 'ghost-school' has org_id 4242, which is not in the source's organizations "
            "table") in result.stderr
    assert "Traceback" not in result.stderr

    # The stopped UI's daemon heartbeat is still fresh: no daemon is running for all that, and nothing is waited for.
    waited = time.monotonic()
    assert daemon_running(Path(cli_env["DAGSTER_HOME"]), print) is False
    assert time.monotonic() - waited < 5


def test_killed_resend_leaves_no_dagster_process(demo):
    """kill -9 of `resend` while its run waits on an SMTP server that accepted the connection and never answers: no
    process of the product (the guard, the Dagster stack, webserver, daemon, code server, run worker) outlives it for
    more than the guard's grace period."""
    from risk_assets.cli.guard import STOP_GRACE_SECONDS

    cli_env, first = demo
    assert first.returncode == 0, first.stdout + first.stderr
    with socket.create_server(("127.0.0.1", 0)) as stalled_smtp:
        env = {**cli_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(stalled_smtp.getsockname()[1]),
               "SMTP_TLS": "none", "SMTP_FROM": "reports@school.example"}
        resend = subprocess.Popen([sys.executable, "-m", "risk_assets.cli.main", "resend", "--week",
                                   latest_demo_week(cli_env), "--tenant", "seoul-central", "--channel", "email"],
                                  env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stalled_smtp.settimeout(240)
        connection, _ = stalled_smtp.accept()  # the run is sending: connected, waiting for the greeting
        with connection:
            running = product_processes(cli_env["DAGSTER_HOME"])
            assert any("risk_assets.cli.dagster_stack" in cmdline for cmdline in running.values()), running
            resend.kill()
            resend.wait(timeout=10)
            killed = time.monotonic()
            while product_processes(cli_env["DAGSTER_HOME"]) and time.monotonic() - killed < 60:
                time.sleep(0.2)
            outlived = time.monotonic() - killed
            assert product_processes(cli_env["DAGSTER_HOME"]) == {}
            assert outlived < STOP_GRACE_SECONDS + 3, f"product processes outlived the command by {outlived:.0f} s"


def source_row_versions(cli_env: dict[str, str]) -> dict[str, tuple]:
    """Per source table: rows and the range of their xmin (the transaction that wrote them): a reload changes it."""
    url = risk_report("db", "start", env=cli_env).stdout.split("SOURCE_DATABASE_URL=")[1].split()[0]
    versions = {}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for table in ("organizations", "students", "items", "item_presentations", "theta_estimates", "school_days",
                      "attendance"):
            cur.execute(f"SELECT count(*), min(xmin::text::bigint), max(xmin::text::bigint) FROM {table}")
            versions[table] = cur.fetchone()
    risk_report("db", "stop", env=cli_env)
    return versions


def test_second_demo_reuses_its_data(demo):
    """`make demo` again: the source data of the first run is current, so it is neither generated nor loaded again."""
    cli_env, first = demo
    assert first.returncode == 0, first.stdout + first.stderr
    truth = Path(cli_env["RISK_DATA_DIR"]) / "demo" / "ground_truth.csv"
    truth_written = truth.stat().st_mtime_ns
    before = source_row_versions(cli_env)

    second = subprocess.Popen([sys.executable, "-m", "risk_assets.cli.main", "demo"], env=cli_env, cwd=PROJECT_DIR,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = read_until(second, "starting Dagster")  # seeding is decided and done before Dagster starts
    second.send_signal(signal.SIGTERM)
    second.communicate(timeout=120)

    assert re.search(r"re-using the demo data already loaded \(through \d{4}-\d\d-\d\d\)", seen), seen
    assert "generating demo data" not in seen and "loading with COPY" not in seen
    assert source_row_versions(cli_env) == before
    assert truth.stat().st_mtime_ns == truth_written
