"""Asset `tenant_report`: one self-contained HTML report per tenant-week, rendered from quarto/."""

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Failure,
    MetadataValue,
    MultiPartitionsDefinition,
    asset,
)

from risk_assets.assets.batching import for_each_partition
from risk_assets.assets.summary import summary_json_name
from risk_assets.config import AppConfig
from risk_assets.metrics.student_table import students_csv_path
from risk_assets.rendering import RenderError, quarto_available, render_report
from risk_assets.resources import Storage
from risk_assets.settings import PROJECT_DIR

TEMPLATE = PROJECT_DIR / "quarto" / "weekly_report.qmd"


def report_name(tenant: str) -> str:
    return f"{tenant}_report.html"


def build_report_asset(config: AppConfig, partitions: MultiPartitionsDefinition) -> AssetsDefinition:
    @asset(
        name="tenant_report",
        partitions_def=partitions,
        deps=[AssetDep("tenant_summary")],
        backfill_policy=BackfillPolicy.single_run(),
        group_name="weekly_risk",
        kinds={"html"},
        description=(
            "One self-contained HTML report per tenant-week (ko/en), rendered from quarto/weekly_report.qmd by "
            "Quarto when installed, else by the built-in renderer. Writes reports/<week>/<tenant>_report.html."
        ),
    )
    def tenant_report(context: AssetExecutionContext, storage: Storage):
        engine = "quarto" if quarto_available() else "builtin"

        def render(week, tenant) -> dict:
            summary = storage.report_file(week, summary_json_name(tenant))
            students = students_csv_path(storage.reports_path, week, tenant)
            if not summary.exists() or not students.exists():
                raise Failure(description=f"no summary or students file of tenant '{tenant}' for week {week}: "
                                          "materialise `tenant_summary` for this partition first", allow_retries=False)
            output = storage.report_file(week, report_name(tenant))
            try:
                render_report(
                    TEMPLATE,
                    {"summary_path": str(summary), "students_path": str(students), "brand_dir": str(TEMPLATE.parent)},
                    output,
                    label=f"tenant '{tenant}', week {week}",
                    engine=engine,
                    lang=config.tenants.get(tenant).locale,
                )
            except RenderError as exc:
                raise Failure(description=str(exc), allow_retries=False) from None
            size = output.stat().st_size
            context.log.info("report %s week %s: %s (%d bytes, %s)", tenant, week, output, size, engine)
            return {"report": MetadataValue.path(str(output)), "bytes": size, "renderer": engine,
                    "locale": config.tenants.get(tenant).locale}

        yield from for_each_partition(context, render, upstream="tenant_summary", final=True)

    return tenant_report
