"""Batches on Celery workers: Redis from Debian on 127.0.0.1, two `dagster-celery` workers, and `dagster dev`
(webserver + daemon) on a PostgreSQL instance with the production dagster.yaml and RISK_EXECUTOR=celery. One week of
20 schools is backfilled through the UI's own GraphQL mutation in runs of 5 schools (RISK_BATCH_SIZE), each run's
step one Celery task; the event log says which worker ran each. One worker is killed in the middle of a batch: the
batch comes back whole to the other worker, every partition is materialised once, and the sensor's delivery sends
each report once: counted on the wire of a real SMTP server and of the Slack stand-in (production writes no
outbox)."""

from __future__ import annotations

import collections
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

from risk_assets.cli import graphql as ui
from risk_assets.cli.dagster_service import wait_until_loaded
from risk_assets.defs.resources import CELERY_EXECUTOR_CONFIG
from risk_assets.demo import generate_demo, load_dataset
from risk_assets.demo.tenants import DemoTenant
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.conftest import _create_database, _drop_database, _with_database
from risk_assets_tests.delivery.channels import HOOK_ENV, HOOK_PATH, Channels, running_channels
from risk_assets_tests.processes import free_port, group_members, sqlalchemy_url, wait_for, wait_for_tenant_partitions

CELERY_YAML = PROJECT_DIR / "deploy" / "celery" / "celery.yaml"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
TENANTS = [f"school-{n:02d}" for n in range(20)]
WEEK = dt.date(2026, 11, 16)
BATCH_SIZE = 5  # schools per run: 4 runs, each one Celery task
STEPS_BEFORE_THE_KILL = 1  # worker-1 finishes this many batches of the backfill, then dies in the next
ASSETS = ("snapshot", "metrics", "tenant_summary", "tenant_report")
# Seconds before Redis gives a lost worker's task to the other one: deploy/celery's 7,200 s, shortened for the test
# but above the longest batch (5 schools), or Redis would hand a running batch to the second worker too.
VISIBILITY_TIMEOUT = 120
EVENTS = """query Events($id: ID!) { logsForRun(runId: $id, limit: 5000) { ... on EventConnection { events {
  __typename ... on MaterializationEvent { assetKey { path } partition }
  ... on EngineEvent { stepKey message metadataEntries { label ... on TextMetadataEntry { text } } } } } } }"""

pytestmark = pytest.mark.skipif(not Path(REDIS).exists(), reason="needs Debian's redis-server (.ci/run installs it)")


def test_the_workers_config_is_the_executors_config():
    """deploy/celery/celery.yaml (what the workers read) and the executor of RISK_EXECUTOR=celery are one block."""
    assert yaml.safe_load(CELERY_YAML.read_text())["execution"]["config"] == CELERY_EXECUTOR_CONFIG


def test_celery_without_its_redis_urls_is_one_clear_error():
    from risk_assets.errors import UserError
    from risk_assets.settings import Settings

    with pytest.raises(UserError, match="RISK_EXECUTOR=celery needs RISK_CELERY_BROKER and RISK_CELERY_BACKEND"):
        Settings.from_env({"RISK_EXECUTOR": "celery"})
    with pytest.raises(UserError, match="RISK_EXECUTOR='dask' is not in_process or celery"):
        Settings.from_env({"RISK_EXECUTOR": "dask"})


def _tenants_yaml(folder: Path) -> None:
    tenants = [{"key": key, "org_id": 300 + n, "name": f"School {n:02d}", "timezone": "Asia/Seoul", "locale": "en",
                "delivery": {"email": {"to": [f"office@{key}.example.org"]}, "slack": {"webhook_env": HOOK_ENV}}}
               for n, key in enumerate(TENANTS)]
    folder.mkdir()
    (folder / "tenants.yaml").write_text(yaml.safe_dump({"first_week": WEEK - dt.timedelta(days=14),
                                                         "report": {"renderer": "builtin"}, "tenants": tenants}))
    shutil.copyfile(PROJECT_DIR / "config" / "thresholds.yaml.example", folder / "thresholds.yaml")


