"""`risk-report accuracy`: a larger synthetic tenant through snapshot and metrics, scored against truth."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd

from risk_assets.accuracy import detection_table, format_detection_table
from risk_assets.config import Tenant, Thresholds
from risk_assets.database.connection import connection
from risk_assets.database.embedded import EmbeddedPostgres
from risk_assets.demo import GENERATOR_VERSION, DemoTenant, generate_demo, load_dataset
from risk_assets.metrics import compute_metrics
from risk_assets.snapshot import take_snapshot
from risk_assets.window import ReportWindow

ACCURACY_DATABASE = "risk_accuracy"
ACCURACY_TENANT = Tenant(key="accuracy", org_id=9001, name="Accuracy School", timezone="Asia/Seoul")


def _fresh_database(server: EmbeddedPostgres, sql_dir) -> str:
    server.drop_database(ACCURACY_DATABASE)
    url = server.ensure_database(ACCURACY_DATABASE)
    with connection(url, purpose="accuracy database") as conn:
        with conn.cursor() as cur:
            cur.execute((sql_dir / "source_schema.sql").read_text(encoding="utf-8"))
        conn.commit()
    return url


def measure_accuracy(server: EmbeddedPostgres, sql_dir, week: dt.date, students: int, seed: int,
                   thresholds: dict[str, Thresholds], progress=print) -> pd.DataFrame:
    tenant = ACCURACY_TENANT
    progress(f"generating a synthetic tenant: {students} students, seed {seed}, generator {GENERATOR_VERSION}")
    dataset = generate_demo([DemoTenant(tenant.org_id, tenant.name, tenant.timezone, tenant.locale)], week,
                            seed=seed, students_per_tenant=students)
    url = _fresh_database(server, sql_dir)
    started = time.monotonic()
    with connection(url, purpose="accuracy database") as conn:
        load_dataset(conn, dataset)
    progress(f"  loaded in {time.monotonic() - started:.1f} s; taking the snapshot")
    snapshot = take_snapshot(url, sql_dir, tenant, ReportWindow(week, tenant.timezone))
    tables = []
    for profile, rules in thresholds.items():
        metrics = compute_metrics(snapshot, rules)
        tables.append(detection_table(metrics, dataset.ground_truth, profile))
    return pd.concat(tables, ignore_index=True)


def print_accuracy(table: pd.DataFrame) -> None:
    print()
    print(format_detection_table(table))
