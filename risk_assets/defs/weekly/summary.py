"""Asset `tenant_summary`: the school's weekly figures, stored in PostgreSQL and staged as JSON (tenant_report
publishes it with the report). A stage of `weekly_risk`."""

import datetime as dt
import json

import dagster as dg
import pandas as pd
import psycopg2.extensions
from dagster import MetadataValue

from risk_assets.config import Thresholds
from risk_assets.defs.weekly.asset_conventions import code_version, weekly_spec
from risk_assets.errors import UserError
from risk_assets.files import write_atomically
from risk_assets.partition_files import STUDENTS, SUMMARY
from risk_assets.project import Project
from risk_assets.resource_types import Storage
from risk_assets.results.store import ResultsStore
from risk_assets.summary.figures import History, content_id, tenant_figures
from risk_assets.summary.trajectories import flagged_ids, trajectories, trajectory_weeks
from risk_assets.summary.week_table import school_counts
from risk_assets.vocabulary import SPEC_VERSION
from risk_assets.window import ReportWindow

WEEK = dt.timedelta(days=7)


def _tenant_row(figures: dict, payload: dict, org_name: str, profile: str, generated_at: dt.datetime) -> dict:
    """The row of risk.tenant_weeks (counts as summary.csv reports them)."""
    return {"org_name": org_name, **school_counts(figures), "profile": profile, "figures": payload,
            "generated_at": generated_at}


def _metadata(figures: dict, json_path) -> dict:
    wow = figures["week_over_week"]
    return {
        "students": figures["total_students"],
        **{f"level/{name}": value["count"] for name, value in figures["levels"].items()},
        "new_warn_or_crit": wow.get("new_warn_or_crit") if wow["available"] else "not available",
        "resolved": wow.get("resolved") if wow["available"] else "not available",
        "persistent": wow.get("persistent") if wow.get("persistent_available") else "not available",
        "summary_json (staged)": MetadataValue.path(str(json_path)),
    }


def summarise(tenants, thresholds: Thresholds, storage: Storage, conn: psycopg2.extensions.connection,
              week: dt.date, tenant_key: str) -> dict:
    """The partition's figures stored in schema `risk` (one transaction) and staged as JSON; their metadata."""
    tenant = tenants.get(tenant_key)
    try:
        frame = pd.read_parquet(storage.metrics_file(week, tenant_key))
    except FileNotFoundError:
        raise UserError(f"no metrics of tenant '{tenant_key}' for week {week}: materialise `metrics` for this "
                        "partition first") from None
    manifest = storage.snapshots().manifest(week, tenant_key)
    # The data's time, not the clock's: the same snapshot always gives the same summary and report.
    generated_at = dt.datetime.fromisoformat(manifest["taken_at"])
    store = ResultsStore(conn)
    history = History(store.levels(week - WEEK, tenant_key), store.levels(week - 2 * WEEK, tenant_key))
    figures = tenant_figures(frame, history, manifest["quality"])
    stored_weeks, earlier = store.trajectory_rows(tenant_key, trajectory_weeks(week)[:-1], flagged_ids(frame))
    payload = {
        "tenant": tenant_key,
        "org_name": tenant.name,  # the display name from tenants.yaml
        "source_org_name": manifest["org_name"],  # organizations.name in the source, for tracing
        "week": week.isoformat(),
        "week_end": (week + dt.timedelta(days=6)).isoformat(),
        "timezone": tenant.timezone,
        "cutoff": ReportWindow(week, tenant.timezone).cutoff.isoformat(),
        "locale": tenant.locale,
        "profile": thresholds.profile,
        "spec_version": SPEC_VERSION,
        "generated_at": generated_at.isoformat(),
        **figures,
        "thresholds": thresholds.model_dump(),
        "threshold_overrides": thresholds.overrides(),
        "trajectories": trajectories(frame, week, stored_weeks, earlier),
    }
    files = storage.partition_files(week, tenant_key)
    payload["content_id"] = content_id(payload, files.staged(STUDENTS).read_bytes())
    store.replace_partition(week, tenant_key, frame, _tenant_row(
        figures, payload, tenant.name, thresholds.profile, generated_at))
    json_path = write_atomically(files.staged(SUMMARY),
                                 json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"))
    return _metadata(figures, json_path)


def summary_spec(project: Project) -> dg.AssetSpec:
    return weekly_spec(
        "tenant_summary",
        upstream="metrics",
        kinds={"postgres", "json"},
        code_version=code_version(SPEC_VERSION, files=(project.settings.sql_dir / "risk_schema").glob("*.sql")),
        description=(
            "The school's figures for the week (docs/metrics.md: Student level): levels, domains, Δθ_14 spread, "
            "new / resolved / persistent against the stored earlier weeks, classes, data quality. Upserted into "
            "schema `risk`; stages `<tenant>_summary.json`, which tenant_report publishes in `reports/<week>/` with "
            "the report."
        ),
    )
