"""Taking a snapshot: query the source for one tenant-week, clean it, type-check it."""

from __future__ import annotations

from pathlib import Path

import psycopg2.extensions

from risk_assets.config import Tenant
from risk_assets.config.tenants import DataQuality
from risk_assets.errors import UserError
from risk_assets.snapshot import hygiene
from risk_assets.snapshot.model import Snapshot
from risk_assets.snapshot.queries import fetch_table, run_query
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


def take_snapshot(conn: psycopg2.extensions.connection, sql_dir: Path, tenant: Tenant, window: ReportWindow,
                  data_quality: DataQuality = DataQuality()) -> Snapshot:
    params = window.query_parameters(tenant.org_id)
    org_name = _organization_name(conn, sql_dir, tenant, params)
    # One read-only transaction so all the tables see the same state of the source.
    conn.set_session(readonly=True, isolation_level="REPEATABLE READ")
    try:
        raw = {table.name: fetch_table(conn, sql_dir, table, params) for table in SNAPSHOT_TABLES}
        shared, _ = run_query(conn, sql_dir, "shared_students", params)
    finally:
        conn.rollback()
        conn.set_session(readonly=False, isolation_level="DEFAULT")

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
        attendance=hygiene.clean_attendance(raw[ATTENDANCE.name], found),
        item_times=raw[ITEM_TIMES.name],
        rejected=found.rejected_frame(),
        quality=found.counts,
    )
    for table in SNAPSHOT_TABLES:
        table.check(snapshot.tables()[table.name])
    return snapshot


def _organization_name(conn, sql_dir: Path, tenant: Tenant, params: dict) -> str:
    frame, _ = run_query(conn, sql_dir, "organization", params)
    conn.rollback()
    if frame.empty:
        raise UnknownOrganization(
            f"tenant '{tenant.key}' has org_id {tenant.org_id}, which is not in the source's organizations table; "
            "fix org_id in tenants.yaml"
        )
    return str(frame.iloc[0]["name"])
