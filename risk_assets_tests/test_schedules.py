"""The weekly schedules: one per time zone, each tenant's week requested at Monday 06:00 in its own zone."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from dagster import DagsterInstance, DagsterRun, build_schedule_context

from risk_assets.config import AppConfig, TenantsFile, Thresholds
from risk_assets.definitions import definitions_for
from risk_assets.partitions import register_tenants
from risk_assets.project import Project
from risk_assets.run_queue import partition_tags
from risk_assets.settings import Settings

WEEK = "2026-11-16"
SCHOOLS: list[dict[str, Any]] = [
    {"key": "seoul", "org_id": 1, "name": "Seoul"},
    {"key": "nyc", "org_id": 2, "name": "NYC", "timezone": "America/New_York", "locale": "en"},
    {"key": "london", "org_id": 3, "name": "London", "timezone": "Europe/London", "locale": "en"},
    {"key": "busan", "org_id": 4, "name": "Busan"},
    {"key": "off", "org_id": 5, "name": "Off", "timezone": "Europe/London", "enabled": False},
]
SCHEDULES = {"Asia/Seoul": "weekly_risk_asia_seoul", "America/New_York": "weekly_risk_america_new_york",
             "Europe/London": "weekly_risk_europe_london"}


def write_tenants(path: Path, schools) -> TenantsFile:
    raw = {"first_week": dt.date(2026, 10, 5), "tenants": schools}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return TenantsFile.model_validate(raw)


def definitions(schools=SCHOOLS, folder: Path | None = None):
    """The definitions of `schools`, whose tenants.yaml the schedules read on every tick."""
    path = (folder or Path(tempfile.mkdtemp())) / "tenants.yaml"
    config = AppConfig(tenants=write_tenants(path, schools), thresholds=Thresholds(), tenants_path=path,
                       thresholds_path=path)
    return definitions_for(Project(config, Settings.from_env()))


def tick(defs, zone: str, at: dt.datetime, instance: DagsterInstance, register: bool = True):
    if register:  # what the tenant_partitions sensor does
        register_tenants(instance, [school["key"] for school in SCHOOLS])
    schedule = defs.resolve_schedule_def(SCHEDULES[zone])
    context = build_schedule_context(instance=instance, scheduled_execution_time=at,
                                     repository_def=defs.get_repository_def())
    return schedule.evaluate_tick(context)


def test_one_schedule_per_zone_ticking_monday_six_in_that_zone():
    defs = definitions()
    assert sorted(s.name for s in defs.schedules) == sorted(SCHEDULES.values())
    for zone, name in SCHEDULES.items():
        schedule = defs.resolve_schedule_def(name)
        assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
            "0 6 * * 1", zone, "weekly_risk_job")


@pytest.mark.parametrize("zone, tenants", [("Asia/Seoul", ["seoul|2026-11-16", "busan|2026-11-16"]),
                                           ("America/New_York", ["nyc|2026-11-16"]),
                                           ("Europe/London", ["london|2026-11-16"])])
def test_each_tenant_gets_its_week_at_monday_six_in_its_own_zone(zone, tenants):
    defs = definitions()
    monday_six = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo(zone))
    with DagsterInstance.local_temp() as instance:
        requests = tick(defs, zone, monday_six, instance).run_requests
        assert [r.partition_key for r in requests] == tenants  # the week that just ended, one run per tenant
        assert [r.run_key for r in requests] == tenants  # the run key is the partition key
        # A minute earlier (Monday 05:59 there) the week 2026-11-16 has ended too, but the tick is a week old.
        earlier = tick(defs, zone, monday_six - dt.timedelta(days=7), instance).run_requests
        assert {r.partition_key.split("|")[1] for r in earlier} == {"2026-11-09"}


def test_disabled_tenants_are_never_requested():
    defs = definitions()
    with DagsterInstance.local_temp() as instance:
        for week in range(4):
            at = dt.datetime(2026, 11, 2, 6, 0, tzinfo=ZoneInfo("Europe/London")) + dt.timedelta(days=7 * week)
            keys = [r.partition_key for r in tick(defs, "Europe/London", at, instance).run_requests]
            assert keys and all(key.startswith("london|") for key in keys)


def test_a_tick_that_finds_nothing_new_requests_nothing():
    defs = definitions()
    at = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    with DagsterInstance.local_temp() as instance:
        first = tick(defs, "Asia/Seoul", at, instance).run_requests
        for request in first:  # what the daemon records for each launched request
            instance.add_run(DagsterRun(job_name="weekly_risk_job", tags={
                **request.tags, "dagster/schedule_name": "weekly_risk_asia_seoul",
                "dagster/partition": request.partition_key,
                "dagster/partition/week": request.partition_key.split("|")[1]}))
        again = tick(defs, "Asia/Seoul", at + dt.timedelta(hours=1), instance)
        assert again.run_requests == []
        assert again.skip_message.startswith("nothing new: every enabled tenant in Asia/Seoul")


def test_a_school_added_to_tenants_yaml_is_requested_without_a_reload_once_it_is_a_partition(tmp_path):
    defs = definitions(folder=tmp_path)
    at = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    write_tenants(tmp_path / "tenants.yaml", SCHOOLS + [{"key": "incheon", "org_id": 6, "name": "Incheon"}])
    with DagsterInstance.local_temp() as instance:
        before = tick(defs, "Asia/Seoul", at, instance).run_requests
        assert [r.partition_key for r in before] == ["seoul|2026-11-16", "busan|2026-11-16"]  # not a partition yet
        instance.add_dynamic_partitions("tenants", ["incheon"])
        after = tick(defs, "Asia/Seoul", at, instance, register=False).run_requests
        assert [r.partition_key for r in after] == ["seoul|2026-11-16", "busan|2026-11-16", "incheon|2026-11-16"]


def test_a_new_zone_needs_only_a_tenant_in_tenants_yaml():
    defs = definitions(SCHOOLS + [{"key": "sydney", "org_id": 9, "name": "Sydney", "timezone": "Australia/Sydney"}])
    schedule = defs.resolve_schedule_def("weekly_risk_australia_sydney")
    assert schedule.execution_timezone == "Australia/Sydney"


def test_every_partition_run_is_tagged_with_its_tenant_and_week():
    run = DagsterRun(job_name="__ASSET_JOB", tags={"dagster/partition": "seoul|2026-11-16",
                                                   "dagster/partition/tenant": "seoul",
                                                   "dagster/partition/week": "2026-11-16"})
    assert partition_tags(run) == {"risk/tenant": "seoul", "risk/week": "2026-11-16"}
    tagged = DagsterRun(job_name="delivery", tags={"risk/tenant": "a,b", "risk/week": "2026-11-16"})
    assert partition_tags(tagged) == {}


def test_the_tenant_partitions_sensor_keeps_partitions_equal_to_tenants_yaml(tmp_path):
    from dagster import build_sensor_context

    from risk_assets.config import ConfigError

    defs = definitions(folder=tmp_path)
    sensor = defs.resolve_sensor_def("tenant_partitions")
    with DagsterInstance.local_temp() as instance:
        instance.add_dynamic_partitions("tenants", ["seoul", "closed-school"])

        def evaluate():
            data = sensor.evaluate_tick(build_sensor_context(instance=instance,
                                                             repository_def=defs.get_repository_def()))
            for request in data.dynamic_partitions_requests or []:  # what the daemon does with them
                if type(request).__name__ == "AddDynamicPartitionsRequest":
                    instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
                else:
                    for key in request.partition_keys:
                        instance.delete_dynamic_partition(request.partitions_def_name, key)
            return data

        first = evaluate()
        assert [(type(r).__name__, r.partition_keys) for r in first.dynamic_partitions_requests] == [
            ("AddDynamicPartitionsRequest", ["nyc", "london", "busan", "off"]),
            ("DeleteDynamicPartitionsRequest", ["closed-school"])]
        assert sorted(instance.get_dynamic_partitions("tenants")) == sorted(s["key"] for s in SCHOOLS)
        assert evaluate().skip_message == "in step: 5 tenants in tenants.yaml"
        (tmp_path / "tenants.yaml").write_text("first_week: 2026-10-05\ntenants: []\n")
        with pytest.raises(ConfigError, match="tenants: must not be empty"):  # the tick fails; nothing changes
            evaluate()
        assert len(instance.get_dynamic_partitions("tenants")) == 5


def test_a_zone_of_more_than_a_thousand_tenants_is_split_into_schedules_that_share_it_out(monkeypatch):
    from risk_assets.defs.weekly import schedules

    monkeypatch.setattr(schedules, "SHARD_SIZE", 2)  # Seoul has two tenants: one shard; three: two shards
    many = SCHOOLS + [{"key": "incheon", "org_id": 6, "name": "Incheon"}]
    defs = definitions(many)
    names = sorted(s.name for s in defs.schedules if s.execution_timezone == "Asia/Seoul")
    assert names == ["weekly_risk_asia_seoul_1_of_2", "weekly_risk_asia_seoul_2_of_2"]
    at = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    with DagsterInstance.local_temp() as instance:
        register_tenants(instance, [school["key"] for school in many])
        requested = [r.partition_key.split("|")[0] for name in names
                     for r in defs.resolve_schedule_def(name).evaluate_tick(build_schedule_context(
                         instance=instance, scheduled_execution_time=at,
                         repository_def=defs.get_repository_def())).run_requests]
    assert sorted(requested) == ["busan", "incheon", "seoul"]  # each tenant by exactly one shard
