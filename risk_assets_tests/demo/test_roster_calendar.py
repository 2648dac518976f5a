from __future__ import annotations

import datetime as dt
import re

import numpy as np

from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo

from .helpers import LAST_WEEK, cutoff

HANGUL_NAME = re.compile(r"^[\uac00-\ud7a3]{2,4}$")
KOREAN_CLASS = re.compile(r"^[1-3]학년 \d{1,2}반$")
ENGLISH_CLASS = re.compile(r"^Grade [6-8] - [A-L]$")


def test_default_tenants_match_the_example_config():
    assert [(t.org_id, t.name, t.timezone, t.locale) for t in DEFAULT_DEMO_TENANTS] == [
        (101, "서울중앙중학교", "Asia/Seoul", "ko"),
        (102, "부산해양고등학교", "Asia/Seoul", "ko"),
        (201, "Bridge Academy NYC", "America/New_York", "en"),
    ]


def test_organizations(small_demo):
    assert small_demo.organizations.to_dict("list") == {
        "org_id": [101, 102, 201],
        "name": ["서울중앙중학교", "부산해양고등학교", "Bridge Academy NYC"],
    }


def test_students_per_tenant_and_unique_ids(small_demo):
    students = small_demo.students
    assert students.groupby("org_id").size().to_dict() == {101: 40, 102: 40, 201: 40}
    assert students["student_id"].is_unique
    assert (students["student_id"] // 100_000 == students["org_id"]).all()


def test_names_and_classes_follow_the_locale(small_demo):
    students = small_demo.students
    korean = students[students["org_id"] != 201]
    english = students[students["org_id"] == 201]
    assert korean["display_name"].map(HANGUL_NAME.fullmatch).notna().all()
    assert korean["class_name"].map(KOREAN_CLASS.fullmatch).notna().all()
    assert english["display_name"].map(lambda name: name.isascii() and " " in name).all()
    assert english["class_name"].map(ENGLISH_CLASS.fullmatch).notna().all()


def test_about_ten_classes_at_the_default_size():
    dataset = generate_demo(DEFAULT_DEMO_TENANTS[:1], LAST_WEEK, n_items=400)
    sizes = dataset.students.groupby("class_name").size()
    assert len(sizes) == 10
    assert sizes.min() == sizes.max() == 30


def test_small_tenants_get_balanced_classes(small_demo):
    sizes = small_demo.students.groupby(["org_id", "class_name"]).size()
    assert (sizes.groupby("org_id").size() == 2).all()
    assert (sizes == 20).all()


def test_exactly_one_withdrawal_per_tenant_during_the_final_week(small_demo):
    withdrawn = small_demo.students.dropna(subset=["withdrawn_on"])
    assert withdrawn.groupby("org_id").size().to_dict() == {101: 1, 102: 1, 201: 1}
    for day in withdrawn["withdrawn_on"]:
        assert LAST_WEEK < day < LAST_WEEK + dt.timedelta(days=5)


def test_mid_period_enrolments(small_demo):
    start = LAST_WEEK - dt.timedelta(weeks=5)
    students = small_demo.students
    inside = students[students["enrolled_on"] > start]
    assert inside.groupby("org_id").size().to_dict() == {101: 2, 102: 2, 201: 2}
    assert (inside["enrolled_on"] < cutoff(small_demo)).all()
    assert (inside["enrolled_on"] >= LAST_WEEK - dt.timedelta(days=7)).sum() == 3
    assert (students.loc[~students.index.isin(inside.index), "enrolled_on"] < start).all()
    assert inside["withdrawn_on"].isna().all()


def test_school_days_are_weekdays_minus_one_wednesday_holiday_per_tenant(small_demo):
    start = LAST_WEEK - dt.timedelta(weeks=5)
    weekdays = {start + dt.timedelta(days=d) for d in range(42) if (start + dt.timedelta(days=d)).weekday() < 5}
    holidays = {}
    for org_id, days in small_demo.school_days.groupby("org_id")["school_date"]:
        assert days.is_monotonic_increasing
        (holiday,) = weekdays - set(days)
        assert set(days) <= weekdays
        holidays[org_id] = holiday
    assert all(day.weekday() == 2 for day in holidays.values())
    # Weeks 2, 3 and 4 of 0..5: different per tenant, all within the last four weeks.
    assert {org: (day - start).days // 7 for org, day in holidays.items()} == {101: 2, 102: 3, 201: 4}


def test_items(small_demo):
    items = small_demo.items
    assert len(items) == 400 and items["item_id"].is_unique
    assert items["n_options"].isna().sum() == 4
    assert (items["n_options"].dropna() == 4).all()
    assert items["a"].isna().sum() == 1 and items["b"].isna().sum() == 1
    assert items["c"].between(0.10, 0.30).all()
    assert (items["a"].dropna() > 0).all()
    unusable = items.loc[items["a"].isna() | items["b"].isna(), "item_id"]
    assert not small_demo.item_presentations["item_id"].isin(unusable).any()
    constructed = items.loc[items["n_options"].isna(), "item_id"]
    assert small_demo.item_presentations["item_id"].isin(constructed).any()


def test_item_bank_distribution_at_the_default_size():
    items = generate_demo(DEFAULT_DEMO_TENANTS[:1], LAST_WEEK, students_per_tenant=30).items
    assert len(items) == 2000
    assert (items["n_options"].isna().sum(), items["a"].isna().sum(), items["b"].isna().sum()) == (20, 5, 5)
    assert abs(np.log(items["a"].dropna()).std() - 0.3) < 0.02
    assert abs(items["b"].std() - 1.2) < 0.06
