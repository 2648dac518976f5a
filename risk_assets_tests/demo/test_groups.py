from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .helpers import LAST_WEEK, cutoff, local_dates, with_org

LATENT = {"theta_warn", "theta_crit", "guessing", "omit_warn", "omit_crit"}
SIZES_AT_40 = {
    "ordinary": 23, "theta_warn": 2, "theta_crit": 2, "guessing": 2, "omit_warn": 2, "omit_crit": 2,
    "absence_streak": 1, "absence_2days": 3, "missing_record": 1, "rapid_guessing": 2,
}


def _truth(dataset) -> pd.DataFrame:
    return dataset.ground_truth.merge(dataset.students, on=["student_id", "org_id"], validate="1:1")


def _attendance_of(dataset, student_id) -> pd.DataFrame:
    frame = dataset.attendance[dataset.attendance["student_id"] == student_id]
    return frame.assign(status=frame["status"].str.strip().str.lower())


def _school_days(dataset, org_id) -> list[dt.date]:
    days = dataset.school_days
    return sorted(days.loc[days["org_id"] == org_id, "school_date"])


def test_group_sizes_per_tenant(small_demo):
    sizes = small_demo.ground_truth.groupby(["org_id", "group"]).size().unstack()
    for org_id in (101, 102, 201):
        assert sizes.loc[org_id].to_dict() == SIZES_AT_40


def test_group_sizes_at_the_default_size():
    from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo

    truth = generate_demo(DEFAULT_DEMO_TENANTS[:1], LAST_WEEK, n_items=400).ground_truth
    sizes = truth["group"].value_counts().to_dict()
    assert {group: sizes[group] for group in LATENT} == dict.fromkeys(LATENT, 10)
    assert (sizes["absence_streak"], sizes["absence_2days"], sizes["missing_record"]) == (1, 3, 1)


def test_scripted_students_were_enrolled_from_the_start_and_stay(small_demo):
    truth = _truth(small_demo)
    scripted = truth[truth["group"] != "ordinary"]
    assert (scripted["enrolled_on"] < LAST_WEEK - dt.timedelta(weeks=5)).all()
    assert scripted["withdrawn_on"].isna().all()


def test_latent_parameters(small_demo):
    truth = small_demo.ground_truth.set_index("group")
    slope = truth["true_theta_slope_per_week"]
    assert (slope.loc["theta_warn"] == -0.22).all() and (slope.loc["theta_crit"] == -0.45).all()
    others = slope.drop(index=["theta_warn", "theta_crit"])
    assert others.abs().max() < 0.1 and others.std() < 0.03
    assert (truth.loc["guessing", "true_c"] == 0.5).all()
    assert truth["true_c"].drop(index="guessing").isna().all()
    omit = truth["true_omit_propensity"]
    assert (omit.loc["omit_warn"] == 0.12).all() and (omit.loc["omit_crit"] == 0.25).all()
    assert omit.drop(index=["omit_warn", "omit_crit"]).between(0.0, 0.04).all()
    rapid = truth["true_rapid_share"]
    assert (rapid.loc["rapid_guessing"] == 0.6).all() and (rapid.drop(index="rapid_guessing") == 0.03).all()


def test_expected_levels_of_the_latent_domains(small_demo):
    truth = small_demo.ground_truth
    expected = truth.groupby("group")[["expected_theta", "expected_omit", "expected_guess",
                                       "expected_engagement"]].agg(set)
    assert expected.loc["theta_warn"].tolist() == [{"WARN"}, {"OK"}, {"OK"}, {"OK"}]
    assert expected.loc["theta_crit"].tolist() == [{"CRIT"}, {"OK"}, {"OK"}, {"OK"}]
    assert expected.loc["guessing"].tolist() == [{"OK"}, {"OK"}, {"CRIT"}, {"OK"}]
    assert expected.loc["omit_warn"].tolist() == [{"OK"}, {"WARN"}, {"OK"}, {"OK"}]
    assert expected.loc["omit_crit"].tolist() == [{"OK"}, {"CRIT"}, {"OK"}, {"OK"}]
    assert expected.loc["rapid_guessing"].tolist() == [{"OK"}, {"OK"}, {"OK"}, {"CRIT"}]
    for group in ("ordinary", "absence_streak", "absence_2days", "missing_record"):
        assert expected.loc[group].tolist() == [{"OK"}] * 4
    assert set(truth["expected_attendance"]) <= {"OK", "WARN", "CRIT", "INSUFFICIENT"}


def test_omit_groups_realise_their_propensity_in_the_window(small_demo):
    """Omission rate as docs/metrics.md, "OMIT" counts it (trailing not-reached runs excluded), last 14 days."""
    frame = with_org(small_demo.item_presentations, small_demo)
    frame = frame.merge(small_demo.ground_truth[["student_id", "group"]], on="student_id")
    frame = frame[local_dates(frame, "presented_at") >= cutoff(small_demo) - dt.timedelta(days=14)]
    answered = frame["outcome"].ne("omitted")
    later_answered = answered[::-1].groupby(frame["session_id"][::-1]).cumsum()[::-1] - answered
    counted = frame[answered | (later_answered > 0)]
    rate = counted.groupby("student_id")["outcome"].apply(lambda outcome: (outcome == "omitted").mean())
    group = small_demo.ground_truth.set_index("student_id")["group"].reindex(rate.index)
    assert rate[group == "omit_warn"].between(0.09, 0.13).all()
    assert rate[group == "omit_crit"].between(0.20, 0.26).all()
    assert rate[~group.isin(["omit_warn", "omit_crit"])].max() < 0.06


