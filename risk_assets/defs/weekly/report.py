"""Asset `tenant_report`: one self-contained HTML report per tenant-week, rendered from quarto/ (a stage of
`weekly_risk`)."""

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import psycopg2.extensions

from risk_assets.csv_cells import neutralise_text
from risk_assets.defs.weekly.asset_conventions import code_version, weekly_spec
from risk_assets.errors import UserError
from risk_assets.files import write_atomically
from risk_assets.partition_files import REPORT
from risk_assets.project import Project
from risk_assets.rendering import Renderer, RenderSession
from risk_assets.report.brand import load_brand
from risk_assets.report.strings import STRINGS
from risk_assets.resource_types import Storage
from risk_assets.results.store import ResultsStore
from risk_assets.summary.week_table import week_table
from risk_assets.vocabulary import REPORT_LEVELS

SUMMARY_CSV = "summary.csv"


def headline_preview(summary: dict) -> str:
    """A markdown preview of the report's first screen, in the report's own language."""
    words = STRINGS[summary["locale"]]
    levels = summary["levels"]
    wow = summary["week_over_week"]
    lines = [f"**{summary['org_name']}** — {words['week']} {summary['week']} … {summary['week_end']}", "",
             "| " + " | ".join(words["levels"][level] for level in REPORT_LEVELS) + " |",
             "|" + "---:|" * len(REPORT_LEVELS),
             "| " + " | ".join(str(levels[level]["count"]) for level in REPORT_LEVELS) + " |"]
    if wow["available"]:
        lines += ["", f"{words['wow_title']}: {words['new']} {wow['new_warn_or_crit']}, "
                      f"{words['resolved']} {wow['resolved']}"]
    return "\n".join(lines)


def report_metadata(output: Path, summary: dict, renderer: Renderer) -> dict[str, object]:
    return {
        "report": dg.MetadataValue.path(str(output)),
        "open": dg.MetadataValue.url(output.resolve().as_uri()),
        **{f"level/{level}": summary["levels"][level]["count"] for level in REPORT_LEVELS},
        "students": summary["total_students"],
        "preview": dg.MetadataValue.md(headline_preview(summary)),
        "bytes": output.stat().st_size,
        "renderer": renderer.name if renderer.version is None else f"quarto {renderer.version}",
        "locale": summary["locale"],
    }


@contextmanager
def _discarded_on_failure(path: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def week_summary_csv(storage: Storage, conn: psycopg2.extensions.connection, week: dt.date) -> tuple[Path, int]:
    """`reports/<week>/summary.csv` rebuilt from the week's published summaries, so it lists exactly the schools
    whose reports landed, with their figures: once per week of a batch, one publisher of a week at a time.
    Returns the file and its number of schools."""
    folder = storage.reports_path / week.isoformat()
    with _week_locked(conn, week):
        summaries = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*_summary.json"))]
        table = week_table(summaries)
        csv_path = write_atomically(folder / SUMMARY_CSV, neutralise_text(table, ["org_name"]).to_csv(
            index=False, lineterminator="\n").encode("utf-8"))
    return csv_path, len(table)


@contextmanager
def _week_locked(conn: psycopg2.extensions.connection, week: dt.date) -> Iterator[None]:
    """One publisher of a week's files at a time (two runs may hold the same week, or the same partition)."""
    try:
        ResultsStore(conn).lock_week(week)
        yield
    finally:
        conn.rollback()  # the lock is the transaction's: ending it releases the lock


def report_spec(project: Project) -> dg.AssetSpec:
    template = project.report_template
    if not template.is_file():
        raise UserError(f"the report template {template} does not exist: fix report.template in tenants.yaml")
    load_brand(template.parent)  # a broken brand file is a configuration error, before any tenant is rendered
    return weekly_spec(
        "tenant_report",
        upstream="tenant_summary",
        kinds={"html", "quarto"},
        code_version=code_version(files=sorted(p for p in template.parent.rglob("*") if p.is_file())),
        description=(
            f"One self-contained HTML report per tenant-week (ko/en), rendered from `{template.name}` "
            "by Quarto or the built-in renderer (tenants.yaml `report.renderer`). Publishes "
            "`reports/<week>/<tenant>_report.html` together with the students CSV and summary JSON the earlier "
            "steps staged, then rebuilds `reports/<week>/summary.csv`; the report_delivery sensor sends each new one."
        ),
    )


def render(project: Project, session: RenderSession, storage: Storage, conn: psycopg2.extensions.connection,
           week: dt.date, tenant: str, run_id: str) -> dict[str, object]:
    """The partition's report rendered and published with its staged students CSV and summary JSON; with its
    metadata (summary.csv is rebuilt once per week of the batch: `week_summary_csv`)."""
    template = project.report_template
    files = storage.partition_files(week, tenant)
    inputs = files.report_inputs()
    if inputs is None:
        raise UserError(f"no summary or students file of tenant '{tenant}' for week {week}: materialise "
                        "`tenant_summary` for this partition first")
    summary_path, students_path = inputs
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    rendered = files.rendered_report(run_id)
    label = f"tenant '{tenant}', week {week}"
    with _discarded_on_failure(rendered):
        session.render(
            template,
            {"summary_path": str(summary_path), "students_path": str(students_path), "brand_dir": str(template.parent)},
            rendered,
            label=label,
            lang=project.config.tenants.get(tenant).locale,
        )
        with _week_locked(conn, week):
            files.publish(rendered)
    output = files.published(REPORT)
    return report_metadata(output, summary, session.renderer(label))
