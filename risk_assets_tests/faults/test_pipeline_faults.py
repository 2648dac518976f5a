"""Faults while the pipeline runs (docs/reliability.md, "Pipeline faults"): two runs of one partition at once, a
reports folder that is read-only or full, a run whose worker is killed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psycopg2
import pytest
from dagster import DagsterInstance

from risk_assets.defs.weekly.job import WEEKLY_JOB
from risk_assets.partitions import partition_key
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.delivery.conftest import WEEK
from risk_assets_tests.delivery.reports import definitions, materialize_partition, tenants
from risk_assets_tests.tenant_partitions import with_tenants


def _waiting_backends(risk_url: str) -> int:
    with psycopg2.connect(risk_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'")
        return cur.fetchone()[0]


def test_two_runs_of_one_partition_at_once_take_turns(env, risk_url):
    """This was a raw UniqueViolation on student_results_pkey in 2 of 3 tries. The test holds the school table
    so that both runs are inside tenant_summary's transaction at the same time, every time."""
    key = str(partition_key(WEEK, "alpha"))
    with DagsterInstance.ephemeral() as instance:  # the schema exists before the gate is closed
        materialize_partition(definitions(tenants()), instance, "alpha")
    gate = psycopg2.connect(risk_url)
    with gate.cursor() as cur:
        cur.execute("LOCK TABLE risk.tenant_weeks IN EXCLUSIVE MODE")  # readers pass, writers wait
    runs = [subprocess.Popen([sys.executable, "-m", "risk_assets_tests.faults.job_child", tenants().model_dump_json(),
                              "materialize", key], env=dict(os.environ), stdout=subprocess.PIPE,
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


def test_the_default_instance_monitors_runs(tmp_path):
    """A run whose worker dies is noticed: run monitoring is on in the instance `make demo`, `risk-report` and
    `risk-report ui` use."""
    shutil.copyfile(PROJECT_DIR / "dagster.yaml", tmp_path / "dagster.yaml")  # its storage goes to tmp_path
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_runtime_seconds == 3600
        assert instance.run_monitoring_start_timeout_seconds == 180


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs for the reports: real ENOSPC and EROFS from the kernel, not a mock."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): needs root with CAP_SYS_ADMIN")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _published(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def _run(defs, instance, tenant: str):
    return defs.resolve_job_def(WEEKLY_JOB).execute_in_process(
        partition_key=partition_key(WEEK, tenant), instance=with_tenants(instance, tenant), raise_on_error=False)


def _failure(result) -> str:
    return "; ".join(event.step_failure_data.error.message for event in result.all_events if event.is_step_failure)


def test_a_full_or_read_only_reports_folder_names_the_path_and_changes_nothing(env, source_conn, small_disk,
                                                                                monkeypatch):
    """This was a raw OSError without the path, and a summary.csv listing a school without its report and
    another with the previous run's figures."""
    monkeypatch.setenv("RISK_REPORTS_DIR", str(small_disk))
    defs = definitions(tenants())
    week_folder = small_disk / WEEK.isoformat()
    with DagsterInstance.ephemeral() as instance:
        for tenant in ("alpha", "beta"):
            assert _run(defs, instance, tenant).success
        before = _published(week_folder)
        with source_conn.cursor() as cur:  # new figures for both schools
            cur.execute("UPDATE theta_estimates SET theta = theta - 1 WHERE student_id IN "
                        "(SELECT student_id FROM students WHERE org_id IN (601, 602))")
        source_conn.commit()

        filler = small_disk / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, check=False)
        full = _run(defs, instance, "alpha")
        assert not full.success
        message = _failure(full)
        assert f"cannot write {small_disk}/" in message and "No space left on device; the disk is full" in message
        assert "Traceback" not in message
        assert _published(week_folder) == before

        filler.unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        read_only = _run(defs, instance, "beta")
        assert not read_only.success
        assert "Read-only file system; the file system is read-only" in _failure(read_only)
        assert _published(week_folder) == before
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)

        assert _run(defs, instance, "alpha").success
    after = _published(week_folder)
    assert {name for name in after if after[name] != before[name]} == {
        "alpha_students.csv", "alpha_summary.json", "alpha_report.html", "summary.csv"}
    table = pd.read_csv(week_folder / "summary.csv").set_index("tenant")
    for tenant in ("alpha", "beta"):
        summary = json.loads((week_folder / f"{tenant}_summary.json").read_text(encoding="utf-8"))
        assert table.loc[tenant, "crit_count"] == summary["levels"]["CRIT"]["count"]
        assert table.loc[tenant, "generated_at"] == summary["generated_at"]
