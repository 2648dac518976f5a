"""Asset `metrics`: per-student risk levels for one tenant-week, from its snapshot (a stage of `weekly_risk`)."""

import datetime as dt
import io
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_pandas import PandasColumn

from risk_assets.config import Thresholds
from risk_assets.defs.weekly.asset_conventions import COLUMN_SCHEMA, ROW_COUNT, code_version, column_schema, weekly_spec
from risk_assets.errors import UserError
from risk_assets.files import write_atomically
from risk_assets.frame_checks import column_violation
from risk_assets.metrics import compute_metrics, r_engine
from risk_assets.metrics.engagement import require_response_times
from risk_assets.metrics.exchange import export_snapshot
from risk_assets.metrics.student_table import to_csv_bytes
from risk_assets.partition_files import STUDENTS
from risk_assets.project import Project
from risk_assets.resource_types import Storage
from risk_assets.snapshot import Snapshot
from risk_assets.summary.figures import level_counts
from risk_assets.vocabulary import (
    FLAGGED_LEVELS,
    INTEGER,
    LEVELS,
    NULLABLE_INTEGER,
    NUMBER,
    OPTIONAL_DOMAINS,
    SPEC_VERSION,
    STATUSES,
    STUDENT_COLUMN_KINDS,
    STUDENT_COLUMNS,
    TEXT,
    active_domains,
    is_flag,
)

OPTIONAL_STATUSES = {f"{domain}_status" for domain in OPTIONAL_DOMAINS}


def _column(name: str) -> PandasColumn:
    if name == "level":
        return PandasColumn.categorical_column(name, categories=set(LEVELS), non_nullable=True)
    if name in OPTIONAL_STATUSES:  # empty while the domain is off
        return PandasColumn.categorical_column(name, categories=set(STATUSES), ignore_missing_vals=True)
    if name.endswith("_status"):
        return PandasColumn.categorical_column(name, categories=set(STATUSES), non_nullable=True)
    kind = STUDENT_COLUMN_KINDS[name]
    if kind == INTEGER:
        return PandasColumn.integer_column(name, non_nullable=True, min_value=0)
    if kind == NULLABLE_INTEGER:
        return PandasColumn.integer_column(name, ignore_missing_vals=True, min_value=0)
    if name == "coverage":
        return PandasColumn.float_column(name, min_value=0, max_value=1, non_nullable=True)
    if kind == TEXT:
        return PandasColumn.exists(name, non_nullable=name != "class_name")
    return PandasColumn.float_column(name, ignore_missing_vals=True)


with warnings.catch_warnings():
    # dagster-pandas marks its column API beta; we pin the version, so the warning is noise.
    warnings.simplefilter("ignore", dg.BetaWarning)
    # One row per counted student: level, coverage, reason codes and every number behind them.
    STUDENT_METRICS_COLUMNS = [_column(name) for name in STUDENT_COLUMNS]


def _top_flagged(frame: pd.DataFrame, limit: int = 10) -> str:
    """Markdown table of the most severe students, by id only (no names in metadata)."""
    flagged = frame.loc[frame["level"].isin(FLAGGED_LEVELS)].copy()
    flagged["_rank"] = flagged["level"].map({level: rank for rank, level in enumerate(FLAGGED_LEVELS)})
    flagged["_domains"] = flagged[[f"{d}_status" for d in active_domains(frame)]].isin(FLAGGED_LEVELS).sum(axis=1)
    top = flagged.sort_values(["_rank", "_domains", "student_id"], ascending=[True, False, True]).head(limit)
    out = io.StringIO()
    out.write("| student_id | level | flags |\n|---|---|---|\n")
    for row in top.itertuples():
        flags = [code for code in row.reason_codes.split(";") if code and is_flag(code)]
        out.write(f"| {row.student_id} | {row.level} | {', '.join(flags)} |\n")
    return out.getvalue()


def metrics_metadata(frame: pd.DataFrame, thresholds: Thresholds, seconds: float, csv_path,
                     quality: dict[str, int], engine: str = "python") -> dict[str, object]:
    metadata: dict[str, object] = {
        "students": len(frame),
        ROW_COUNT: len(frame),
        **{f"level/{level}": n for level, n in level_counts(frame).items()},
        "profile": thresholds.profile,
        "spec_version": SPEC_VERSION,
        "engine": engine,
        "runtime_seconds": round(seconds, 4),
        "csv": dg.MetadataValue.path(str(csv_path)),
        "top_flagged": dg.MetadataValue.md(_top_flagged(frame)),
        # Dirty source rows the snapshot kept away from the formulas.
        "data_quality": dg.MetadataValue.json(dict(sorted(quality.items()))),
    }
    for domain in active_domains(frame):
        counts = frame[f"{domain}_status"].value_counts()
        for status in STATUSES:
            metadata[f"{domain}/{status}"] = int(counts.get(status, 0))
    return metadata


