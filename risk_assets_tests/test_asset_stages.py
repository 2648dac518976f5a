"""The stages of the weekly step with Dagster's own test context (`dagster.build_asset_context`): the metadata each
attaches to its asset's materialisation and how each fails, without a run, a daemon or a database. Seconds.

The step itself (`weekly_risk`, many partitions per run) is tested through runs: test_weekly_job.py, test_ui.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.defs.weekly import metrics as metrics_stage
from risk_assets.defs.weekly.snapshot import snapshot_metadata
from risk_assets.errors import UserError
from risk_assets.partition_files import STUDENTS
from risk_assets.project import Project
from risk_assets.resource_types import Storage
from risk_assets.settings import Settings
from risk_assets.snapshot import Snapshot
from risk_assets_tests.metrics.builder import SnapshotBuilder

WEEK = dt.date(2026, 11, 16)


def project(folder: Path, engine: str = "python") -> Project:
    tenants = TenantsFile.model_validate({"first_week": "2026-10-05", "metrics_engine": engine,
                                         "tenants": [{"key": "fixture", "org_id": 1, "name": "Fixture School"}]})
    config = AppConfig(tenants=tenants, thresholds=Thresholds(), tenants_path=folder / "tenants.yaml",
                       thresholds_path=folder / "thresholds.yaml")
    settings = Settings.from_env({"RISK_DATA_DIR": str(folder / "data"), "RISK_REPORTS_DIR": str(folder / "reports")})
    return Project(config, settings)


def dropping_and_steady() -> Snapshot:
    """Two students practising in the week: one whose θ fell 0.5 logit in 7 days (CRIT), one steady."""
    builder = SnapshotBuilder(WEEK)
    for theta_now in (0.0, 0.5):
        student = builder.student()
        builder.present(student, builder.days_before(2), "correct")
        builder.estimate(student, builder.days_before(9), 0.5, 0.2)
        builder.estimate(student, builder.days_before(2), theta_now, 0.2)
    return builder.build()


def compute(folder: Path, snapshot: Snapshot, engine: str = "python") -> tuple[pd.DataFrame, dict]:
    chosen = project(folder, engine)
    with dg.build_asset_context() as context:  # closes the context's ephemeral instance
        return metrics_stage.compute(chosen, context, dg.PipesSubprocessClient(),
                                     Storage.from_settings(chosen.settings), Thresholds(), snapshot)


def test_metrics_metadata_counts_levels_and_rows_and_stages_the_students_csv(tmp_path):
    frame, metadata = compute(tmp_path, dropping_and_steady())

    assert frame["level"].tolist() == ["CRIT", "OK"]  # OK judged on one domain of four: OK_PARTIAL in the counts
    assert metadata["students"] == metadata["dagster/row_count"] == 2
    assert (metadata["level/CRIT"], metadata["level/WARN"], metadata["level/OK"], metadata["level/OK_PARTIAL"]) == (
        1, 0, 0, 1)
    assert (metadata["theta/CRIT"], metadata["theta/OK"]) == (1, 1)
    assert (metadata["engine"], metadata["profile"]) == ("python", "legacy")
    assert "| 1000 | CRIT | THETA_DROP_7D_CRIT |" in metadata["top_flagged"].value
    staged = Storage.from_settings(project(tmp_path).settings).partition_files(WEEK, "fixture").staged(STUDENTS)
    assert pd.read_csv(staged)["student_id"].tolist() == [1000, 1001]


def test_metrics_that_fail_their_type_check_fail_the_partition_naming_the_column(tmp_path, monkeypatch):
    computed = metrics_stage.compute_metrics

    def wrong_level(snapshot, rules):
        frame = computed(snapshot, rules)
        frame.loc[0, "level"] = "SEVERE"
        return frame

    monkeypatch.setattr(metrics_stage, "compute_metrics", wrong_level)
    with pytest.raises(UserError) as failed:
        compute(tmp_path, dropping_and_steady())
    assert str(failed.value).startswith("metrics of tenant 'fixture' week 2026-11-16 failed their type check: ")
    assert "level" in str(failed.value)
    assert not (tmp_path / "data" / "metrics").exists()  # nothing stored for a partition that failed


def test_the_r_engine_without_rscript_fails_the_partition_before_r_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("RISK_RSCRIPT", str(tmp_path / "no-rscript"))
    with pytest.raises(UserError, match="RISK_RSCRIPT"):
        compute(tmp_path, dropping_and_steady(), engine="r")


def test_snapshot_metadata_counts_rows_and_notes_a_school_without_activity(tmp_path):
    taken = dropping_and_steady()
    metadata = snapshot_metadata(taken, tmp_path)
    assert (metadata["rows/students"], metadata["rows/presentations"], metadata["rows/theta"]) == (2, 2, 4)
    assert metadata["dagster/row_count"] == 2 and metadata["tenant"] == "fixture"
    assert "note" not in metadata

    quiet = SnapshotBuilder(WEEK)
    quiet.student()
    assert snapshot_metadata(quiet.build(), tmp_path)["note"] == ("no item presentations in the 14-day window: no "
                                                                  "activity")
