"""Taking a snapshot: query the source for one tenant-week, clean it, type-check it."""

from __future__ import annotations

from pathlib import Path

import adbc_driver_postgresql.dbapi as adbc

from risk_assets.config import Tenant
from risk_assets.config.tenants import DataQuality
from risk_assets.database.connection import arrow_connection
from risk_assets.errors import UserError
from risk_assets.snapshot import hygiene
from risk_assets.snapshot.model import Snapshot
from risk_assets.snapshot.queries import begin_snapshot, fetch_table, read_frame
from risk_assets.snapshot.schema import (
    ATTENDANCE,
    ITEM_TIMES,
    PRESENTATIONS,
    SCHOOL_DAYS,
    SNAPSHOT_TABLES,
    STUDENTS,
    THETA,
)
from risk_assets.window import ReportWindow


class UnknownOrganization(UserError):
    pass


def take_snapshot(source_url: str, sql_dir: Path, tenant: Tenant, window: ReportWindow,
                  data_quality: DataQuality = DataQuality()) -> Snapshot:
    with arrow_connection(source_url, purpose="source database") as conn, conn.cursor() as cur:
        # One read-only transaction, so that every table sees the same state of the source.
        begin_snapshot(cur, window.query_parameters(tenant.org_id))
        try:
            org_name = _organization_name(cur, sql_dir, tenant)
            raw = {table.name: fetch_table(cur, sql_dir, table) for table in SNAPSHOT_TABLES}
            shared = read_frame(cur, sql_dir, "shared_students")
        finally:
            conn.rollback()

    found = hygiene.Hygiene()
    found.reject("students", "id_used_by_another_org", shared["student_id"], shared["other_org_id"])
    snapshot = Snapshot(
        tenant=tenant.key,
        org_id=tenant.org_id,
        org_name=org_name,
        window=window,
        students=raw[STUDENTS.name],
        presentations=hygiene.clean_presentations(raw[PRESENTATIONS.name], found),
        theta=hygiene.clean_theta(raw[THETA.name], found, data_quality.theta_range),
        school_days=raw[SCHOOL_DAYS.name],
        attendance=hygiene.clean_attendance(raw[ATTENDANCE.name], raw[SCHOOL_DAYS.name], found),
        item_times=raw[ITEM_TIMES.name],
        rejected=found.rejected_frame(),
        quality=found.counts,
    )
    for table in SNAPSHOT_TABLES:
        table.check(snapshot.tables()[table.name])
    return snapshot


def _organization_name(cur: adbc.Cursor, sql_dir: Path, tenant: Tenant) -> str:
    frame = read_frame(cur, sql_dir, "organization")
    if frame.empty:
        raise UnknownOrganization(
            f"tenant '{tenant.key}' has org_id {tenant.org_id}, which is not in the source's organizations table; "
            "fix org_id in tenants.yaml"
        )
    return str(frame.iloc[0]["name"])