def _worker_config(path: Path) -> Path:
    config = yaml.safe_load(CELERY_YAML.read_text())
    transport = config["execution"]["config"]["config_source"]["broker_transport_options"]
    transport["visibility_timeout"] = VISIBILITY_TIMEOUT
    path.write_text(yaml.safe_dump(config))
    return path


def living(pids: list[str]) -> list[str]:
    """Without zombies: a killed worker's children are re-parented to a PID 1 that may never reap them."""
    states = {pid: subprocess.run(["ps", "-o", "stat=", "-p", pid], capture_output=True, text=True).stdout.strip()
              for pid in pids}
    return [pid for pid, state in states.items() if state and not state.startswith("Z")]


class Cluster:
    """Processes of the module, each in its own process group, stopped (and checked gone) at the end."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env = folder, env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(command, cwd=PROJECT_DIR, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        return self.processes[name]

    def start_worker(self, name: str) -> None:
        self.start(name, [str(Path(sys.executable).parent / "dagster-celery"), "worker", "start",
                          "-A", "dagster_celery.app", "-y", str(self.folder / "celery.yaml"), "-n", name,
                          "--", "--concurrency", "1", "--without-gossip", "--without-mingle"])

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def wait_for_log(self, name: str, line: str, timeout: float) -> None:
        """Until `line` is in the process's log; a process that exits first, or never says it, fails with its log."""
        def said_it():
            if line in self.log(name):
                return True
            if self.processes[name].poll() is not None:
                pytest.fail(f"{name} exited ({self.processes[name].returncode}) before {line!r}:\n{self.tail(name)}")
            return False
        try:
            wait_for(said_it, timeout, f"{name} to log {line!r}")
        except AssertionError as timeout_error:
            raise AssertionError(f"{timeout_error}; the end of {name}.log:\n{self.tail(name)}") from None

    def tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.log(name).splitlines()[-lines:])

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait(timeout=30)

    def stop_all(self) -> list[str]:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for process in self.processes.values():
            if group_members(process.pid):
                os.killpg(process.pid, signal.SIGKILL)
        time.sleep(1)
        left = [pid for process in self.processes.values() for pid in living(group_members(process.pid))]
        return [subprocess.run(["ps", "-o", "args=", "-p", pid], capture_output=True, text=True).stdout.strip() or pid
                for pid in left]


@pytest.fixture(scope="module")
def channels(tmp_path_factory) -> Iterator[Channels]:
    yield from running_channels(tmp_path_factory.mktemp("channels"))


