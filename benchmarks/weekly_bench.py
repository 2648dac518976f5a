"""One synthetic week, 100 tenants × 200 students, through the weekly schedule's batched run.

Starts its own embedded PostgreSQL in a temporary folder, loads demo data for the tenants, evaluates the
`weekly_risk` schedule at Monday 06:00 KST, executes the runs it requests (built-in renderer), delivers
every report to the outbox through the delivery job, and prints wall time, number of runs, seconds per
tenant and peak memory — next to the per-run cost of the unbatched way (one run per tenant).

    .venv/bin/python benchmarks/weekly_bench.py [--tenants 100] [--students 200] [--unbatched 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

WEEK = dt.date(2026, 11, 16)
TICK = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def tenants_yaml(n: int) -> dict:
    return {"first_week": dt.date(2026, 10, 5), "tenants": [
        {"key": f"school-{i:03d}", "org_id": 5000 + i, "name": f"학교 {i}", "locale": "ko" if i % 4 else "en"}
        for i in range(n)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--unbatched", type=int, default=5, help="tenants also run one run each, for comparison")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="risk-weekly-bench-"))
    root.chmod(0o711)
    config_dir = root / "config"
    config_dir.mkdir()
    (config_dir / "tenants.yaml").write_text(yaml.safe_dump(tenants_yaml(args.tenants), allow_unicode=True),
                                            encoding="utf-8")
    shutil.copyfile(Path(__file__).resolve().parents[1] / "config" / "thresholds.yaml.example",
                    config_dir / "thresholds.yaml")
    for name, folder in (("RISK_CONFIG_DIR", "config"), ("RISK_DATA_DIR", "data"), ("RISK_REPORTS_DIR", "reports"),
                         ("RISK_OUTBOX_DIR", "outbox"), ("DAGSTER_HOME", "dagster")):
        os.environ[name] = str(root / folder)
    (root / "dagster").mkdir()
    (root / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for name in ("SOURCE_DATABASE_URL", "RISK_DATABASE_URL", "SMTP_HOST"):
        os.environ.pop(name, None)

    from dagster import DagsterInstance, build_schedule_context

    from risk_assets.cli.runtime import databases
    from risk_assets.config import load_config
    from risk_assets.database.connection import connection
    from risk_assets.demo import DemoTenant, generate_demo, load_dataset
    from risk_assets.graph import BATCH_JOB, WEEKLY_JOB, build_definitions
    from risk_assets.jobs.delivery import DELIVERY_JOB
    from risk_assets.partitions import partition_key
    from risk_assets.settings import Settings

    settings = Settings.from_env()
    config = load_config(settings.config_dir)
    try:
        with databases(settings, progress=lambda _m: None) as dbs:
            started = time.perf_counter()
            dataset = generate_demo([DemoTenant(t.org_id, t.name, t.timezone, t.locale) for t in config.tenants.tenants],
                                    WEEK, weeks=4, students_per_tenant=args.students)
            with connection(dbs.source_url) as conn:
                load_dataset(conn, dataset)
            print(f"data: {len(dataset.students):,} students, {len(dataset.item_presentations):,} presentations, "
                  f"generated and loaded in {time.perf_counter() - started:.1f} s")

            defs = build_definitions(config, settings)
            with DagsterInstance.get() as instance:
                schedule = defs.resolve_schedule_def("weekly_risk")
                requests = schedule.evaluate_tick(
                    build_schedule_context(instance=instance, scheduled_execution_time=TICK)).run_requests
                started = time.perf_counter()
                for request in requests:
                    result = defs.resolve_job_def(BATCH_JOB).execute_in_process(
                        instance=instance, tags=request.tags, raise_on_error=False,
                        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
                    assert result.success, "batched run failed"
                pipeline = time.perf_counter() - started
                started = time.perf_counter()
                for tenant in config.tenants.keys:
                    defs.resolve_job_def(DELIVERY_JOB).execute_in_process(
                        partition_key=partition_key(WEEK, tenant), instance=instance,
                        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
                delivery = time.perf_counter() - started

                started = time.perf_counter()
                for tenant in config.tenants.keys[: args.unbatched]:
                    defs.resolve_job_def(WEEKLY_JOB).execute_in_process(
                        partition_key=partition_key(WEEK, tenant), instance=instance,
                        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
                unbatched = (time.perf_counter() - started) / max(args.unbatched, 1)
        n = args.tenants
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("| measure | value |\n|---|---:|")
        print(f"| tenants × students | {n} × {args.students} |")
        print(f"| runs for the week (schedule) | {len(requests)} |")
        print(f"| batched pipeline run(s), wall | {pipeline:.1f} s |")
        print(f"| outbox delivery ({n} delivery runs), wall | {delivery:.1f} s |")
        print(f"| seconds per tenant, all-in | {(pipeline + delivery) / n:.2f} s |")
        print(f"| peak memory (RSS) | {peak:,.0f} MB |")
        print(f"| unbatched: one in-process run per tenant | {unbatched:.2f} s per tenant |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
