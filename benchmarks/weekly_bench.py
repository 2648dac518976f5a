"""One synthetic week, 100 tenants × 200 students, the real way: daemon, QueuedRunCoordinator (2 concurrent
runs), default run launcher, one run per partition, then the report_delivery sensor delivering to the outbox.

Starts its own embedded PostgreSQL in a temporary folder (source, results and the Dagster instance's storage),
loads demo data, starts `dagster dev`, starts the sensor by its first tick, launches the week's 100 partitions as
one asset backfill through GraphQL (as the UI and `risk-report run` do), waits for every run and every delivery,
and prints wall times, seconds per tenant, per-run cost and start-up. Also times loading the definitions with
1,000 tenants.

    .venv/bin/python benchmarks/weekly_bench.py [--tenants 100] [--students 200] [--load-tenants 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
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
    from risk_assets.project import build_definitions
    from risk_assets.settings import Settings

    config = AppConfig(tenants=TenantsFile.model_validate(tenants_yaml(n)), thresholds=Thresholds(),
                       tenants_path=Path("tenants.yaml"), thresholds_path=Path("thresholds.yaml"))
    started = time.perf_counter()
    defs = build_definitions(config, Settings.from_env())
    defs.get_repository_def().get_all_jobs()  # resolve jobs and the asset graph as a code server does
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--students", type=int, default=200)
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
    for name in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL", "SMTP_HOST", "RISK_DAGSTER_URL"):
        os.environ.pop(name, None)

    from risk_assets.cli import graphql
    from risk_assets.cli.dagster_service import dagster_service
    from risk_assets.cli.materialize import (
        materialize,
        wait_for_sensor_deliveries,
        wait_for_sensor_start,
    )
    from risk_assets.cli.runtime import databases
    from risk_assets.config import load_config
    from risk_assets.database.connection import connection
    from risk_assets.demo import DemoTenant, generate_demo, load_dataset
    from risk_assets.partitions import partition_key
    from risk_assets.resources import embedded_server
    from risk_assets.settings import Settings

    settings = Settings.from_env()
    config = load_config(settings.config_dir)
    quiet = lambda _message: None  # noqa: E731
    try:
        load_seconds = definitions_load_seconds(args.load_tenants)
        with databases(settings, progress=quiet) as dbs:
            started = time.perf_counter()
            dataset = generate_demo([DemoTenant(t.org_id, t.name, t.timezone, t.locale) for t in config.tenants.tenants],
                                    WEEK, weeks=4, students_per_tenant=args.students)
            with connection(dbs.source_url) as conn:
                load_dataset(conn, dataset)
            print(f"data: {len(dataset.students):,} students, {len(dataset.item_presentations):,} presentations, "
                  f"generated and loaded in {time.perf_counter() - started:.1f} s")
            dagster_url = embedded_server(settings).ensure_database("dagster").replace("postgresql://",
                                                                                        "postgresql+psycopg2://")
            instance_yaml = yaml.safe_load((PROJECT / "dagster.yaml").read_text(encoding="utf-8"))
            instance_yaml["storage"] = {"postgres": {"postgres_url": dagster_url}}
            (root / "dagster").mkdir(exist_ok=True)
            (root / "dagster" / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml), encoding="utf-8")

            with dagster_service(settings, quiet) as server:
                wait_for_sensor_start(server, "report_delivery")
                since = time.time()
                started = time.perf_counter()
                _backfill, outcomes = materialize(server, [WEEK], config.tenants.keys, "weekly bench", "bench", quiet)
                pipeline = time.perf_counter() - started
                assert all(o.success for o in outcomes), [o.error for o in outcomes if not o.success][:3]
                reports = {str(partition_key(WEEK, key)) for key in config.tenants.keys}
                delivery_runs = wait_for_sensor_deliveries(server, since, reports, timeout=900)
                all_in = time.perf_counter() - started
                runs = [graphql.run(server, o.run_id) for o in outcomes]
        seconds = [o.seconds for o in outcomes]
        n = args.tenants
        print("| measure | value |\n|---|---:|")
        print(f"| tenants × students | {n} × {args.students} |")
        print(f"| pipeline runs (one per partition, 2 at a time) | {len(runs)} |")
        print(f"| pipeline wall, launch → last run done | {pipeline:.1f} s |")
        print(f"| delivery runs (sensor) | {len(delivery_runs)} |")
        print(f"| all-in wall, launch → last report delivered | {all_in:.1f} s |")
        print(f"| seconds per tenant, all-in | {all_in / n:.2f} s |")
        print(f"| run time in its process (RUN_START → end), median | {statistics.median(seconds):.2f} s |")
        print(f"| per-run start-up and queue (wall × 2 / runs − median run time) | "
              f"{pipeline * 2 / len(runs) - statistics.median(seconds):.2f} s |")
        print(f"| definitions load, {args.load_tenants} tenants | {load_seconds:.2f} s |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
