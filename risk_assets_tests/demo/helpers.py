"""Shared constants and helpers of the demo tests (tenant-local views of UTC timestamps)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from risk_assets.demo import DEFAULT_DEMO_TENANTS, DemoDataset, DemoTenant

LAST_WEEK = dt.date(2026, 11, 16)
# Week of 2026-11-02: the six-week history starts 2026-09-28 and New York leaves DST on
# 2026-11-01 at 02:00, so the history crosses the change.
DST_LAST_WEEK = dt.date(2026, 11, 2)
SMALL = {"students_per_tenant": 40, "weeks": 6, "n_items": 400}
NEW_YORK: DemoTenant = next(t for t in DEFAULT_DEMO_TENANTS if t.timezone == "America/New_York")
ZONES = {tenant.org_id: tenant.timezone for tenant in DEFAULT_DEMO_TENANTS}
VALID_OUTCOMES = {"correct", "incorrect", "omitted"}
VALID_STATUSES = {"present", "late", "absent", "excused"}


def with_org(frame: pd.DataFrame, dataset: DemoDataset) -> pd.DataFrame:
    return frame.merge(dataset.students[["student_id", "org_id"]], on="student_id", how="left", validate="m:1")


def local_times(frame: pd.DataFrame, column: str) -> pd.Series:
    """Wall-clock time (tz-naive) in each row's tenant zone; needs an org_id column."""
    parts = [
        frame.loc[frame["org_id"] == org_id, column].dt.tz_convert(ZONES[org_id]).dt.tz_localize(None)
        for org_id in frame["org_id"].unique()
    ]
    return pd.concat(parts).reindex(frame.index)


def local_dates(frame: pd.DataFrame, column: str) -> pd.Series:
    return local_times(frame, column).dt.date


def cutoff(dataset: DemoDataset) -> dt.date:
    return dataset.last_week + dt.timedelta(days=7)
