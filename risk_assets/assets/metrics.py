"""Asset `metrics`: per-student risk levels for one tenant-week, from its snapshot."""

import io
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    BetaWarning,
    Failure,
    MetadataValue,
    MultiPartitionsDefinition,
    PipesSubprocessClient,
    asset,
    check_dagster_type,
)

# Raised by the Pipes client when the R process fails; Dagster does not export it at the top level.
from dagster._core.errors import DagsterPipesExecutionError
from dagster_pandas import PandasColumn, create_dagster_pandas_dataframe_type

from risk_assets.assets.batching import for_each_partition, is_batched
from risk_assets.config import AppConfig, Thresholds
from risk_assets.files import write_atomically
from risk_assets.metrics import SPEC_VERSION, STUDENT_COLUMNS, compute_metrics, r_engine
from risk_assets.metrics.exchange import export_snapshot
from risk_assets.metrics.levels import LEVEL_ORDER
from risk_assets.metrics.student_table import students_csv_path, to_csv_bytes
from risk_assets.resources import Storage
from risk_assets.snapshot.checks import has_activity

DOMAIN_STATUSES = ("CRIT", "WARN", "OK", "INSUFFICIENT")
_INTEGER_COLUMNS = {"student_id", "n_presented", "n_omitted", "n_not_reached", "n_guess_items", "sched_week",
                    "absent_week", "sched_2wk", "absent_2wk", "att_missing_days", "max_streak", "n_late"}
_TEXT_COLUMNS = {"display_name", "class_name", "reason_codes"}


def _column(name: str) -> PandasColumn:
    if name == "level":
        return PandasColumn.categorical_column(name, categories=set(LEVEL_ORDER), non_nullable=True)
    if name.endswith("_status"):
        return PandasColumn.categorical_column(name, categories=set(DOMAIN_STATUSES), non_nullable=True)
    if name in _INTEGER_COLUMNS:
        return PandasColumn.integer_column(name, non_nullable=True, min_value=0)
    if name == "n_guess_hard":
        return PandasColumn.integer_column(name, ignore_missing_vals=True, min_value=0)
    if name == "coverage":
        return PandasColumn.float_column(name, min_value=0, max_value=1, non_nullable=True)
    if name in _TEXT_COLUMNS:
        return PandasColumn.exists(name, non_nullable=name != "class_name")
    return PandasColumn.float_column(name, ignore_missing_vals=True)


with warnings.catch_warnings():
    # dagster-pandas marks its column API beta; we pin the version, so the warning is noise.
    warnings.simplefilter("ignore", BetaWarning)
    StudentMetrics = create_dagster_pandas_dataframe_type(
        name="StudentMetrics",
        description="One row per counted student: level, coverage, reason codes and every number behind them.",
        columns=[_column(name) for name in STUDENT_COLUMNS],
    )


