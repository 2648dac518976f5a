from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from risk_assets.demo import (
    DEFAULT_DEMO_TENANTS,
    GENERATOR_VERSION,
    SOURCE_COLUMNS,
    SOURCE_TABLES,
    generate_demo,
)

from .helpers import LAST_WEEK, SMALL

FRAMES = (*SOURCE_TABLES, "ground_truth")


def test_same_arguments_give_identical_frames(small_demo):
    again = generate_demo(DEFAULT_DEMO_TENANTS, LAST_WEEK, **SMALL)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(small_demo, name), getattr(again, name), check_exact=True)
    assert (again.seed, again.last_week, again.generator_version) == (small_demo.seed, LAST_WEEK, GENERATOR_VERSION)


def test_a_different_seed_gives_different_data(small_demo):
    other = generate_demo(DEFAULT_DEMO_TENANTS, LAST_WEEK, seed=small_demo.seed + 1, **SMALL)
    for name in ("students", "items", "item_presentations", "theta_estimates", "attendance"):
        assert not getattr(small_demo, name).equals(getattr(other, name)), name


def test_a_tenant_does_not_depend_on_the_tenants_after_it(small_demo):
    alone = generate_demo(DEFAULT_DEMO_TENANTS[:1], LAST_WEEK, **SMALL)
    org_id = DEFAULT_DEMO_TENANTS[0].org_id
    for name in ("students", "item_presentations", "theta_estimates", "attendance", "ground_truth"):
        frame = getattr(small_demo, name)
        own = frame[frame["student_id"] // 100_000 == org_id].reset_index(drop=True)
        pd.testing.assert_frame_equal(own, getattr(alone, name), check_exact=True)


def test_frames_have_the_schema_columns_in_order(small_demo):
    for table in SOURCE_TABLES:
        assert tuple(getattr(small_demo, table).columns) == SOURCE_COLUMNS[table]
    assert list(small_demo.source_frames()) == list(SOURCE_TABLES)


def test_dtypes(small_demo):
    dtypes = {table: getattr(small_demo, table).dtypes.astype(str).to_dict() for table in SOURCE_TABLES}
    assert dtypes["items"] == {"item_id": "int64", "a": "float64", "b": "float64", "c": "float64", "n_options": "Int64"}
    assert dtypes["item_presentations"] == {
        "presentation_id": "int64", "student_id": "int64", "session_id": "int64", "item_id": "int64",
        "presented_at": "datetime64[ns, UTC]", "outcome": "object", "response_time_ms": "Int64",
    }
    assert dtypes["theta_estimates"] == {
        "estimate_id": "int64", "student_id": "int64", "estimated_at": "datetime64[ns, UTC]",
        "theta": "float64", "se": "float64",
    }
    students = small_demo.students
    assert all(type(day) is dt.date for day in students["enrolled_on"])
    assert {type(day) for day in students["withdrawn_on"]} == {dt.date, type(None)}
    assert all(type(day) is dt.date for day in small_demo.attendance["school_date"])
    assert all(type(day) is dt.date for day in small_demo.school_days["school_date"])


@pytest.mark.parametrize("not_monday", [dt.date(2026, 11, 17), dt.date(2026, 11, 22)])
def test_last_week_must_be_a_monday(not_monday):
    with pytest.raises(ValueError, match="must be a Monday"):
        generate_demo(DEFAULT_DEMO_TENANTS, not_monday, **SMALL)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weeks": 3}, "weeks must be at least 4"),
        ({"students_per_tenant": 10}, "students_per_tenant"),
        ({"n_items": 50}, "n_items"),
    ],
)
def test_sizes_are_validated(change, message):
    with pytest.raises(ValueError, match=message):
        generate_demo(DEFAULT_DEMO_TENANTS, LAST_WEEK, **{**SMALL, **change})


def test_duplicate_org_ids_are_rejected():
    twin = dataclasses.replace(DEFAULT_DEMO_TENANTS[1], org_id=DEFAULT_DEMO_TENANTS[0].org_id)
    with pytest.raises(ValueError, match="unique"):
        generate_demo([DEFAULT_DEMO_TENANTS[0], twin], LAST_WEEK, **SMALL)
