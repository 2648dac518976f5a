"""Job `delivery`: send reports by e-mail and Slack (or to the outbox), exactly once per report and channel.

One run delivers a list of reports (the report_delivery sensor puts every new report of a tick in one run); a
report that fails does not stop the others, and the ledger makes a retry send only what was not sent.
"""


from pathlib import Path
from typing import Any

import dagster as dg

from risk_assets.config import TenantsFile
from risk_assets.database.connection import DatabaseUnavailable
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.delivery.ledger import FAILED, UNKNOWN, Ledger
from risk_assets.delivery.outbox import Outbox
from risk_assets.delivery.service import ChannelOutcome, Channels, deliver
from risk_assets.metrics.student_table import read_students_csv
from risk_assets.partition_files import REPORT, STUDENTS, SUMMARY
from risk_assets.partitions import split_partition_key
from risk_assets.resource_types import RiskDatabase, SlackApi, SmtpServer, Storage
from risk_assets.run_queue import PRIORITY_TAG

DELIVERY_JOB = "delivery"
DELIVERY_PRIORITY = "1"  # the weekly runs have the default, 0
ONLY_CHANNEL_TAG = "risk/only_channel"


class DeliveryRequest(dg.Config):
    reports: list[str]  # partition keys "<tenant>|<week>" of tenant_report, e.g. "seoul-central|2026-11-16"


def delivery_tags(reports: list[str]) -> dict[str, str]:
    """risk/tenant and risk/week of a delivery run (comma-separated when it covers several)."""
    keys = [split_partition_key(key) for key in reports]
    return {"risk/tenant": ",".join(sorted({tenant for _week, tenant in keys})),
            "risk/week": ",".join(sorted({week.isoformat() for week, _tenant in keys}))}


def run_config(reports: list[str]) -> dict:
    return {"ops": {"deliver_reports": {"config": {"reports": reports}}}}


def _deliver_one(tenants: TenantsFile, key: str, storage: Storage, conn, channels: Channels, run_id: str,
                 only: str | None) -> list[ChannelOutcome]:
    week, tenant_key = split_partition_key(key)
    tenant = tenants.get(tenant_key)
    files = storage.partition_files(week, tenant_key)
    summary, report = files.published(SUMMARY), files.published(REPORT)
    if not report.exists() or not summary.exists():
        raise DeliveryError(f"no report of tenant '{tenant_key}' for week {week} to deliver: materialise "
                            "`tenant_report` for this partition first")
    delivery = ReportDelivery.load(summary, report)
    students = (read_students_csv(files.published(STUDENTS))
                if tenant.delivery.include_student_names else None)
    return deliver(delivery, tenant, Ledger(conn), channels, run_id, students, only=only)


def _describe(outcomes: list[ChannelOutcome]) -> str:
    return ", ".join(f"{o.channel} {o.status}" + (f" via {o.destination}" if o.destination else "") for o in outcomes)


def build_delivery_job(tenants: TenantsFile, templates: Path, outbox: bool) -> dg.JobDefinition:
    """`templates`: the folder of the e-mail's template (the report template's templates/); `outbox`: whether an
    unconfigured channel writes to the outbox (RISK_DEPLOYMENT=local) — in production it is an error or skipped."""
    @dg.op(name="deliver_reports", description="E-mail and Slack for each report; what is not configured goes to the "
                                                "outbox (RISK_DEPLOYMENT=local) or is an error / skipped (production).")
    def deliver_reports(context: dg.OpExecutionContext, config: DeliveryRequest, storage: Storage,
                        risk_db: RiskDatabase, smtp: SmtpServer, slack: SlackApi) -> dg.Output[None]:
        results, failures = {}, []
        try:
            channels = Channels(smtp=smtp.settings(), outbox=Outbox(Path(storage.outbox_dir)) if outbox else None,
                                templates=templates, slack_base_url=slack.url(), slack_timeout=slack.timeout_seconds())
            with risk_db.connect(storage.sql_path) as conn:
                for key in config.reports:
                    try:
                        outcomes = _deliver_one(tenants, key, storage, conn, channels, context.run_id,
                                                context.run.tags.get(ONLY_CHANNEL_TAG))
                    except DeliveryError as exc:
                        failures.append(f"{key}: {exc}")
                        continue
                    results[key] = _describe(outcomes)
                    failures += [f"{key} {o.channel}: {o.detail}" for o in outcomes if o.status in (FAILED, UNKNOWN)]
                    context.log.info("delivered %s: %s", key, results[key])
        except (DeliveryError, DatabaseUnavailable) as exc:  # SMTP settings or the ledger: every report would fail
            raise dg.Failure(description=str(exc)) from None
        metadata: dict[str, Any] = {"reports": len(config.reports), "delivered": dg.MetadataValue.json(results)}
        if failures:
            raise dg.Failure(description="; ".join(failures), metadata=metadata)
        return dg.Output(None, metadata=metadata)

    # Ahead of the queued pipeline runs (Dagster's run queue launches higher priorities first): on a Monday of many
    # batches a school's report goes out minutes after it is written, not after the last batch (docs/delivery.md).
    @dg.job(name=DELIVERY_JOB, tags={"risk/pipeline": "delivery", PRIORITY_TAG: DELIVERY_PRIORITY},
            description="Delivers the reports named in its config (`reports: [<tenant>|<week>, …]`); launched by "
                        "the report_delivery sensor, by `risk-report resend`, or from the launchpad.")
    def delivery():
        deliver_reports()

    return delivery

