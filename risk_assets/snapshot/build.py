"""Taking a snapshot: query the source for one tenant-week, clean it, type-check it."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as adbc
import pandas as pd

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
    Table,
)
from risk_assets.window import ReportWindow

DEFAULT_DATA_QUALITY = DataQuality()  # frozen, so one shared default is safe


class UnknownOrganization(UserError):
    pass


def take_snapshot(source_url: str, sql_dir: Path, tenant: Tenant, window: ReportWindow,
                  data_quality: DataQuality = DEFAULT_DATA_QUALITY, response_times: bool = True) -> Snapshot:
    with SnapshotReader(source_url, sql_dir) as reader:
        return reader.snapshot(tenant, window, data_quality, response_times)


class SnapshotReader:
    """One source connection for a batch of snapshots, opened at the first one: a batch pays the connection and
    its set-up once, and each tenant-week still reads in its own read-only transaction (docs/performance.md).
    A connection that failed is closed, so the next snapshot connects afresh."""

    def __init__(self, source_url: str, sql_dir: Path):
        self.source_url, self.sql_dir = source_url, sql_dir
        self._stack = ExitStack()
        self._conn: adbc.Connection | None = None

    def __enter__(self) -> SnapshotReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self._stack.close()

    def snapshot(self, tenant: Tenant, window: ReportWindow, data_quality: DataQuality = DEFAULT_DATA_QUALITY,
                 response_times: bool = True) -> Snapshot:
        """`response_times`: also read the per-item response times of the last 90 days, which only the ENGAGEMENT
        domain uses (the costliest query after the presentations: docs/snapshot.md)."""
        tables = [table for table in SNAPSHOT_TABLES if response_times or table is not ITEM_TIMES]
        if self._conn is None:
            self._conn = self._stack.enter_context(arrow_connection(self.source_url, purpose="source database"))
        try:
            org_name, raw, shared = self._read(self._conn, tenant, window, tables)
        except adbc_driver_manager.OperationalError:
            self._stack.close()
            self._conn = None
            raise
        return _cleaned(tenant, window, data_quality, org_name, raw, shared)

    def _read(self, conn: adbc.Connection, tenant: Tenant, window: ReportWindow, tables: list[Table]):
        with conn.cursor() as cur:
            # One read-only transaction, so that every table sees the same state of the source.
            begin_snapshot(cur, window.query_parameters(tenant.org_id))
            try:
                org_name = _organization_name(cur, self.sql_dir, tenant)
                raw = {table.name: fetch_table(cur, self.sql_dir, table) for table in tables}
                shared = read_frame(cur, self.sql_dir, "shared_students")
            finally:
                conn.rollback()
        return org_name, raw, shared


def _cleaned(tenant: Tenant, window: ReportWindow, data_quality: DataQuality, org_name: str,
             raw: dict[str, pd.DataFrame], shared: pd.DataFrame) -> Snapshot:
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
        item_times=raw.get(ITEM_TIMES.name),
        rejected=found.rejected_frame(),
        quality=found.counts,
    )
    present = snapshot.tables()
    for table in SNAPSHOT_TABLES:
        if table.name in present:
            table.check(present[table.name])
    return snapshot


def _organization_name(cur: adbc.Cursor, sql_dir: Path, tenant: Tenant) -> str:
    frame = read_frame(cur, sql_dir, "organization")
    if frame.empty:
        raise UnknownOrganization(
            f"tenant '{tenant.key}' has org_id {tenant.org_id}, which is not in the source's organizations table; "
            "fix org_id in tenants.yaml"
        )
    return str(frame.iloc[0]["name"])
