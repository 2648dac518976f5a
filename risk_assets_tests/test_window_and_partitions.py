"""Cut-off C and look-back instants in tenant time (docs/metrics.md, "Time"), partition keys, and --week checks."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DagsterInstance

from risk_assets.config.tenants import TenantsFile
from risk_assets.errors import UserError
from risk_assets.partitions import (
    first_partition_week,
    latest_complete_week,
    parse_week,
    partition_key,
    register_tenants,
    report_partitions,
    split_partition_key,
    tenant_partition_changes,
)
from risk_assets.window import ReportWindow

UTC = dt.UTC

TENANTS = TenantsFile.model_validate({
    "first_week": dt.date(2026, 1, 5),
    "tenants": [
        {"key": "seoul", "org_id": 1, "name": "Seoul", "timezone": "Asia/Seoul"},
        {"key": "nyc", "org_id": 2, "name": "NYC", "timezone": "America/New_York", "locale": "en"},
        {"key": "off", "org_id": 3, "name": "Off", "enabled": False},
    ],
})


def test_seoul_cutoff_is_monday_midnight_local():
    window = ReportWindow(dt.date(2026, 11, 16), "Asia/Seoul")
    assert window.cutoff == dt.datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # Mon 23 Nov 00:00 KST
    assert window.evaluation_start == dt.datetime(2026, 11, 8, 15, 0, tzinfo=UTC)
    assert window.history_start == dt.datetime(2026, 10, 25, 15, 0, tzinfo=UTC)


def test_dst_week_uses_calendar_days_not_24_hour_steps():
    # New York leaves DST on Sunday 1 Nov 2026: C - 7 d is local midnight seven dates earlier (EDT),
    # 169 hours before C (EST), not 168.
    window = ReportWindow(dt.date(2026, 10, 26), "America/New_York")
    assert window.cutoff == dt.datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert window.instant(7) == dt.datetime(2026, 10, 26, 4, 0, tzinfo=UTC)  # 00:00 EDT
    assert window.cutoff - window.instant(7) == dt.timedelta(hours=169)
    assert window.evaluation_start == dt.datetime(2026, 10, 19, 4, 0, tzinfo=UTC)


def test_query_parameters_cover_the_spec_windows():
    params = ReportWindow(dt.date(2026, 11, 16), "Asia/Seoul").query_parameters(org_id=7)
    assert params["org_id"] == 7
    assert params["week_start"] == dt.date(2026, 11, 16)
    assert params["cutoff_date"] == dt.date(2026, 11, 23)
    assert params["history_start_date"] == dt.date(2026, 10, 26)


def test_window_refuses_a_non_monday():
    with pytest.raises(ValueError, match="2026-11-18 is a Wednesday"):
        ReportWindow(dt.date(2026, 11, 18), "Asia/Seoul")


def test_partitions_are_weeks_times_all_configured_tenants():
    partitions = report_partitions(TENANTS)
    assert [d.name for d in partitions.partitions_defs] == ["tenant", "week"]
    instance = DagsterInstance.ephemeral()
    assert register_tenants(instance, TENANTS.keys) == ["seoul", "nyc", "off"]
    assert register_tenants(instance, TENANTS.keys) == []
    keys = partitions.get_partition_keys(current_time=dt.datetime(2026, 1, 20, tzinfo=UTC),
                                         dynamic_partitions_store=instance)
    assert sorted(keys) == sorted(
        f"{tenant}|{week}" for tenant in ("seoul", "nyc", "off") for week in ("2026-01-05", "2026-01-12")
    )
    key = partition_key(dt.date(2026, 1, 12), "nyc")
    assert key == "nyc|2026-01-12"
    assert split_partition_key(key) == (dt.date(2026, 1, 12), "nyc")
    assert split_partition_key("nyc|2026-01-12") == (dt.date(2026, 1, 12), "nyc")


def test_tenant_partitions_follow_the_file_both_ways():
    assert tenant_partition_changes(TENANTS, ["seoul", "gone"]) == (["nyc", "off"], ["gone"])
    assert tenant_partition_changes(TENANTS, ["off", "nyc", "seoul"]) == ([], [])


def test_a_rolling_window_keeps_the_newest_weeks_as_partitions():
    rolling = TENANTS.model_copy(update={"partition_weeks": 4})
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # newest complete week everywhere: 2026-11-16
    assert first_partition_week(rolling, now) == dt.date(2026, 10, 26)
    weeks = report_partitions(rolling, now).get_partition_keys(current_time=now, dynamic_partitions_store=_one_tenant())
    assert sorted({key.keys_by_dimension["week"] for key in weeks}) == ["2026-10-26", "2026-11-02", "2026-11-09",
                                                                       "2026-11-16"]
    assert first_partition_week(TENANTS.model_copy(update={"partition_weeks": 520}), now) == TENANTS.first_week
    with pytest.raises(UserError, match=r"--week 2026-10-19 is older than the 4 weeks kept as partitions \(from "
                                        r"2026-10-26\); its results stay in the database and reports/"):
        parse_week("2026-10-19", rolling, ["seoul"], now)


def _one_tenant() -> DagsterInstance:
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("tenants", ["seoul"])
    return instance


def test_latest_complete_week_waits_for_the_westernmost_enabled_tenant():
    # Monday 23 Nov 06:00 KST is Sunday 22 Nov 16:00 in New York: New York's week has not ended.
    monday_morning_seoul = dt.datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    assert latest_complete_week(TENANTS, monday_morning_seoul) == dt.date(2026, 11, 9)
    tuesday = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert latest_complete_week(TENANTS, tuesday) == dt.date(2026, 11, 16)


NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_parse_week_accepts_a_complete_week():
    assert parse_week("2026-11-16", TENANTS, ["seoul", "nyc"], NOW) == dt.date(2026, 11, 16)


@pytest.mark.parametrize(
    "text, tenants, message",
    [
        ("16/11/2026", ["seoul"], "--week '16/11/2026' is not a date; write the Monday of the week as YYYY-MM-DD"),
        ("2026-11-18", ["seoul"],
         "--week 2026-11-18 is a Wednesday; give the Monday that starts the week, e.g. --week 2026-11-16"),
        ("2025-12-29", ["seoul"], "--week 2025-12-29 is before the first report week 2026-01-05"),
        ("2026-11-23", ["seoul"],
         "--week 2026-11-23 has not ended yet for tenant 'seoul' (Asia/Seoul): it ends 2026-11-30 00:00 KST"),
        ("2026-11-16", ["nowhere"], "unknown tenant 'nowhere'; configured tenants: seoul, nyc, off"),
    ],
)
def test_parse_week_errors(text, tenants, message):
    with pytest.raises(UserError) as caught:
        parse_week(text, TENANTS, tenants, NOW)
    assert message in str(caught.value)
