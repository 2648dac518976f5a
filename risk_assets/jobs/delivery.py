"""Job `delivery`: send one tenant-week's report by e-mail and Slack (or to the outbox), exactly once."""

import pandas as pd
from dagster import (
    Failure,
    JobDefinition,
    MultiPartitionsDefinition,
    OpExecutionContext,
    Output,
    job,
    op,
)

from risk_assets.assets.report import report_name
from risk_assets.assets.summary import summary_json_name
from risk_assets.config import AppConfig
from risk_assets.database.connection import DatabaseUnavailable
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.delivery.ledger import Ledger
from risk_assets.delivery.outbox import Outbox
from risk_assets.delivery.service import Channels, deliver
from risk_assets.metrics.student_table import students_csv_path
from risk_assets.partitions import split_partition_key
from risk_assets.resources import RiskDatabase, SmtpServer, Storage
from risk_assets.snapshot.checks import has_activity

DELIVERY_JOB = "delivery"
ONLY_CHANNEL_TAG = "risk/only_channel"


def build_delivery_job(config: AppConfig, partitions: MultiPartitionsDefinition) -> JobDefinition:
    @op(name="deliver_report", description="E-mail and Slack for one report; the outbox for what is not configured.")
    def deliver_report(context: OpExecutionContext, storage: Storage, risk_db: RiskDatabase, smtp: SmtpServer):
        week, tenant_key = split_partition_key(context.partition_key)
        tenant = config.tenants.get(tenant_key)
        held = has_activity(storage.snapshots().read(week, tenant_key), tenant.enabled)
        if not held.passed:
            context.log.warning("delivery of %s week %s held: %s", tenant_key, week, held.description)
            yield Output(None, metadata={"held": held.description})
            return
        summary, report = storage.report_file(week, summary_json_name(tenant_key)), storage.report_file(week, report_name(tenant_key))
        if not report.exists() or not summary.exists():
            raise Failure(description=f"no report of tenant '{tenant_key}' for week {week} to deliver: "
                                      "materialise `tenant_report` first", allow_retries=False)
        delivery = ReportDelivery.load(summary, report)
        students = (pd.read_csv(students_csv_path(storage.reports_path, week, tenant_key), keep_default_na=False)
                    if tenant.delivery.include_student_names else None)
        try:
            channels = Channels(smtp=smtp.settings(), outbox=Outbox(storage.outbox_dir))
            with risk_db.connect(storage.sql_path) as conn:
                outcomes = deliver(delivery, tenant, Ledger(conn), channels, context.run_id, students,
                                   only=context.run.tags.get(ONLY_CHANNEL_TAG))
        except (DeliveryError, DatabaseUnavailable) as exc:
            raise Failure(description=str(exc)) from None
        metadata = {f"{o.channel}": f"{o.status}" + (f" via {o.destination}" if o.destination else "") for o in outcomes}
        metadata["checksum"] = delivery.checksum
        failed = [o for o in outcomes if o.status == "failed"]
        if failed:
            raise Failure(description="; ".join(f"{o.channel}: {o.detail}" for o in failed), metadata=metadata)
        context.log.info("delivered %s week %s: %s", tenant_key, week, metadata)
        yield Output(None, metadata=metadata)

    @job(name=DELIVERY_JOB, partitions_def=partitions,
         description="Delivers one tenant-week's report; launched by the report_delivery sensor.")
    def delivery():
        deliver_report()

    return delivery