@pytest.fixture(scope="module")
def cluster(pg_admin_url, source_template, tmp_path_factory, channels):
    folder = tmp_path_factory.mktemp("celery")
    names = {"dagster": _create_database(pg_admin_url), "source": _create_database(pg_admin_url, source_template),
             "risk": _create_database(pg_admin_url)}
    urls = {k: _with_database(pg_admin_url, v) for k, v in names.items()}
    schools = [DemoTenant(org_id=300 + n, name=f"School {n:02d}", timezone="Asia/Seoul", locale="en")
               for n in range(len(TENANTS))]
    with psycopg2.connect(urls["source"]) as conn:
        load_dataset(conn, generate_demo(schools, WEEK, weeks=4, students_per_tenant=30, n_items=300))
    _tenants_yaml(folder / "config")
    home = folder / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_DIR / "deploy" / "dagster.prod.yaml", home / "dagster.yaml")
    _worker_config(folder / "celery.yaml")
    redis_port, web_port = free_port(), free_port()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = channels.environment({**os.environ, "PATH": path,
           "DAGSTER_HOME": str(home), "DAGSTER_PG_URL": sqlalchemy_url(urls["dagster"]),
           "SOURCE_DATABASE_URL": urls["source"], "RISK_DATABASE_URL": urls["risk"], "RISK_DEPLOYMENT": "production",
           "RISK_CONFIG_DIR": str(folder / "config"), "RISK_DATA_DIR": str(folder / "data"),
           "RISK_REPORTS_DIR": str(folder / "reports"), "RISK_OUTBOX_DIR": str(folder / "outbox"),
           "RISK_EXECUTOR": "celery", "RISK_BATCH_SIZE": str(BATCH_SIZE), "RISK_CELERY_BROKER": f"redis://127.0.0.1:{redis_port}/0",
           "RISK_CELERY_BACKEND": f"redis://127.0.0.1:{redis_port}/1"})
    processes = Cluster(folder, env)
    try:
        # Workers and `dagster dev` each create the instance's tables if missing; at the same moment on an empty
        # database they race (dagster-postgres retries some of the collisions, not all), so create them first.
        migrated = subprocess.run([str(Path(sys.executable).parent / "dagster"), "instance", "migrate"],
                                  cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
        assert migrated.returncode == 0, f"dagster instance migrate failed:\n{migrated.stdout}{migrated.stderr}"
        processes.start("redis", [REDIS, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                                  "--appendonly", "no"])
        processes.wait_for_log("redis", "Ready to accept connections", 30)
        processes.start_worker("worker-1")
        processes.start_worker("worker-2")
        processes.start("dagster", [str(Path(sys.executable).parent / "dagster"), "dev", "-w",
                                    str(PROJECT_DIR / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(web_port)])
        server = ui.Webserver(f"http://127.0.0.1:{web_port}")
        wait_until_loaded(server, 240, folder / "dagster.log")
        wait_for_tenant_partitions(web_port, TENANTS)
        for worker in ("worker-1", "worker-2"):
            processes.wait_for_log(worker, " ready.", 120)
        # The delivery sensor's first tick starts after the newest report; wait for it so every report is sent.
        wait_for(lambda: ui.sensor_cursor(server, "report_delivery")[1] is not None, 120, "the sensor's first tick")
        yield server, processes, folder, urls["risk"]
    finally:
        leftovers = processes.stop_all()
        for name in names.values():
            _drop_database(pg_admin_url, name)
        assert leftovers == [], f"processes left running: {leftovers}"


def backfill_week(server: ui.Webserver, week: dt.date, tenants: list[str]) -> str:
    return ui.launch_asset_backfill(server, list(ASSETS), [f"{tenant}|{week}" for tenant in tenants], {},
                                    f"celery {week}")


def finished_runs(server: ui.Webserver, backfill_id: str, count: int, timeout: float = 600) -> list[dict]:
    def done():
        state = ui.backfill(server, backfill_id)
        runs = state["runs"]
        return runs if len(runs) == count and all(run["status"] in ui.FINISHED for run in runs) else None
    return wait_for(done, timeout, f"backfill {backfill_id}")


def run_events(server: ui.Webserver, runs: list[dict]) -> tuple[collections.Counter, dict[tuple[str, str], str]]:
    """(asset, partition) → number of materializations, and (run, step) → the Celery worker that ran it."""
    materialized: collections.Counter[tuple[str, str]] = collections.Counter()
    workers: dict[tuple[str, str], str] = {}
    for run in runs:
        for event in server.query(EVENTS, {"id": run["runId"]})["logsForRun"]["events"]:
            if event["__typename"] == "MaterializationEvent":
                materialized[(event["assetKey"]["path"][-1], event["partition"])] += 1
            elif event["__typename"] == "EngineEvent":
                entries = {e["label"]: e.get("text") for e in event["metadataEntries"]}
                if "Celery worker" in entries:
                    workers[(run["runId"], event["stepKey"])] = entries["Celery worker"].split("@")[0]
    return materialized, workers


def expected_materializations(week: dt.date, tenants: list[str]) -> collections.Counter:
    return collections.Counter({(asset, f"{tenant}|{week}"): 1 for asset in ASSETS for tenant in tenants})


def _deliveries(risk_url: str, week: dt.date) -> list[tuple]:
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tenant, channel, status, attempts FROM risk.deliveries WHERE week = %s ORDER BY tenant, "
                    "channel", (week,))
        return cur.fetchall()


def sent_once(tenants: list[str]) -> list[tuple]:
    return sorted([(tenant, channel, "sent", 1) for tenant in tenants for channel in ("email", "slack")])


def wait_for_deliveries(risk_url: str, week: dt.date, count: int) -> list[tuple]:
    return wait_for(lambda: (rows := _deliveries(risk_url, week)) and len(rows) >= count and all(
        row[2] == "sent" for row in rows) and rows, 300, f"the sensor's deliveries of {week}")


def _received(log: str) -> list[str]:
    return re.findall(r"Task execute_plan\[([0-9a-f-]+)\] received", log)


def _succeeded(log: str) -> list[str]:
    return re.findall(r"Task execute_plan\[([0-9a-f-]+)\] succeeded", log)


SENSOR_ID = """query Sensor($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
  ... on Sensor { id } } }"""
STOP_SENSOR = """mutation Stop($id: String!) { stopSensor(id: $id) { __typename } }"""
START_SENSOR = """mutation Start($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) { __typename } }"""
DELIVERY_SENSOR = {"repositoryLocationName": ui.LOCATION, "repositoryName": ui.REPOSITORY,
                   "sensorName": "report_delivery"}


@pytest.fixture(scope="module")
def week_with_a_lost_worker(cluster):
    """One week of 20 schools, backfilled through the UI's mutation, with worker-1 killed (SIGKILL) in the middle of
    a batch after it has finished STEPS_BEFORE_THE_KILL of them. The delivery sensor is stopped meanwhile, as an
    operator can in the UI, so that the killed step is a pipeline step; started again, it delivers the week."""
    server, processes, folder, risk_url = cluster
    sensor_id = server.query(SENSOR_ID, {"selector": DELIVERY_SENSOR})["sensorOrError"]["id"]
    assert server.query(STOP_SENSOR, {"id": sensor_id})["stopSensor"]["__typename"] == "StopSensorMutationResult"
    started = time.monotonic()
    backfill_id = backfill_week(server, WEEK, TENANTS)

    def mid_step():
        log = processes.log("worker-1")
        return len(_succeeded(log)) >= STEPS_BEFORE_THE_KILL and len(_received(log)) > len(_succeeded(log))
    wait_for(mid_step, 600, "worker-1 in the middle of a step", interval=0.02)
    processes.kill("worker-1")  # its step is neither finished nor acknowledged
    log_1 = processes.log("worker-1")
    lost = set(_received(log_1)) - set(_succeeded(log_1))

    runs = finished_runs(server, backfill_id, len(TENANTS) // BATCH_SIZE)
    print(f"{len(TENANTS)} partitions in batches of {BATCH_SIZE} on 2 Celery workers, one lost mid-batch: "
          f"{time.monotonic() - started:.0f} s")
    assert server.query(START_SENSOR, {"selector": DELIVERY_SENSOR})["startSensor"]["__typename"] == "Sensor"
    return runs, lost


@pytest.mark.timeout(900)
def test_one_week_of_twenty_schools_runs_its_batches_on_both_workers(cluster, week_with_a_lost_worker):
    server, processes, _, _ = cluster
    runs, _ = week_with_a_lost_worker
    assert {run["status"] for run in runs} == {"SUCCESS"}
    materialized, workers = run_events(server, runs)
    assert materialized == expected_materializations(WEEK, TENANTS)  # every partition once, the lost step included
    steps_per_run = collections.Counter(run for run, _ in workers)
    assert set(steps_per_run.values()) == {1}, steps_per_run  # one step (4 assets + 5 checks) per run, on a worker
    assert len(steps_per_run) == len(TENANTS) // BATCH_SIZE
    spread = collections.Counter(workers.values())
    assert set(spread) == {"worker-1", "worker-2"}, spread
    assert spread["worker-1"] >= STEPS_BEFORE_THE_KILL


@pytest.mark.timeout(900)
def test_a_worker_killed_mid_run_loses_nothing_and_delivers_nothing_twice(cluster, channels, week_with_a_lost_worker):
    server, processes, folder, risk_url = cluster

    _, lost = week_with_a_lost_worker
    assert len(lost) == 1
    assert lost <= set(_received(processes.log("worker-2")))  # the same task, given to the other worker
    assert lost <= set(_succeeded(processes.log("worker-2")))

    assert wait_for_deliveries(risk_url, WEEK, 2 * len(TENANTS)) == sent_once(TENANTS)
    assert channels.recipients() == sorted(f"office@{tenant}.example.org" for tenant in TENANTS)  # once each
    assert len(channels.slack.requests_to(HOOK_PATH)) == len(TENANTS)
    assert not (folder / "outbox").exists()
