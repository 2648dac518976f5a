"""Asset `tenant_report`: one self-contained HTML report per tenant-week, rendered from quarto/."""

import json
from pathlib import Path

import dagster as dg

from risk_assets.defs.weekly.asset_conventions import code_version, weekly_asset
from risk_assets.defs.weekly.summary import summary_json_name
from risk_assets.errors import UserError
from risk_assets.failures import reported_to_dagster
from risk_assets.metrics.student_table import students_csv_path
from risk_assets.partitions import week_and_tenant
from risk_assets.project import Project, current_project
from risk_assets.rendering import Renderer, choose_renderer, render_report
from risk_assets.report.brand import load_brand
from risk_assets.report.strings import STRINGS
from risk_assets.resources import Storage
from risk_assets.vocabulary import REPORT_LEVELS


def report_name(tenant: str) -> str:
    return f"{tenant}_report.html"


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
            "by Quarto or the built-in renderer (tenants.yaml `report.renderer`). Writes "
            "`reports/<week>/<tenant>_report.html`; the report_delivery sensor sends each new one."
        ),
    )
    def tenant_report(context: dg.AssetExecutionContext, storage: Storage) -> dg.MaterializeResult:
        week, tenant = week_and_tenant(context)
        with reported_to_dagster():
            renderer = choose_renderer(project.report_renderer)
        context.log.info(renderer.reason)
        summary_path = storage.report_file(week, summary_json_name(tenant))
        students = students_csv_path(storage.reports_path, week, tenant)
        if not summary_path.exists() or not students.exists():
            raise dg.Failure(description=f"no summary or students file of tenant '{tenant}' for week {week}: "
                                         "materialise `tenant_summary` for this partition first", allow_retries=False)
        output = storage.report_file(week, report_name(tenant))
        with reported_to_dagster():  # a RenderError is the tenant's own: no retry
            render_report(
                template,
                {"summary_path": str(summary_path), "students_path": str(students), "brand_dir": str(template.parent)},
                output,
                label=f"tenant '{tenant}', week {week}",
                engine=renderer,
                lang=tenants.get(tenant).locale,
            )
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        context.log.info("report %s week %s: %s (%d bytes, %s)", tenant, week, output, output.stat().st_size,
                         renderer.name)
        return dg.MaterializeResult(metadata=report_metadata(output, summary, renderer))

    return tenant_report


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_report_asset(current_project())])
