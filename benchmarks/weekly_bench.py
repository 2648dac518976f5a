"""One synthetic week, the real way: daemon, QueuedRunCoordinator (2 concurrent runs), default run launcher,
batched runs (tenants.yaml batch.size), then the report_delivery sensor delivering to the outbox — and, as the
floor, the same partitions executed in-process one at a time (`execute_in_process`, ephemeral instance).

Starts its own embedded PostgreSQL in a temporary folder (source, results and the Dagster instance's storage),
loads demo data, starts Dagster as `risk-report run` does (webserver and code server, the daemon once the backfill
is launched: docs/orchestration.md), launches the week's partitions as one asset backfill through GraphQL (as the UI
and `risk-report run` do), waits for every run and every delivery, and prints wall times, seconds per tenant, the
runs' and delivery runs' timelines, the peak memory of a run process, the renderer the runs chose and a report's
median size (Quarto's pages are about seven times the built-in renderer's). Then runs the same partitions
in-process, one at a time. Also times loading the definitions with 1,000 tenants.

    .venv/bin/python benchmarks/weekly_bench.py [--tenants 100] [--students 200] [--batch-size 50]
        [--floor-partitions 100] [--load-tenants 1000]

`--floor-partitions 0` skips the in-process floor (e.g. for 1,000 tenants × 50 students).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import yaml

WEEK = dt.date(2026, 11, 16)
PROJECT = Path(__file__).resolve().parents[1]


def tenants_yaml(n: int) -> dict:
    return {"first_week": dt.date(2026, 10, 19), "tenants": [
        {"key": f"school-{i:04d}", "org_id": 5000 + i, "name": f"학교 {i}", "locale": "ko" if i % 4 else "en"}
        for i in range(n)]}


def definitions_load_seconds(n: int) -> float:
    from risk_assets.config import AppConfig, TenantsFile, Thresholds
    from risk_assets.definitions import definitions_for
    from risk_assets.project import Project
    from risk_assets.settings import Settings

    config = AppConfig(tenants=TenantsFile.model_validate(tenants_yaml(n)), thresholds=Thresholds(),
                       tenants_path=Path("tenants.yaml"), thresholds_path=Path("thresholds.yaml"))
    started = time.perf_counter()
    defs = definitions_for(Project(config, Settings.from_env()))
    defs.get_repository_def().get_all_jobs()  # resolve jobs and the asset graph as a code server does
    return time.perf_counter() - started


class RunProcessMemory:
    """The peak resident memory (VmHWM) of every run process while it lives (Linux /proc): the code server starts
    each run as a multiprocessing child (`spawn_main`), older launchers as `dagster api execute_run`."""

    def __init__(self) -> None:
        self.peak_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> RunProcessMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for proc in Path("/proc").glob("[0-9]*"):
                try:
                    cmdline = (proc / "cmdline").read_bytes()
                    if b"execute_run" not in cmdline and b"spawn_main" not in cmdline:
                        continue
                    status = (proc / "status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        pid = int(proc.name)
                        self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), int(line.split()[1]))

    @property
    def peak_mb(self) -> float:
        return max(self.peak_kb.values(), default=0) / 1024


def vacuum(conn) -> None:
    """The source as autovacuum leaves it some time after a load: otherwise the VACUUM that millions of inserted rows
    trigger may run during the measured week, on the same two cores (docs/performance.md)."""
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM")


def production_storage(postgres_url: str) -> dict:
    """deploy/dagster.prod.yaml's instance storage, on the benchmark's own PostgreSQL database."""
    storage = yaml.safe_load((PROJECT / "deploy" / "dagster.prod.yaml").read_text(encoding="utf-8"))["storage"]
    storage["custom"]["config"]["postgres_url"] = postgres_url
    return storage


def in_process_floor(config, settings, keys: list[str]) -> list[float]:
    """Seconds of each partition's `execute_in_process` of weekly_risk_job, one at a time (an ephemeral instance)."""
    from dagster import DagsterInstance

    from risk_assets.definitions import definitions_for
    from risk_assets.defs.weekly.job import WEEKLY_JOB
    from risk_assets.partitions import partition_key, register_tenants
    from risk_assets.project import Project

    job = definitions_for(Project(config, settings)).resolve_job_def(WEEKLY_JOB)
    seconds = []
    with DagsterInstance.ephemeral() as instance:
        register_tenants(instance, keys)
        for key in keys:
            started = time.perf_counter()
            result = job.execute_in_process(partition_key=partition_key(WEEK, key), instance=instance)
            seconds.append(time.perf_counter() - started)
            assert result.success, key
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--floor-partitions", type=int, default=100, help="in-process floor over this many")
    parser.add_argument("--load-tenants", type=int, default=1000)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="risk-weekly-bench-"))
    root.chmod(0o711)
    (root / "config").mkdir()
    (root / "config" / "tenants.yaml").write_text(yaml.safe_dump(tenants_yaml(args.tenants), allow_unicode=True),
                                                  encoding="utf-8")
    shutil.copyfile(PROJECT / "config" / "thresholds.yaml.example", root / "config" / "thresholds.yaml")
    for name, folder in (("RISK_CONFIG_DIR", "config"), ("RISK_DATA_DIR", "data"), ("RISK_REPORTS_DIR", "reports"),
                         ("RISK_OUTBOX_DIR", "outbox"), ("DAGSTER_HOME", "dagster")):
        os.environ[name] = str(root / folder)
    for name in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL", "SMTP_HOST", "RISK_DAGSTER_URL", "RISK_BATCH_SIZE"):
        os.environ.pop(name, None)

    from risk_assets.cli import graphql
    from risk_assets.cli.dagster_service import dagster_service
    from risk_assets.cli.materialize import materialize, wait_for_sensor_deliveries
    from risk_assets.cli.runtime import databases
    from risk_assets.config import load_config
    from risk_assets.database.connection import connection
    from risk_assets.demo import DemoTenant, generate_demo, load_dataset
    from risk_assets.partitions import partition_key
    from risk_assets.project import Project
    from risk_assets.rendering import choose_renderer
    from risk_assets.resource_types import embedded_server
    from risk_assets.settings import Settings

    settings = Settings.from_env()
    config = load_config(settings.config_dir)
    quiet = lambda _message: None  # noqa: E731
    try:
        load_seconds = definitions_load_seconds(args.load_tenants)
        with databases(settings, progress=quiet) as dbs:
            started = time.perf_counter()
            dataset = generate_demo([DemoTenant(t.org_id, t.name, t.timezone, t.locale)
                                     for t in config.tenants.tenants],
                                    WEEK, weeks=4, students_per_tenant=args.students)
            with connection(dbs.source_url) as conn:
                load_dataset(conn, dataset)
                vacuum(conn)
            print(f"data: {len(dataset.students):,} students, {len(dataset.item_presentations):,} presentations, "
                  f"generated and loaded in {time.perf_counter() - started:.1f} s")
            dagster_url = embedded_server(settings).ensure_database("dagster").replace("postgresql://",
                                                                                        "postgresql+psycopg2://")
            instance_yaml = yaml.safe_load((PROJECT / "dagster.yaml").read_text(encoding="utf-8"))
            instance_yaml["storage"] = production_storage(dagster_url)
            (root / "dagster").mkdir(exist_ok=True)
            (root / "dagster" / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml), encoding="utf-8")

            # As `risk-report run`: the daemon starts once the backfill is launched (docs/orchestration.md).
            with dagster_service(settings, quiet, daemon_after_launch=True) as server, RunProcessMemory() as memory:
                since = time.time()
                started = time.perf_counter()
                _backfills, outcomes = materialize(server, [WEEK], config.tenants.keys, "weekly bench", "bench", quiet)
                pipeline = time.perf_counter() - started
                assert all(o.success for o in outcomes), [o.error for o in outcomes if not o.success][:3]
                reports = {str(partition_key(WEEK, key)) for key in config.tenants.keys}
                delivery_runs = wait_for_sensor_deliveries(server, since, reports, timeout=3600)
                all_in = time.perf_counter() - started
                runs = [graphql.run(server, run_id) for run_id in {o.run_id for o in outcomes}]
                deliveries = [graphql.run(server, run["runId"]) for run in delivery_runs]
            # The same databases and folders: the partitions are materialised again, one at a time.
            floor = in_process_floor(config, settings, config.tenants.keys[:args.floor_partitions])
        renderer = choose_renderer(Project(config, settings).report_renderer).reason  # as each run chose it
        report_bytes = statistics.median(path.stat().st_size for path in (root / "reports").glob("*/*_report.html"))
        run_seconds = [(r.get("endTime") or 0) - (r.get("startTime") or 0) for r in runs]
        n = args.tenants
        print("| measure | value |\n|---|---:|")
        print(f"| tenants × students | {n} × {args.students} |")
        print(f"| pipeline runs (batch.size {args.batch_size}, 2 at a time) | {len(runs)} |")
        print(f"| pipeline wall, launch → last run done | {pipeline:.1f} s |")
        print(f"| delivery runs (sensor) | {len(delivery_runs)} |")
        print(f"| all-in wall, launch → last report delivered | {all_in:.1f} s |")
        print(f"| **seconds per tenant, all-in** | **{all_in / n:.2f} s** |")
        print(f"| seconds per tenant, pipeline wall | {pipeline / n:.2f} s |")
        print(f"| a run's own time (RUN_START → end), median | {statistics.median(run_seconds):.1f} s |")
        print(f"| peak resident memory of a run process | {memory.peak_mb:.0f} MB |")
        print(f"| {renderer}; a report's bytes, median | {report_bytes:,.0f} |")
        for kind, timed in (("a run", runs), ("a delivery run", deliveries)):
            for r in sorted(timed, key=lambda r: r["creationTime"]):
                print(f"| {kind}: created, started, ended (s after launch) | {r['creationTime'] - since:.1f}, "
                      f"{(r.get('startTime') or 0) - since:.1f}, {(r.get('endTime') or 0) - since:.1f} |")
        if floor:
            print(f"| in-process floor: one partition's execute_in_process, median of {len(floor)} | "
                  f"{statistics.median(floor):.2f} s |")
            print(f"| daemon all-in per tenant ÷ in-process floor | {all_in / n / statistics.median(floor):.2f} |")
        print(f"| definitions load, {args.load_tenants} tenants | {load_seconds:.2f} s |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
