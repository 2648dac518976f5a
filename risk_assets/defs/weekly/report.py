"""Asset `tenant_report`: one self-contained HTML report per tenant-week, rendered from quarto/."""

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg

from risk_assets.csv_cells import neutralise_text
from risk_assets.defs.weekly.asset_conventions import code_version, weekly_asset
from risk_assets.errors import UserError
from risk_assets.failures import reported_to_dagster
from risk_assets.files import write_atomically
from risk_assets.partitions import week_and_tenant
from risk_assets.project import Project, current_project
from risk_assets.rendering import Renderer, choose_renderer, render_report
from risk_assets.report.brand import load_brand
from risk_assets.report.strings import STRINGS
from risk_assets.report_files import REPORT
from risk_assets.resources import RiskDatabase, Storage
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


def publish(storage: Storage, risk_db: RiskDatabase, week, tenant: str, rendered: Path) -> tuple[Path, int]:
    """The partition's three files published together, then summary.csv rebuilt from the week's published
    summaries, so it lists exactly the schools whose reports landed, with their figures (one publisher of a week
    at a time). Returns summary.csv and its number of schools."""
    files = storage.partition_files(week, tenant)
    with risk_db.connect(storage.sql_path) as conn, _discarded_on_failure(rendered):
        ResultsStore(conn).lock_week(week)
        files.publish(rendered)
        summaries = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(files.folder.glob("*_summary.json"))]
        table = week_table(summaries)
        csv_path = write_atomically(files.folder / SUMMARY_CSV, neutralise_text(table, ["org_name"]).to_csv(
            index=False, lineterminator="\n").encode("utf-8"))
        conn.commit()
    return csv_path, len(table)


def build_report_asset(project: Project) -> dg.AssetsDefinition:
    tenants = project.config.tenants
    template = project.report_template
    if not template.is_file():
        raise UserError(f"the report template {template} does not exist: fix report.template in tenants.yaml")
    load_brand(template.parent)  # a broken brand file is a configuration error, before any tenant is rendered

    @weekly_asset(
        project.partitions,
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
    def tenant_report(context: dg.AssetExecutionContext, storage: Storage, risk_db: RiskDatabase) -> dg.MaterializeResult:
        week, tenant = week_and_tenant(context)
        with reported_to_dagster():
            renderer = choose_renderer(project.report_renderer)
        context.log.info(renderer.reason)
        files = storage.partition_files(week, tenant)
        inputs = files.report_inputs()
        if inputs is None:
            raise dg.Failure(description=f"no summary or students file of tenant '{tenant}' for week {week}: "
                                         "materialise `tenant_summary` for this partition first", allow_retries=False)
        summary_path, students_path = inputs
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        rendered = files.rendered_report(context.run.run_id)
        with reported_to_dagster():  # a RenderError or a full disk is the tenant's own: no retry
            render_report(
                template,
                {"summary_path": str(summary_path), "students_path": str(students_path),
                 "brand_dir": str(template.parent)},
                rendered,
                label=f"tenant '{tenant}', week {week}",
                engine=renderer,
                lang=tenants.get(tenant).locale,
            )
            csv_path, schools = publish(storage, risk_db, week, tenant, rendered)
        output = files.published(REPORT)
        context.log.info("report %s week %s: %s (%d bytes, %s)", tenant, week, output, output.stat().st_size,
                         renderer.name)
        return dg.MaterializeResult(metadata={**report_metadata(output, summary, renderer),
                                              "summary_csv": dg.MetadataValue.path(str(csv_path)),
                                              "tenants_in_summary_csv": schools})

    return tenant_report


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_report_asset(current_project())])
