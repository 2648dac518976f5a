"""Detection scoring, and `risk-report validate` end to end on a small synthetic tenant."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys

import pandas as pd

from risk_assets.settings import PROJECT_DIR
from risk_assets.validation import detection_table
from risk_assets_tests.conftest import traversable_tmp_dir


def test_detection_table_counts_precision_recall_and_false_flags():
    metrics = pd.DataFrame({
        "student_id": [1, 2, 3, 4, 5],
        "theta_status": ["CRIT", "WARN", "OK", "WARN", "INSUFFICIENT"],
        "omit_status": ["OK"] * 5, "guess_status": ["OK"] * 5, "attendance_status": ["OK"] * 5,
    })
    truth = pd.DataFrame({
        "student_id": [1, 2, 3, 4, 5],
        "group": ["theta_crit", "theta_warn", "theta_warn", "ordinary", "ordinary"],
        "expected_theta": ["CRIT", "WARN", "WARN", "OK", "OK"],
        "expected_omit": ["OK"] * 5, "expected_guess": ["OK"] * 5, "expected_attendance": ["OK"] * 5,
    })
    table = detection_table(metrics, truth, "legacy").set_index(["domain", "severity"])
    warn = table.loc[("theta", "WARN+")]
    assert (warn["true"], warn["flagged"]) == (3, 3)
    assert warn["precision"] == 2 / 3 and warn["recall"] == 2 / 3
    assert warn["false_flag_rate"] == 0.5  # student 4 of the two ordinary students
    crit = table.loc[("theta", "CRIT")]
    assert (crit["precision"], crit["recall"]) == (1.0, 1.0)
    omit = table.loc[("omit", "WARN+")]
    assert math.isnan(omit["precision"]) and math.isnan(omit["recall"]) and omit["false_flag_rate"] == 0.0


def test_validate_command_prints_both_profiles(tmp_path):
    data = traversable_tmp_dir("risk-test-validate-")
    env = {**os.environ, "RISK_DATA_DIR": str(data)}
    try:
        result = subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "validate", "--students", "300"],
                                env=env, capture_output=True, text=True, timeout=600, cwd=PROJECT_DIR)
    finally:
        subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "db", "stop"], env=env, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| legacy") or line.startswith("| reliable")]
    assert len(rows) == 20  # five domains (ENGAGEMENT is switched on for validation) × two severities × two profiles
    assert "| legacy | omit | WARN+ | 20 | 20 | 1.000 | 1.000 | 0.000 |" in rows
    assert "| legacy | engagement | WARN+ | 10 | 10 | 1.000 | 1.000 | 0.000 |" in rows
