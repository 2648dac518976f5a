"""Faults while the pipeline runs (issue 12, items 18-20): two runs of one partition at once, a reports folder that
is read-only or full, a run whose worker is killed."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg2
from dagster import DagsterInstance

from risk_assets.partitions import partition_key
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.delivery.test_delivery_flow import WEEK, definitions, materialise, tenants


def _waiting_backends(risk_url: str) -> int:
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return cur.fetchone()[0]


def test_two_runs_of_one_partition_at_once_take_turns(env, risk_url):
    """Item 18: was a raw UniqueViolation on student_results_pkey in 2 of 3 tries. The test holds the school table
    so that both runs are inside tenant_summary's transaction at the same time, every time."""
    key = str(partition_key(WEEK, "alpha"))
    with DagsterInstance.ephemeral() as instance:  # the schema exists before the gate is closed
        materialise(definitions(tenants()), instance, "alpha")
    gate = psycopg2.connect(risk_url)
    with gate.cursor() as cur:
        cur.execute("LOCK TABLE risk.tenant_weeks IN EXCLUSIVE MODE")  # readers pass, writers wait
    runs = [subprocess.Popen([sys.executable, "-m", "risk_assets_tests.faults.job_child", tenants().model_dump_json(),
                              "materialise", key], env=dict(os.environ), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    deadline = time.monotonic() + 120
    while _waiting_backends(risk_url) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    gate.rollback()
    gate.close()
    outputs = [run.communicate(timeout=300)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0], "\n".join(outputs)
    assert not any("UniqueViolation" in output for output in outputs)
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT student_id) FROM risk.student_results WHERE tenant = 'alpha'")
        assert cur.fetchone() == (3, 3)
        cur.execute("SELECT count(*) FROM risk.tenant_weeks WHERE tenant = 'alpha'")
        assert cur.fetchone() == (1,)


def test_the_default_instance_monitors_runs():
    """Item 20: run monitoring is on in the instance `make demo`, `risk-report` and `risk-report ui` use."""
    home = PROJECT_DIR / "dagster.yaml"
    with DagsterInstance.from_config(str(home.parent), config_filename=home.name) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_runtime_seconds == 1800
        assert instance.run_monitoring_start_timeout_seconds == 180