def compute_with_r(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient, snapshot,
                   thresholds: Thresholds) -> pd.DataFrame:
    """The R engine (r/compute_metrics.R) through Dagster Pipes, on the snapshot exported as its column files."""
    if thresholds.engagement.enabled:
        require_response_times(snapshot.item_times)  # the same error as the Python engine's, before R starts
    with tempfile.TemporaryDirectory(prefix="risk-r-") as scratch:
        folder = Path(scratch)
        command = r_engine.command(export_snapshot(snapshot, folder / "snapshot"),
                                   r_engine.write_thresholds(thresholds, folder / "thresholds.yaml"),
                                   folder / "students.csv")
        try:
            pipes.run(command=command, context=context)
        except Exception as exc:  # noqa: BLE001 — Pipes raises DagsterPipesExecutionError, not exported publicly
            raise UserError(f"the R engine failed for tenant '{snapshot.tenant}' week {snapshot.week}: {exc} (R's own "
                            "message, 'compute_metrics.R: …', is in the run log)") from None
        return r_engine.read_result(folder / "students.csv")


def _catalog_column(name: str) -> tuple[str, str, str, bool]:
    """(name, type, description, nullable) of a students-table column for the catalog, from the vocabulary."""
    if name == "level":
        return name, "category", f"one of {', '.join(LEVELS)}", False
    if name.endswith("_status"):
        return name, "category", f"one of {', '.join(STATUSES)}", name in OPTIONAL_STATUSES
    kind = STUDENT_COLUMN_KINDS[name]
    return name, kind, "", kind in (NULLABLE_INTEGER, NUMBER) or name == "class_name"


def metrics_spec(project: Project) -> dg.AssetSpec:
    engine = project.config.tenants.metrics_engine
    engine_sources = [r_engine.R_SCRIPT] if engine == "r" else []
    return weekly_spec(
        "metrics",
        upstream="snapshot",
        kinds={"pandas", "csv"} | ({"r"} if engine == "r" else set()),
        code_version=code_version(SPEC_VERSION, engine, *engine_sources),
        metadata={COLUMN_SCHEMA: column_schema(_catalog_column(name) for name in STUDENT_COLUMNS)},
        description=(
            "Per-student risk metrics (spec v1): Δθ over 7 and 14 days and the 3-week decline, omit rate, "
            "c_hat, absences → OK / WARN / CRIT / INSUFFICIENT_DATA with reason codes. Writes "
            "`reports/<week>/<tenant>_students.csv`."
        ),
    )


def stored_snapshot(storage: Storage, week: dt.date, tenant: str) -> Snapshot:
    try:
        return storage.snapshots().read(week, tenant)
    except FileNotFoundError:
        raise UserError(f"no snapshot of tenant '{tenant}' for week {week}: materialise `snapshot` for this "
                        "partition first") from None


def compute(project: Project, context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient, storage: Storage,
            rules: Thresholds, snapshot: Snapshot) -> tuple[pd.DataFrame, dict[str, object]]:
    """The partition's metrics, type-checked and stored (students CSV staged, Parquet); with their metadata."""
    engine = project.config.tenants.metrics_engine
    week, tenant = snapshot.week, snapshot.tenant
    started = time.perf_counter()
    frame = compute_with_r(context, pipes, snapshot, rules) if engine == "r" else compute_metrics(snapshot, rules)
    seconds = time.perf_counter() - started
    violation = column_violation(frame, STUDENT_METRICS_COLUMNS)
    if violation:
        raise UserError(f"metrics of tenant '{tenant}' week {week} failed their type check: {violation}")
    csv_path = write_atomically(storage.partition_files(week, tenant).staged(STUDENTS), to_csv_bytes(frame))
    write_atomically(storage.metrics_file(week, tenant), frame.to_parquet(index=False))
    context.log.info("metrics %s week %s: %s", tenant, week, level_counts(frame))
    return frame, metrics_metadata(frame, rules, seconds, csv_path, snapshot.quality, engine)
