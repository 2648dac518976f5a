"""Dagster's public idioms only: the dg project checks, and no private import or Dagster-internal tag anywhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from risk_assets.settings import PROJECT_DIR

PRIVATE = re.compile(r"^\s*(from|import)\s+dagster(_\w+)?\._|dagster/defer_asset_events|dagster/asset_partition_range",
                     re.MULTILINE)
SOURCES = ("risk_assets", "risk_assets_tests", "benchmarks", "r")
LISTED = {"assets": {"snapshot", "metrics", "tenant_summary", "tenant_report"},
          "asset_checks": {"has_activity"}, "jobs": {"weekly_risk_job", "delivery"},
          "schedules": {"weekly_risk_asia_seoul", "weekly_risk_america_new_york"}, "sensors": {"report_delivery"}}


def test_no_private_dagster_import_or_internal_tag():
    offenders = []
    for folder in SOURCES:
        for path in (PROJECT_DIR / folder).rglob("*.py"):
            if path.name == Path(__file__).name:
                continue
            for match in PRIVATE.finditer(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(PROJECT_DIR)}: {match.group(0).strip()}")
    assert offenders == []


def test_dg_check_defs_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run([str(Path(sys.executable).parent / "dg"), "check", "defs"], env=env, cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout + result.stderr


def test_dg_list_defs_shows_the_graph_schedules_and_sensor(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "COLUMNS": "250"}
    result = subprocess.run([str(Path(sys.executable).parent / "dg"), "list", "defs", "--json"], env=env,
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    # Each name is looked for among the definitions of its own kind: "delivery" must be a job, not a substring
    # of the report_delivery sensor.
    names = {kind: {item.get("name", item.get("asset_key")) for item in listed[kind]} for kind in LISTED}
    missing = {kind: sorted(expected - names[kind]) for kind, expected in LISTED.items() if expected - names[kind]}
    assert missing == {}
