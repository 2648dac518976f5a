"""The code location's structure, loaded from the defs folder's YAML as Dagster loads it: every key, dependency,
check, owner, job, schedule (cron and zone), sensor and resource. A change to any of them is a change to what
operators see in the UI, so it is made here on purpose. Runs in seconds."""

from __future__ import annotations

import dagster as dg
import pytest

from risk_assets.errors import UserError
from risk_assets.settings import PROJECT_DIR, Settings

OWNERS = ["team:risk-reports"]
ASSETS = {  # key: (dependencies, group, kinds)
    "snapshot": ([], "weekly_risk", {"postgres", "parquet"}),
    "metrics": (["snapshot"], "weekly_risk", {"pandas", "csv"}),
    "tenant_summary": (["metrics"], "weekly_risk", {"postgres", "json"}),
    "tenant_report": (["tenant_summary"], "weekly_risk", {"html", "quarto"}),
    "weekly_risk_job_run": (["tenant_report"], "weekly_risk_job", set()),
}
CHECKS = {  # (asset, check): blocking
    ("snapshot", "has_students"): True, ("snapshot", "has_activity"): True, ("snapshot", "theta_in_range"): False,
    ("snapshot", "unique_attendance"): False, ("metrics", "insufficient_data_share"): False,
}
SCHEDULES = {  # the example tenants.yaml: Seoul and New York schools, Monday 06:00 in each zone
    "weekly_risk_asia_seoul": ("0 6 * * 1", "Asia/Seoul"),
    "weekly_risk_america_new_york": ("0 6 * * 1", "America/New_York"),
}
SENSORS = {"report_delivery": 1, "tenant_partitions": 30}  # minimum interval, seconds; both on by default
JOBS = {"weekly_risk_job", "delivery"}
RESOURCES = {"source", "risk_db", "storage", "smtp", "slack", "thresholds", "pipes_subprocess_client"}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    with pytest.MonkeyPatch.context() as env:
        for name in ("RISK_CONFIG_DIR", "RISK_REPORT_RENDERER", "RISK_BATCH_SIZE", "RISK_EXECUTOR"):
            env.delenv(name, raising=False)
        return dg.load_from_defs_folder(path_within_project=PROJECT_DIR)


def test_assets_dependencies_groups_kinds_and_owners(defs):
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    assert ({key: (sorted(dep.asset_key.to_user_string() for dep in spec.deps), spec.group_name, set(spec.kinds))
             for key, spec in specs.items()}
            == {key: (deps, group, kinds) for key, (deps, group, kinds) in ASSETS.items()})
    assert {key: list(spec.owners) for key, spec in specs.items()} == {key: OWNERS for key in ASSETS}
    assert {spec.partitions_def for spec in specs.values()} == {defs.resolve_assets_def("snapshot").partitions_def}


def test_checks_and_which_of_them_block(defs):
    step = defs.resolve_assets_def("snapshot")
    assert {(spec.asset_key.to_user_string(), spec.name): spec.blocking for spec in step.check_specs} == CHECKS


def test_the_pipeline_is_one_step_batched_by_the_configured_size(defs):
    step = defs.resolve_assets_def("snapshot")
    assert step.node_def.name == "weekly_risk" and step.can_subset
    assert step.backfill_policy == dg.BackfillPolicy.multi_run(50)  # tenants.yaml.example: batch.size unset


def test_jobs_schedules_and_sensors(defs):
    repository = defs.get_repository_def()
    assert {job.name for job in repository.get_all_jobs() if not job.name.startswith("__")} == JOBS
    assert {s.name: (s.cron_schedule, s.execution_timezone) for s in repository.schedule_defs} == SCHEDULES
    assert {s.job_name for s in repository.schedule_defs} == {"weekly_risk_job"}
    assert {s.default_status for s in repository.schedule_defs} == {dg.DefaultScheduleStatus.STOPPED}
    assert {s.name: s.minimum_interval_seconds for s in repository.sensor_defs} == SENSORS
    assert {s.default_status for s in repository.sensor_defs} == {dg.DefaultSensorStatus.RUNNING}


