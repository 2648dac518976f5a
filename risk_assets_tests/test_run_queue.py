"""The run queue's priority: a school's older weeks first, whatever launched the one-partition run."""

import datetime as dt

import dagster as dg

from risk_assets.run_queue import PRIORITY_TAG, week_priority


def run(**tags: str) -> dg.DagsterRun:
    return dg.DagsterRun(job_name="__ASSET_JOB", tags=tags)


def test_older_weeks_get_a_higher_priority():
    newer = week_priority(run(**{"dagster/partition": "busan-ocean|2026-11-23"}))
    older = week_priority(run(**{"dagster/partition": "busan-ocean|2026-11-16"}))
    assert int(older[PRIORITY_TAG]) == int(newer[PRIORITY_TAG]) + 1
    assert int(newer[PRIORITY_TAG]) == -(dt.date(2026, 11, 23).toordinal() // 7)


def test_runs_without_a_week_or_with_a_priority_are_left_alone():
    assert week_priority(run()) == {}  # the delivery job: priority 0, before every weekly run
    assert week_priority(run(**{"dagster/partition": "2026-11-23"})) == {}
    assert week_priority(run(**{"dagster/partition": "busan-ocean|2026-11-23", PRIORITY_TAG: "5"})) == {}
