"""Running r/compute_metrics.R on an exported snapshot and comparing its CSV with the Python engine."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from risk_assets.config import Thresholds
from risk_assets.metrics import STUDENT_COLUMNS, compute_metrics
from risk_assets.metrics.exchange import export_snapshot
from risk_assets.settings import PROJECT_DIR
from risk_assets.snapshot.model import Snapshot
from risk_assets.vocabulary import ALL_DOMAINS, TEXT, columns_of_kind

R_SCRIPT = PROJECT_DIR / "r" / "compute_metrics.R"
R_PIPES = PROJECT_DIR / "r" / "pipes.R"
RSCRIPT = os.environ.get("RISK_RSCRIPT") or shutil.which("Rscript")
DEBIAN_PACKAGES = "r-base-core r-cran-data.table r-cran-jsonlite r-cran-yaml"

requires_r = pytest.mark.skipif(
    RSCRIPT is None, reason=f"Rscript is not installed (CI has it): apt-get install -y {DEBIAN_PACKAGES}"
)

TEXT_COLUMNS = columns_of_kind(TEXT)
EXACT_COLUMNS = ["level", "reason_codes", *(f"{domain}_status" for domain in ALL_DOMAINS)]
NUMERIC_COLUMNS = [c for c in STUDENT_COLUMNS if c not in TEXT_COLUMNS and c != "student_id"]
TOLERANCE = 1e-9

# Threshold files as an operator writes them: a profile, maybe some overrides; R applies the defaults.
THRESHOLD_FILES: dict[str, dict[str, Any]] = {
    "legacy": {"profile": "legacy"},
    "reliable": {"profile": "reliable"},
    "engagement": {"profile": "legacy", "engagement": {"enabled": True}},
}
# Every gate and knob moved at once, including alpha = 1 (the c_hat = 0 branch) and D != 1.
CUSTOM_THRESHOLDS: dict[str, Any] = {
    "profile": "reliable",
    "irt": {"D": 1.7},
    "theta": {"gate": "none", "delta_7d_warn": -0.1, "streak_eps": 0.01},
    "omit": {"warn_pct": 10, "min_presented": 10, "min_count": 1},
    "guess": {"prior_alpha": 1, "prior_beta": 3, "min_items": 20, "hard_p": 0.4, "gate": "none"},
    "attendance": {"two_week_warn_pct": 10, "max_missing_pct": 30, "streak_crit_days": 4},
    "engagement": {"enabled": True, "min_history": 30, "rt_fraction_pct": 15, "rt_cap_ms": 8000,
                   "default_threshold_ms": 2500, "min_answered": 15, "warn_pct": 5, "crit_pct": 20},
}


def r_environment(**extra: str) -> dict[str, str]:
    """The test's environment without Dagster Pipes variables: the script runs stand-alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_PIPES_")}
    env.update(extra)
    return env


def run_rscript(snapshot_dir: Path, thresholds_file: Path, out_csv: Path,
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    assert RSCRIPT is not None
    return subprocess.run(
        [RSCRIPT, "--vanilla", str(R_SCRIPT), str(snapshot_dir), str(thresholds_file), str(out_csv)],
        capture_output=True, text=True, env=dict(env) if env is not None else r_environment(), timeout=600,
        check=False,
    )


def write_yaml(mapping: Mapping[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(dict(mapping), sort_keys=True, allow_unicode=True), encoding="utf-8")
    return path


def read_r_csv(path: Path) -> pd.DataFrame:
    """The R engine's CSV read back exactly (round_trip: pandas' default float parser may be 1 ulp off)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""], float_precision="round_trip",
                       dtype={c: str for c in TEXT_COLUMNS}, encoding="utf-8")


def run_r(snapshot: Snapshot, thresholds_mapping: Mapping[str, Any], folder: Path) -> pd.DataFrame:
    """Export the snapshot, write the thresholds file, run the R engine, read its CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    snapshot_dir = export_snapshot(snapshot, folder / "snapshot")
    thresholds_file = write_yaml(thresholds_mapping, folder / "thresholds.yaml")
    out_csv = folder / "students.csv"
    done = run_rscript(snapshot_dir, thresholds_file, out_csv)
    assert done.returncode == 0, f"compute_metrics.R failed ({done.returncode}):\n{done.stderr}"
    assert "computed" in done.stderr
    return read_r_csv(out_csv)


def _text(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), "").astype(str).to_numpy()


def assert_parity(python: pd.DataFrame, r: pd.DataFrame, tolerance: float = TOLERANCE) -> None:
    """Identical students, levels, statuses and codes; every number within `tolerance`, NULLs in the same cells."""
    assert list(r.columns) == STUDENT_COLUMNS
    assert len(r) == len(python), f"R has {len(r)} students, Python {len(python)}"
    ids = python["student_id"].to_numpy(dtype=np.int64)
    np.testing.assert_array_equal(r["student_id"].to_numpy(dtype=np.int64), ids, err_msg="student_id order")
    problems = []
    for column in EXACT_COLUMNS + ["display_name", "class_name"]:
        differ = _text(python[column]) != _text(r[column])
        if differ.any():
            at = np.flatnonzero(differ)[:5]
            problems.append(f"{column}: {differ.sum()} differ, e.g. " + "; ".join(
                f"{ids[i]}: python {python[column].iloc[i]!r} / r {r[column].iloc[i]!r}" for i in at))
    for column in NUMERIC_COLUMNS:
        expected = pd.to_numeric(python[column], errors="raise").astype(float).to_numpy()
        got = r[column].astype(float).to_numpy()
        null_differs = np.isnan(expected) != np.isnan(got)
        both = ~np.isnan(expected) & ~np.isnan(got)
        far = np.zeros(len(ids), dtype=bool)
        far[both] = ~(np.abs(expected[both] - got[both]) <= tolerance)
        differ = null_differs | far
        if differ.any():
            at = np.flatnonzero(differ)[:5]
            problems.append(f"{column}: {differ.sum()} differ, e.g. " + "; ".join(
                f"{ids[i]}: python {expected[i]!r} / r {got[i]!r}" for i in at))
    assert not problems, "R and Python engines differ:\n" + "\n".join(problems)


def check_parity(snapshot: Snapshot, thresholds_mapping: Mapping[str, Any], folder: Path) -> pd.DataFrame:
    """Both engines on one snapshot; returns the Python result after asserting parity."""
    python = compute_metrics(snapshot, Thresholds.from_mapping(dict(thresholds_mapping)))
    r = run_r(snapshot, thresholds_mapping, folder)
    assert_parity(python, r)
    return python
