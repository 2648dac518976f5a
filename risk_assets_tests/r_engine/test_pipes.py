"""r/compute_metrics.R as a Dagster Pipes client (r/pipes.R) under PipesSubprocessClient, in a tiny asset."""


import logging
from pathlib import Path

import pytest
from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    OpExecutionContext,
    PipesSubprocessClient,
    asset,
    job,
    materialize,
    op,
)

from risk_assets.config import Thresholds
from risk_assets.metrics import SPEC_VERSION, compute_metrics
from risk_assets.metrics.exchange import export_snapshot

from .edge_cases import seoul_edge_cases
from .helpers import R_SCRIPT, RSCRIPT, read_r_csv, requires_r, write_yaml

pytestmark = requires_r

LEVELS = ("CRIT", "WARN", "OK", "INSUFFICIENT_DATA")


def run_in_dagster(snapshot_dir: Path, thresholds_file: Path, out_csv: Path):
    assert RSCRIPT is not None  # requires_r skips the module without it

    @asset(name="r_metrics")
    def r_metrics(context: AssetExecutionContext, pipes: PipesSubprocessClient):
        command = [RSCRIPT, "--vanilla", str(R_SCRIPT), str(snapshot_dir), str(thresholds_file), str(out_csv)]
        return pipes.run(command=command, context=context).get_materialize_result()

    instance = DagsterInstance.ephemeral()
    result = materialize([r_metrics], resources={"pipes": PipesSubprocessClient()}, instance=instance,
                         raise_on_error=False)
    return result, instance


@pytest.fixture(scope="module")
def snapshot():
    return seoul_edge_cases()


def test_materialization_carries_the_metadata_r_reported(snapshot, tmp_path):
    folder = export_snapshot(snapshot, tmp_path / "snapshot")
    thresholds = write_yaml({"profile": "reliable"}, tmp_path / "thresholds.yaml")
    result, instance = run_in_dagster(folder, thresholds, tmp_path / "students.csv")
    assert result.success

    [materialization] = result.asset_materializations_for_node("r_metrics")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    python = compute_metrics(snapshot, Thresholds.from_mapping({"profile": "reliable"}))
    assert metadata["engine"] == "r"
    assert metadata["spec_version"] == SPEC_VERSION
    assert metadata["profile"] == "reliable"
    assert metadata["students"] == len(python) == len(read_r_csv(tmp_path / "students.csv"))
    for level in LEVELS:
        assert metadata[f"level/{level}"] == int((python["level"] == level).sum()), level
    assert isinstance(metadata["students"], int) and isinstance(metadata["runtime_seconds"], float)

    logs = [entry for entry in instance.all_logs(result.run_id) if entry.user_message]
    assert any(f"computed {len(python)} students in" in entry.user_message and entry.level == logging.INFO
               for entry in logs)


def test_an_r_error_fails_the_run_with_the_r_message(snapshot, tmp_path):
    folder = export_snapshot(snapshot, tmp_path / "snapshot")
    (folder / "attendance" / "status.i32").unlink()
    thresholds = write_yaml({"profile": "legacy"}, tmp_path / "thresholds.yaml")
    result, instance = run_in_dagster(folder, thresholds, tmp_path / "students.csv")
    assert not result.success
    assert not (tmp_path / "students.csv").exists()

    message = f"snapshot folder {folder} lacks attendance/status.i32"
    entries = instance.all_logs(result.run_id)
    # The R script logs the error at ERROR level and closes the Pipes session with it as the exception ...
    assert any(message in entry.user_message and entry.level == logging.ERROR for entry in entries)
    closed = [entry.dagster_event.engine_event_data.error for entry in entries if entry.dagster_event
              and entry.dagster_event.is_engine_event and "closed with exception" in (entry.user_message or "")]
    assert closed and message in closed[0].message
    # ... and exits non-zero, which fails the step.
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error, chain = failure.step_failure_data.error, []
    while error is not None:
        chain.append(error.message)
        error = error.cause
    assert any("External execution process failed with code 1" in text for text in chain)
    assert not result.asset_materializations_for_node("r_metrics")


def test_an_op_gets_no_materialization_but_the_run_succeeds(snapshot, tmp_path):
    folder = export_snapshot(snapshot, tmp_path / "snapshot")
    thresholds = write_yaml({"profile": "legacy"}, tmp_path / "thresholds.yaml")
    command = [RSCRIPT, "--vanilla", str(R_SCRIPT), str(folder), str(thresholds), str(tmp_path / "students.csv")]

    @op
    def r_metrics_op(context: OpExecutionContext, pipes: PipesSubprocessClient):
        pipes.run(command=command, context=context)

    @job(resource_defs={"pipes": PipesSubprocessClient()})
    def r_job():
        r_metrics_op()

    instance = DagsterInstance.ephemeral()
    result = r_job.execute_in_process(instance=instance)
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.user_message]
    assert any("not reporting a materialization: the step targets 0 assets" in m for m in messages)
    assert len(read_r_csv(tmp_path / "students.csv")) == len(snapshot.students)