def test_absence_streak_is_five_consecutive_school_days_across_a_weekend(small_demo):
    truth = small_demo.ground_truth
    c_date = cutoff(small_demo)
    for org_id, student_id in truth.loc[truth["group"] == "absence_streak", ["org_id", "student_id"]].values:
        school_days = _school_days(small_demo, org_id)
        records = _attendance_of(small_demo, student_id).set_index("school_date")["status"]
        assert set(records.index) == {day for day in school_days if day < c_date}
        absent = [day for day in school_days if records[day] != "present"]
        assert all(records[day] == "absent" for day in absent)
        assert len(absent) == 5
        first = school_days.index(absent[0])
        assert absent == school_days[first : first + 5]
        assert [day.weekday() for day in absent[:3]] == [3, 4, 0]
        assert c_date - dt.timedelta(days=14) <= absent[-1] < c_date
        assert absent[-1] - absent[0] > dt.timedelta(days=5)
        holiday_inside = any(
            absent[0] < absent[0] + dt.timedelta(days=d) < absent[-1]
            and (absent[0] + dt.timedelta(days=d)).weekday() < 5
            and absent[0] + dt.timedelta(days=d) not in school_days
            for d in range(1, 8)
        )
        # Only org 201's Wednesday holiday falls inside its streak week.
        assert holiday_inside == (org_id == 201)
        assert [day.weekday() for day in absent] == ([3, 4, 0, 1, 3] if org_id == 201 else [3, 4, 0, 1, 2])


def test_two_absences_in_the_final_week(small_demo):
    truth = small_demo.ground_truth
    for student_id in truth.loc[truth["group"] == "absence_2days", "student_id"]:
        records = _attendance_of(small_demo, student_id)
        absent = records[records["status"] != "present"]
        assert (absent["status"] == "absent").all() and len(absent) == 2
        assert (absent["school_date"] >= LAST_WEEK).all()


def test_one_missing_record_in_the_final_week(small_demo):
    truth = small_demo.ground_truth
    c_date = cutoff(small_demo)
    for org_id, student_id in truth.loc[truth["group"] == "missing_record", ["org_id", "student_id"]].values:
        records = _attendance_of(small_demo, student_id)
        due = {day for day in _school_days(small_demo, org_id) if day < c_date}
        missing = due - set(records["school_date"])
        assert len(missing) == 1 and min(missing) >= LAST_WEEK
        assert (records["status"] == "present").all()


def test_scripted_attendance_levels(small_demo):
    truth = small_demo.ground_truth
    levels = truth.groupby("group")["expected_attendance"].agg(set)
    assert levels["absence_streak"] == {"CRIT"}
    assert levels["absence_2days"] == {"CRIT"}
    assert levels["missing_record"] == {"OK"}


def _reference_attendance_level(dataset, student) -> str:
    """The attendance level of docs/metrics.md, "ATTENDANCE", legacy profile, for one student, by plain loops."""
    c_date = cutoff(dataset)
    school_days = [d for d in _school_days(dataset, student.org_id) if c_date - dt.timedelta(days=28) <= d < c_date]
    scheduled = [
        d for d in school_days
        if d >= student.enrolled_on and (student.withdrawn_on is None or d < student.withdrawn_on)
    ]
    status = {
        row.school_date: row.status
        for row in _attendance_of(dataset, student.student_id).itertuples()
        if row.status in {"present", "late", "absent", "excused"}
    }
    week = [d for d in scheduled if d >= c_date - dt.timedelta(days=7)]
    window = [d for d in scheduled if d >= c_date - dt.timedelta(days=14)]
    absent = {d for d in scheduled if status.get(d) in {"absent", "excused"}}
    s_w = sum(d in status for d in week)
    a_w = sum(d in absent for d in week)
    s_2 = sum(d in status for d in window)
    a_2 = sum(d in absent for d in window)
    missing = sum(d not in status for d in window)
    streak = run = 0
    for d in scheduled:
        run = run + 1 if d in absent else 0
        if d >= c_date - dt.timedelta(days=14):
            streak = max(streak, run)
    if 100 * missing > 20 * len(window):
        return "INSUFFICIENT"
    weekly, two_week = s_w >= 3, s_2 >= 6
    if (weekly and 100 * a_w >= 20 * s_w and a_w >= 1) or (two_week and 100 * a_2 >= 30 * s_2) or streak >= 5:
        return "CRIT"
    if (weekly and 100 * a_w >= 10 * s_w) or (two_week and 100 * a_2 >= 15 * s_2):
        return "WARN"
    return "OK" if weekly or two_week else "INSUFFICIENT"


def test_expected_attendance_matches_a_reference_for_every_student(small_demo):
    truth = _truth(small_demo)
    reference = [_reference_attendance_level(small_demo, student) for student in truth.itertuples()]
    assert truth["expected_attendance"].tolist() == reference
    assert {"OK", "WARN", "CRIT"} <= set(reference)


def test_expected_attendance_of_ordinary_students_varies_at_the_default_size():
    from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo

    truth = generate_demo(DEFAULT_DEMO_TENANTS[:1], LAST_WEEK, n_items=400).ground_truth
    shares = truth.loc[truth["group"] == "ordinary", "expected_attendance"].value_counts(normalize=True)
    assert 0.7 < shares["OK"] < 0.9 and 0.08 < shares["CRIT"] < 0.3
    assert np.isclose(shares.sum(), 1.0)