def level_counts(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["level"].value_counts()
    return {level: int(counts.get(level, 0)) for level in LEVEL_ORDER}


def _top_flagged(frame: pd.DataFrame, limit: int = 10) -> str:
    """Markdown table of the most severe students, by id only (no names in metadata)."""
    flagged = frame.loc[frame["level"].isin(["CRIT", "WARN"])].copy()
    flagged["_rank"] = flagged["level"].map({"CRIT": 0, "WARN": 1})
    flagged["_domains"] = (flagged[[f"{d}_status" for d in ("theta", "omit", "guess", "attendance")]]
                           .isin(["CRIT", "WARN"]).sum(axis=1))
    top = flagged.sort_values(["_rank", "_domains", "student_id"], ascending=[True, False, True]).head(limit)
    out = io.StringIO()
    out.write("| student_id | level | flags |\n|---|---|---|\n")
    for row in top.itertuples():
        flags = [code for code in row.reason_codes.split(";") if not code.startswith(("INSUFF_", "NO_ACTIVITY"))]
        out.write(f"| {row.student_id} | {row.level} | {', '.join(flags)} |\n")
    return out.getvalue()


def metrics_metadata(frame: pd.DataFrame, config: AppConfig, seconds: float, csv_path,
                     quality: dict[str, int], engine: str = "python") -> dict[str, object]:
    metadata: dict[str, object] = {
        "students": len(frame),
        **{f"level/{level}": n for level, n in level_counts(frame).items()},
        "level/OK (partial)": int(((frame["level"] == "OK") & (frame["coverage"] < 1)).sum()),
        "profile": config.thresholds.profile,
        "spec_version": SPEC_VERSION,
        "engine": engine,
        "runtime_seconds": round(seconds, 4),
        "csv": MetadataValue.path(str(csv_path)),
        "top_flagged": MetadataValue.md(_top_flagged(frame)),
        # Dirty source rows the snapshot kept away from the formulas.
        "data_quality": MetadataValue.json(dict(sorted(quality.items()))),
    }
    for domain in ("theta", "omit", "guess", "attendance"):
        counts = frame[f"{domain}_status"].value_counts()
        for status in DOMAIN_STATUSES:
            metadata[f"{domain}/{status}"] = int(counts.get(status, 0))
    return metadata


def compute_with_r(context: AssetExecutionContext, pipes: PipesSubprocessClient, snapshot,
                   thresholds: Thresholds) -> pd.DataFrame:
    """The R engine (r/compute_metrics.R) through Dagster Pipes, on the snapshot exported as CSV."""
    with tempfile.TemporaryDirectory(prefix="risk-r-") as scratch:
        folder = Path(scratch)
        command = r_engine.command(export_snapshot(snapshot, folder / "snapshot"),
                                   r_engine.write_thresholds(thresholds, folder / "thresholds.yaml"),
                                   folder / "students.csv")
        try:
            pipes.run(command=command, context=context)
        except DagsterPipesExecutionError as exc:
            raise Failure(description=f"the R engine failed for tenant '{snapshot.tenant}' week {snapshot.week}: "
                                      f"{exc} (R's own message, 'compute_metrics.R: …', is in the run log)",
                          allow_retries=False) from None
        return r_engine.read_result(folder / "students.csv")


def build_metrics_asset(config: AppConfig, partitions: MultiPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="metrics",
        partitions_def=partitions,
        deps=[AssetDep("snapshot")],
        backfill_policy=BackfillPolicy.single_run(),
        group_name="weekly_risk",
        kinds={"pandas", "csv"},
        description=(
            "Per-student risk metrics (spec v1): Δθ and 3-week decline, omit rate, c_hat, attendance → "
            "OK / WARN / CRIT with reason codes. Writes reports/<week>/<tenant>_students.csv."
        ),
    )
    def metrics(context: AssetExecutionContext, storage: Storage, pipes_subprocess_client: PipesSubprocessClient):
        batched = is_batched(context)
        engine = config.tenants.metrics_engine

        def compute(week, tenant) -> dict:
            try:
                snapshot = storage.snapshots().read(week, tenant)
            except FileNotFoundError:
                raise Failure(description=f"no snapshot of tenant '{tenant}' for week {week}: materialise "
                                          "`snapshot` for this partition first", allow_retries=False) from None
            if batched:
                # The blocking activity check covers a single-partition run; a batch applies it per tenant.
                activity = has_activity(snapshot, config.tenants.get(tenant).enabled)
                if not activity.passed:
                    raise Failure(description=f"held: {activity.description}")
            started = time.perf_counter()
            if engine == "r":
                frame = compute_with_r(context, pipes_subprocess_client, snapshot, config.thresholds)
            else:
                frame = compute_metrics(snapshot, config.thresholds)
            seconds = time.perf_counter() - started
            checked = check_dagster_type(StudentMetrics, frame)
            if not checked.success:
                raise Failure(description=f"metrics output failed its type check: {checked.description}")
            csv_path = write_atomically(students_csv_path(storage.reports_path, week, tenant), to_csv_bytes(frame))
            write_atomically(storage.metrics_file(week, tenant), frame.to_parquet(index=False))
            context.log.info("metrics %s week %s: %s", tenant, week, level_counts(frame))
            return metrics_metadata(frame, config, seconds, csv_path, snapshot.quality, engine)

        yield from for_each_partition(context, compute, upstream="snapshot")

    return metrics
