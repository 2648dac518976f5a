"""Partitions at scale, on a simulated instance: synthetic tenants and materialisation events, no real reports.

For each tenant count (default 1,000 and 10,000), on a PostgreSQL-backed Dagster instance (embedded server in a
temporary folder), with `partition_weeks: 8`:
  - code-location load: the definitions built from a tenants.yaml of N tenants (as a code server does);
  - the tenant_partitions sensor: first tick (adds N partitions) and an in-step tick;
  - the weekly schedule ticks of the zone of 80 % of the tenants (one request per tenant; a zone of more than
    500 tenants is split into shards, each its own schedule and tick): the slowest tick;
  - the report_delivery sensor: one tick over N new tenant_report materializations;
  - the GraphQL query behind the asset's Partitions page (partition keys and the status of every partition), on a
    running dagster-webserver, N tenants × 8 weeks, with the newest two weeks materialised.

Goals (docs/performance.md, "Partitions at scale"): load ≤ 5 s, a tick ≤ 10 s, the partitions query ≤ 3 s at
10,000 tenants.

    .venv/bin/python benchmarks/scale_bench.py [--tenants 1000 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

PROJECT = Path(__file__).resolve().parents[1]
WEEKS = 8
ZONES = ["Asia/Seoul"] * 8 + ["America/New_York", "Europe/London"]
PARTITIONS_QUERY = """query AssetPartitions($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) {
  ... on AssetNode { partitionKeysByDimension { name partitionKeys }
    assetPartitionStatuses { __typename ... on MultiPartitionStatuses { primaryDimensionName
      ranges { primaryDimStartKey primaryDimEndKey secondaryDim { __typename
        ... on DefaultPartitionStatuses { materializedPartitions failedPartitions materializingPartitions }
      } } } } } } }"""


def tenants_yaml(n: int) -> dict:
    return {"first_week": dt.date(2026, 1, 5), "partition_weeks": WEEKS, "tenants": [
        {"key": f"school-{i:05d}", "org_id": 10_000 + i, "name": f"School {i}", "timezone": ZONES[i % len(ZONES)],
         "locale": "en", "delivery": {"email": {"to": [f"office@school-{i:05d}.example.org"]}}} for i in range(n)]}


def timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - started


def graphql(port: int, query: str, variables: dict) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"query": query, "variables": variables}).encode())
    with urllib.request.urlopen(request, timeout=600) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body["errors"]
    return body["data"]


def wait_loaded(port: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    while time.monotonic() < deadline:
        try:
            entries = graphql(port, query, {})["workspaceOrError"]["locationEntries"]
            if any(e["loadStatus"] == "LOADED" for e in entries):
                return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError("the webserver did not load the code location")


COLD_LOAD = """import time
started = time.perf_counter()
from risk_assets.definitions import defs
defs().get_repository_def().get_all_jobs()
print(time.perf_counter() - started)"""


def cold_load_seconds() -> float:
    """What a code server pays: a new Python process importing the project and building its definitions."""
    done = subprocess.run([sys.executable, "-c", COLD_LOAD], capture_output=True, text=True, timeout=600, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def measure(n: int, root: Path, dagster_url: str) -> dict[str, float]:
    import dagster as dg

    from risk_assets.config import load_config
    from risk_assets.definitions import definitions_for
    from risk_assets.partitions import latest_complete_week, partition_key
    from risk_assets.project import Project
    from risk_assets.settings import Settings

    folder = root / f"n{n}"
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "tenants.yaml").write_text(yaml.safe_dump(tenants_yaml(n)), encoding="utf-8")
    shutil.copyfile(PROJECT / "config" / "thresholds.yaml.example", folder / "config" / "thresholds.yaml")
    (folder / "home").mkdir()
    (folder / "home" / "dagster.yaml").write_text(yaml.safe_dump(
        {"storage": {"postgres": {"postgres_url": dagster_url}}, "telemetry": {"enabled": False}}))
    os.environ.update({"RISK_CONFIG_DIR": str(folder / "config"), "DAGSTER_HOME": str(folder / "home")})
    figures: dict[str, float] = {}

    settings = Settings.from_env()
    config = load_config(settings.config_dir)
    figures["code-location load, new process (imports + definitions)"] = cold_load_seconds()
    defs, figures["code-location load, definitions only"] = timed(
        lambda: (d := definitions_for(Project(config, settings)), d.get_repository_def().get_all_jobs())[0])

    with dg.DagsterInstance.get() as instance:
        sync = defs.resolve_sensor_def("tenant_partitions")
        data, figures["tenant_partitions tick, first (adds N)"] = timed(
            lambda: sync.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs)))
        (request,) = data.dynamic_partitions_requests
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)  # as the daemon does
        _, figures["tenant_partitions tick, in step"] = timed(
            lambda: sync.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs)))

        newest = latest_complete_week(config.tenants)
        seoul = sorted(s.name for s in defs.schedules if s.execution_timezone == "Asia/Seoul")
        monday_six = dt.datetime.combine(newest + dt.timedelta(days=7), dt.time(6), ZoneInfo("Asia/Seoul"))
        ticks, requested = [], 0
        for name in seoul:  # every shard of the zone of 80 % of the tenants, as the daemon ticks them
            schedule = defs.resolve_schedule_def(name)
            result, seconds = timed(lambda schedule=schedule: schedule.evaluate_tick(dg.build_schedule_context(
                instance=instance, scheduled_execution_time=monday_six, repository_def=defs.get_repository_def())))
            ticks.append(seconds)
            requested += len(result.run_requests)
        assert requested == sum(1 for i in range(n) if ZONES[i % len(ZONES)] == "Asia/Seoul")
        figures["schedule tick, slowest Asia/Seoul shard"] = max(ticks)
        figures["Asia/Seoul shards (schedules)"] = len(seoul)
        started = time.perf_counter()
        cursor = None
        for week in (newest - dt.timedelta(days=7), newest):
            if week == newest:  # the sensor's cursor: just before the newest week's N reports
                cursor = str(instance.fetch_materializations(dg.AssetKey("tenant_report"), limit=1,
                                                             ascending=False).records[0].storage_id)
            for key in config.tenants.keys:
                instance.report_runless_asset_event(dg.AssetMaterialization(
                    "tenant_report", partition=str(partition_key(week, key))))
        events = time.perf_counter() - started
        delivery = defs.resolve_sensor_def("report_delivery")
        data, figures["report_delivery tick (N new reports)"] = timed(lambda: delivery.evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)))
        assert data.run_requests, data.skip_message

    port = 3300 + n % 97
    env = {**os.environ, "RISK_DEPLOYMENT": "local"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"),
                               "-w", str(PROJECT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
                              cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        started = time.perf_counter()
        wait_loaded(port)
        figures["webserver: code location loaded"] = time.perf_counter() - started
        for attempt in ("first", "second"):
            data, seconds = timed(graphql, port, PARTITIONS_QUERY, {"key": {"path": ["tenant_report"]}})
            figures[f"partitions query, {attempt}"] = seconds
        node = data["assetNodeOrError"]
        keys = {d["name"]: len(d["partitionKeys"]) for d in node["partitionKeysByDimension"]}
        assert keys == {"tenant": n, "week": WEEKS}, keys
        ranges = node["assetPartitionStatuses"]["ranges"]
        materialized = sum(len(r["secondaryDim"]["materializedPartitions"]) for r in ranges)
        assert materialized == n, materialized  # one range of the two weeks, each with every tenant
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    print(f"  ({n}: {2 * n} synthetic materializations written in {events:.0f} s)", flush=True)
    return figures


def _without_commit_waits(url: str, database: str) -> None:
    """Only the synthetic events are written here: not waiting for each commit's flush makes writing 20,000 of them
    take seconds instead of minutes; the measured reads are not affected."""
    import psycopg2

    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="risk-scale-bench-"))
    root.chmod(0o711)
    os.environ.update({"RISK_DATA_DIR": str(root / "data"), "RISK_REPORTS_DIR": str(root / "reports"),
                       "RISK_OUTBOX_DIR": str(root / "outbox")})
    for name in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL", "RISK_DEPLOYMENT", "RISK_EXECUTOR"):
        os.environ.pop(name, None)

    from risk_assets.database.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(root / "pg")
    results = {}
    try:
        with server.running():
            for n in args.tenants:
                url = server.ensure_database(f"dagster_{n}").replace("postgresql://", "postgresql+psycopg2://")
                _without_commit_waits(url, f"dagster_{n}")
                results[n] = measure(n, root, url)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    names = list(next(iter(results.values())))
    print("| measure | " + " | ".join(f"{n:,} tenants" for n in results) + " |")
    print("|---|" + "---:|" * len(results))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{results[n][name]:.2f} s" if isinstance(results[n][name], float)
                                         else str(results[n][name]) for n in results) + " |")


if __name__ == "__main__":
    main()