def test_delivery_runs_go_ahead_of_queued_weekly_runs(defs):
    """Dagster's run queue launches higher `dagster/priority` first; a delivery run waiting behind a Monday's batches
    would send each report only after the last batch (docs/delivery.md)."""
    repository = defs.get_repository_def()
    priority = {job.name: int(job.tags.get("dagster/priority", 0)) for job in repository.get_all_jobs()}
    assert priority["delivery"] > max(p for name, p in priority.items() if name != "delivery") == 0


def test_resources(defs):
    assert set(defs.get_repository_def().get_top_level_resources()) == RESOURCES


def test_an_attribute_that_cannot_work_names_the_components_file(monkeypatch):
    monkeypatch.setenv("RISK_BATCH_SIZE", "5000")
    with pytest.raises(Exception) as loading:
        dg.load_from_defs_folder(path_within_project=PROJECT_DIR)
    cause = loading.value
    while cause is not None and not isinstance(cause, UserError):
        cause = cause.__cause__
    assert str(cause).startswith("RISK_BATCH_SIZE='5000' is not a whole number from 1 to 1000"), loading.value


def test_a_components_own_attribute_wins_over_the_environment(tmp_path, monkeypatch):
    """A defs.yaml that sets batch_size itself: the step's backfill policy follows it, whatever the variable says."""
    from risk_assets.defs.resources import shared_definitions
    from risk_assets.defs.weekly.component import WeeklyPipeline

    monkeypatch.setenv("RISK_BATCH_SIZE", "7")
    component = WeeklyPipeline.resolve_from_yaml("batch_size: 12")
    assert component.batch_size == 12
    with pytest.raises(UserError, match="defs.yaml: RISK_BATCH_SIZE='0' is not a whole number"):
        WeeklyPipeline(batch_size=0).build_defs(_context(tmp_path))
    weekly = WeeklyPipeline(batch_size=12).build_defs(_context(tmp_path))
    step = dg.Definitions.merge(weekly, shared_definitions(Settings.from_env())).resolve_assets_def("snapshot")
    assert step.backfill_policy == dg.BackfillPolicy.multi_run(12)


def _context(folder):
    class Context:  # build_defs reads only where its defs.yaml is
        path = folder
    return Context()


def test_the_catalog_shows_the_columns_of_snapshot_and_metrics_from_the_vocabulary(defs):
    from risk_assets.snapshot.schema import SNAPSHOT_TABLES
    from risk_assets.vocabulary import LEVELS, STUDENT_COLUMNS

    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    metrics = specs["metrics"].metadata["dagster/column_schema"]
    assert [column.name for column in metrics.columns] == STUDENT_COLUMNS
    level = next(column for column in metrics.columns if column.name == "level")
    assert (level.type, level.description, level.constraints.nullable) == ("category", f"one of {', '.join(LEVELS)}",
                                                                          False)
    snapshot = specs["snapshot"].metadata["dagster/column_schema"]
    assert [column.name for column in snapshot.columns] == [f"{table.name}.{column.name}" for table in SNAPSHOT_TABLES
                                                            for column in table.columns]


def test_a_load_reads_the_configuration_once(monkeypatch):
    """Both components are built from one reading of tenants.yaml: 10,000 schools take seconds to parse."""
    import risk_assets.project

    read = []
    original = risk_assets.project.load_config
    monkeypatch.setattr(risk_assets.project, "load_config", lambda *args, **kwargs: read.append(args) or original(
        *args, **kwargs))
    loaded = dg.load_from_defs_folder(path_within_project=PROJECT_DIR)
    assert {job.name for job in loaded.get_repository_def().get_all_jobs()} >= JOBS
    assert len(read) == 1
