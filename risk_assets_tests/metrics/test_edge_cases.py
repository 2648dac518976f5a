"""The edge cases every engine must get right (docs/metrics.md, "Edge cases"), each with exact statuses, reason codes
and numbers (legacy unless stated)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Set as AbstractSet

import pandas as pd
import pytest

from risk_assets.config.thresholds import Thresholds
from risk_assets_tests.metrics.builder import SnapshotBuilder, weekdays
from risk_assets_tests.metrics.c_hat_vector import A, B, X
from risk_assets_tests.metrics.metric_rows import RELIABLE, codes, metrics_row

SECOND = dt.timedelta(seconds=1)

# Week of Mon 16 Nov 2026 in Asia/Seoul: C = Mon 23 Nov 00:00 KST; window from Mon 9 Nov; history from Mon 26 Oct.
OCT26, NOV9, NOV16, NOV23 = dt.date(2026, 10, 26), dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)


# -- THETA ----------------------------------------------------------------------------------------

def theta_codes(row: dict) -> list[str]:
    return [c for c in codes(row) if c.startswith(("THETA_", "INSUFF_THETA_"))]


def test_no_theta_this_week_is_insufficient_never_a_zero_change():
    b = SnapshotBuilder()
    sid = b.student()
    b.estimate(sid, b.days_before(10), 0.4)
    row = metrics_row(b, sid)
    assert row["theta_status"] == "INSUFFICIENT"
    assert math.isnan(row["theta_now"]) and math.isnan(row["delta_7d"]) and math.isnan(row["delta_14d"])
    assert theta_codes(row) == ["INSUFF_THETA_NO_BASELINE_14D", "INSUFF_THETA_NO_RECENT", "INSUFF_THETA_STREAK"]


def test_baseline_exactly_14_days_old_is_included():
    b = SnapshotBuilder()
    seven, fourteen = b.student(), b.student()
    b.estimate(seven, b.days_before(1), 0.0, 0.3)
    b.estimate(seven, b.days_before(21), 0.4, 0.4)  # θ_7 = theta_at(C - 7 d, 14 d): exactly 14 d before C - 7 d
    b.estimate(fourteen, b.days_before(1), 0.0, 0.3)
    b.estimate(fourteen, b.days_before(28), 0.6, 0.3)  # θ_14 = theta_at(C - 14 d, 14 d): exactly 14 d before
    row = metrics_row(b, seven)
    assert row["theta_now"] == 0.0 and row["se_now"] == 0.3
    assert row["delta_7d"] == -0.4 and row["delta_14d"] == -0.4  # the same estimate is also the 14-day baseline
    assert row["z_7d"] == -0.4 / math.sqrt(0.3**2 + 0.4**2)
    assert row["theta_status"] == "CRIT"
    assert theta_codes(row) == ["INSUFF_THETA_STREAK", "THETA_DROP_14D_WARN", "THETA_DROP_7D_CRIT"]
    row = metrics_row(b, fourteen)
    assert math.isnan(row["delta_7d"]) and row["delta_14d"] == -0.6
    assert row["z_14d"] == -0.6 / math.sqrt(0.3**2 + 0.3**2)
    assert theta_codes(row) == [
        "INSUFF_THETA_NO_BASELINE_7D", "INSUFF_THETA_STREAK", "THETA_DROP_14D_CRIT",
    ]


def test_baseline_14_days_and_one_second_old_is_excluded():
    b = SnapshotBuilder()
    seven, fourteen = b.student(), b.student()
    b.estimate(seven, b.days_before(1), 0.0)
    b.estimate(seven, b.days_before(21) - SECOND, 0.4)  # out of θ_7's window, inside θ_14's
    b.estimate(fourteen, b.days_before(1), 0.0)
    b.estimate(fourteen, b.days_before(28) - SECOND, 0.9)  # out of both
    row = metrics_row(b, seven)
    assert math.isnan(row["delta_7d"]) and row["delta_14d"] == -0.4
    assert theta_codes(row) == ["INSUFF_THETA_NO_BASELINE_7D", "INSUFF_THETA_STREAK", "THETA_DROP_14D_WARN"]
    row = metrics_row(b, fourteen)
    assert row["theta_status"] == "INSUFFICIENT"
    assert math.isnan(row["delta_7d"]) and math.isnan(row["delta_14d"])
    assert theta_codes(row) == ["INSUFF_THETA_NO_BASELINE_14D", "INSUFF_THETA_NO_BASELINE_7D", "INSUFF_THETA_STREAK"]


def test_equal_timestamps_the_larger_estimate_id_wins():
    b = SnapshotBuilder()
    sid = b.student()
    at = b.days_before(2)
    b.estimate(sid, at, 0.5, 0.25, estimate_id=60)
    b.estimate(sid, at, -1.0, 0.35, estimate_id=50)
    b.estimate(sid, b.days_before(9), 0.6, 0.3)
    row = metrics_row(b, sid)
    assert (row["theta_now"], row["se_now"]) == (0.5, 0.25)
    assert row["delta_7d"] == 0.5 - 0.6
    assert row["theta_status"] == "OK"


def test_drop_exactly_at_the_threshold_does_not_fire():
    b = SnapshotBuilder()
    sid = b.student()
    b.estimate(sid, b.days_before(1), 0.0)
    b.estimate(sid, b.days_before(8), 0.15)
    row = metrics_row(b, sid)
    assert row["delta_7d"] == -0.15
    assert row["theta_status"] == "OK"


def test_three_week_decline_is_a_warn_and_reliable_gates_it():
    b = SnapshotBuilder()
    sid = b.student()
    for k, theta in enumerate([0.0, 0.1, 0.2, 0.3]):  # θ_w(k), one estimate in each of the last 4 weeks
        b.estimate(sid, b.days_before(7 * k + 3), theta)
    legacy = metrics_row(b, sid)
    assert legacy["delta_7d"] == -0.1 and legacy["delta_14d"] == -0.2
    assert legacy["theta_status"] == "WARN"
    assert theta_codes(legacy) == ["THETA_DECLINE_3WK"]
    reliable = metrics_row(b, sid, RELIABLE)  # z = -0.3 / sqrt(0.18) = -0.71 > -1.645
    assert reliable["theta_status"] == "OK"
    assert theta_codes(reliable) == []


def test_reliable_z_gate_on_drops():
    b = SnapshotBuilder()
    noisy, precise = b.student(), b.student()
    for sid, se in ((noisy, 0.3), (precise, 0.1)):
        b.estimate(sid, b.days_before(1), 0.0, se)
        b.estimate(sid, b.days_before(8), 0.4, se)
    assert metrics_row(b, noisy)["theta_status"] == "CRIT"  # legacy: no gate
    assert metrics_row(b, noisy, RELIABLE)["theta_status"] == "OK"  # z = -0.94
    precise_row = metrics_row(b, precise, RELIABLE)  # z = -2.83
    assert precise_row["theta_status"] == "CRIT" and "THETA_DROP_7D_CRIT" in codes(precise_row)


def test_invalid_se_makes_z_null_and_fails_the_gate():
    b = SnapshotBuilder()
    sid = b.student()
    b.estimate(sid, b.days_before(1), 0.0, None)
    b.estimate(sid, b.days_before(8), 0.4, 0.1)
    assert math.isnan(metrics_row(b, sid)["z_7d"])
    assert metrics_row(b, sid)["theta_status"] == "CRIT"
    assert metrics_row(b, sid, RELIABLE)["theta_status"] == "OK"


# -- OMIT -----------------------------------------------------------------------------------------

def omit_student(b: SnapshotBuilder, answered: int, omitted: int) -> int:
    """`omitted` omits, each followed by an answer in the same session, then the rest answered."""
    sid = b.student()
    outcomes = ["omitted", "correct"] * omitted + ["incorrect"] * (answered - omitted)
    b.session(sid, dt.date(2026, 11, 18), outcomes)
    return sid


@pytest.mark.parametrize(
    "answered, omitted, status, code, rate",
    [
        (19, 0, "INSUFFICIENT", "INSUFF_OMIT_FEW_ITEMS", 0.0),  # n_presented 19
        (20, 0, "OK", None, 0.0),  # n_presented 20
        (23, 2, "WARN", "OMIT_WARN", 2 / 25),  # exactly 8 %
        (24, 2, "OK", None, 2 / 26),  # 7.7 %
        (17, 3, "CRIT", "OMIT_CRIT", 3 / 20),  # exactly 15 %
    ],
)
def test_omit_thresholds_and_minimum_items(answered, omitted, status, code, rate):
    b = SnapshotBuilder()
    sid = omit_student(b, answered, omitted)
    row = metrics_row(b, sid)
    assert row["n_presented"] == answered + omitted and row["n_omitted"] == omitted
    assert row["omit_status"] == status
    assert row["omit_rate"] == rate
    assert [c for c in codes(row) if "OMIT" in c] == ([code] if code else [])


def test_trailing_omits_are_not_reached_and_excluded():
    b = SnapshotBuilder()
    sid = b.student()
    b.session(sid, dt.date(2026, 11, 17), ["correct", "omitted", "correct", "omitted", "omitted"])
    b.session(sid, dt.date(2026, 11, 18), ["omitted"])
    row = metrics_row(b, sid)
    assert (row["n_presented"], row["n_omitted"], row["n_not_reached"]) == (3, 1, 3)
    assert row["omit_rate"] == 1 / 3
    assert "NO_ACTIVITY_14D" not in codes(row)


def test_reliable_needs_three_omitted_items():
    b = SnapshotBuilder()
    sid = omit_student(b, 18, 2)  # 10 %
    assert metrics_row(b, sid)["omit_status"] == "WARN"
    assert metrics_row(b, sid, RELIABLE)["omit_status"] == "OK"


# -- GUESS ----------------------------------------------------------------------------------------

def guess_student(b: SnapshotBuilder, x, a, b_params, *, theta_ref=-0.35, se_ref=0.30, c=0.2, n_options=4):
    sid = b.student()
    if theta_ref is not None:
        b.estimate(sid, b.days_before(20), theta_ref, se_ref)
    start = b.local(dt.date(2026, 11, 10))
    for i, (xi, ai, bi) in enumerate(zip(x, a, b_params)):
        b.present(sid, start + dt.timedelta(minutes=i), "correct" if xi else "incorrect",
                  a=ai, b=bi, c=c, n_options=n_options)
    return sid


def test_c_hat_test_vector_through_the_whole_engine():
    b = SnapshotBuilder()
    sid = guess_student(b, X, A, B)
    row = metrics_row(b, sid)
    assert abs(row["c_hat"] - 0.243713725221) < 1e-12
    assert abs(row["c_hat_se"] - 0.116931244981) < 1e-12
    assert math.isclose(row["c_hat_z"], (row["c_hat"] - 0.2) / row["c_hat_se"], rel_tol=1e-14)
    assert (row["n_guess_items"], row["n_guess_hard"]) == (30, 14)
    assert row["guess_status"] == "OK" and row["c_hat_pct"] == 50.0


def test_c_hat_at_the_upper_bound_when_every_hard_item_is_correct():
    b = SnapshotBuilder()
    sid = guess_student(b, [1] * 30, [1.0] * 30, [2.0] * 30, theta_ref=0.0)
    row = metrics_row(b, sid)
    assert row["c_hat"] == 0.5
    assert row["guess_status"] == "CRIT" and "GUESS_CRIT" in codes(row)


def test_c_hat_when_every_response_is_wrong():
    b = SnapshotBuilder()
    sid = guess_student(b, [0] * 30, [1.0] * 30, [2.0] * 30, theta_ref=0.0)
    row = metrics_row(b, sid)
    assert abs(row["c_hat"] - 1 / 35) < 1e-15  # s(c) = -(30 + 4)/(1 - c) + 1/c = 0
    assert row["guess_status"] == "OK"


def test_guess_insufficient_codes_all_emitted():
    b = SnapshotBuilder()
    no_ref = guess_student(b, [1] * 29, [1.0] * 29, [2.0] * 29, theta_ref=None)
    easy = guess_student(b, [1] * 30, [1.0] * 30, [-3.0] * 30, theta_ref=0.0)
    row = metrics_row(b, no_ref)
    assert row["guess_status"] == "INSUFFICIENT"
    assert [c for c in codes(row) if "GUESS" in c] == ["INSUFF_GUESS_FEW_ITEMS", "INSUFF_GUESS_NO_THETA_REF"]
    assert row["n_guess_items"] == 29 and pd.isna(row["n_guess_hard"])
    assert math.isnan(row["c_hat"]) and math.isnan(row["c_hat_pct"])
    row = metrics_row(b, easy)
    assert [c for c in codes(row) if "GUESS" in c] == ["INSUFF_GUESS_FEW_HARD_ITEMS"]
    assert row["n_guess_hard"] == 0


def test_only_first_answered_presentation_of_usable_items_counts():
    b = SnapshotBuilder()
    sid = guess_student(b, X, A, B)
    start = b.local(dt.date(2026, 11, 20))
    first_item = b.presentations[0]["item_id"]
    b.present(sid, start, "incorrect", item_id=first_item, a=A[0], b=B[0])  # a repeat: ignored
    b.present(sid, start, "correct", n_options=2)  # true/false item: not selected-response enough
    b.present(sid, start, "correct", n_options=None)
    b.present(sid, start, "correct", a=None)
    row = metrics_row(b, sid)
    assert row["n_guess_items"] == 30
    assert abs(row["c_hat"] - 0.243713725221) < 1e-12


def test_invalid_se_ref_keeps_c_hat_but_not_its_se():
    b = SnapshotBuilder()
    sid = guess_student(b, X, A, B, se_ref=0.0)
    b.theta[-1]["se"] = None  # the snapshot's hygiene turns se <= 0 into NULL
    row = metrics_row(b, sid)
    assert abs(row["c_hat"] - 0.243713725221) < 1e-12
    assert math.isnan(row["c_hat_se"]) and math.isnan(row["c_hat_z"])


# -- ATTENDANCE -----------------------------------------------------------------------------------

SCHOOL = weekdays(OCT26, dt.date(2026, 11, 20))


def attendance_student(b: SnapshotBuilder, absent: AbstractSet[dt.date] = frozenset(),
                       missing: AbstractSet[dt.date] = frozenset(), enrolled_on: dt.date = dt.date(2026, 1, 1)) -> int:
    sid = b.student(enrolled_on=enrolled_on)
    for day in sorted(set(b.school_days)):
        if day >= enrolled_on and day not in missing:
            b.attend(sid, day, "absent" if day in absent else "present")
    return sid


def test_five_day_streak_across_a_weekend():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    streak = {dt.date(2026, 11, d) for d in (12, 13, 16, 17, 18)}  # Thu, Fri, Mon, Tue, Wed
    row = metrics_row(b, attendance_student(b, streak))
    assert row["max_streak"] == 5
    assert (row["sched_week"], row["absent_week"], row["sched_2wk"], row["absent_2wk"]) == (5, 3, 10, 5)
    assert row["attendance_status"] == "CRIT"
    assert [c for c in codes(row) if "ABSENCE" in c] == ["ABSENCE_2WK_CRIT", "ABSENCE_STREAK_CRIT", "ABSENCE_WEEK_CRIT"]


def test_five_day_streak_across_a_holiday():
    b = SnapshotBuilder()
    holiday = dt.date(2026, 11, 18)
    b.calendar([d for d in SCHOOL if d != holiday])
    streak = {dt.date(2026, 11, d) for d in (13, 16, 17, 19, 20)}
    row = metrics_row(b, attendance_student(b, streak))
    assert row["max_streak"] == 5 and "ABSENCE_STREAK_CRIT" in codes(row)
    assert (row["sched_week"], row["absent_week"]) == (4, 4)


def test_missing_record_breaks_a_streak():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    row = metrics_row(b, attendance_student(
        b, absent={dt.date(2026, 11, d) for d in (12, 13, 17, 18)}, missing={dt.date(2026, 11, 16)}))
    assert row["max_streak"] == 2 and row["att_missing_days"] == 1
    assert "ABSENCE_STREAK_CRIT" not in codes(row)
    assert (row["sched_week"], row["absent_week"]) == (4, 2)


def test_streak_ending_before_the_window_does_not_count():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    row = metrics_row(b, attendance_student(b, {dt.date(2026, 11, d) for d in (2, 3, 4, 5, 6)}))
    assert row["max_streak"] == 0 and row["attendance_status"] == "OK"


def test_weekly_absence_exactly_20_percent():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    sid = attendance_student(b, {dt.date(2026, 11, 18)})
    legacy = metrics_row(b, sid)
    assert legacy["attendance_status"] == "CRIT"
    assert [c for c in codes(legacy) if "ABSENCE" in c] == ["ABSENCE_WEEK_CRIT"]
    reliable = metrics_row(b, sid, RELIABLE)  # CRIT needs 2 absent days: WARN (>= 10 %)
    assert [c for c in codes(reliable) if "ABSENCE" in c] == ["ABSENCE_WEEK_WARN"]


def test_two_week_absence_exactly_10_percent_with_a_10_percent_threshold():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    sid = attendance_student(b, {dt.date(2026, 11, 10)})
    assert metrics_row(b, sid)["attendance_status"] == "OK"  # 1 of 10 = 10 % < 15 %
    custom = Thresholds.from_mapping({"attendance": {"two_week_warn_pct": 10}})
    row = metrics_row(b, sid, custom)
    assert [c for c in codes(row) if "ABSENCE" in c] == ["ABSENCE_2WK_WARN"]


@pytest.mark.parametrize("missing_days, insufficient", [(2, False), (3, True)])
def test_more_than_20_percent_missing_records(missing_days, insufficient):
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    missing = {dt.date(2026, 11, 9) + dt.timedelta(days=i) for i in range(missing_days)}
    row = metrics_row(b, attendance_student(b, missing=missing))
    assert row["att_missing_days"] == missing_days
    assert ("INSUFF_ATT_MISSING_RECORDS" in codes(row)) is insufficient
    assert row["attendance_status"] == ("INSUFFICIENT" if insufficient else "OK")


def test_student_enrolled_mid_window():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    mid = attendance_student(b, enrolled_on=dt.date(2026, 11, 18))
    late = attendance_student(b, enrolled_on=dt.date(2026, 11, 19))
    row = metrics_row(b, mid)
    assert (row["sched_week"], row["sched_2wk"], row["att_missing_days"]) == (3, 3, 0)
    assert row["attendance_status"] == "OK"
    row = metrics_row(b, late)
    assert row["attendance_status"] == "INSUFFICIENT"
    assert [c for c in codes(row) if "ATT" in c] == ["INSUFF_ATT_FEW_DAYS"]


def test_records_on_unscheduled_days_are_ignored_and_saturday_school_counts():
    b = SnapshotBuilder()
    saturday = dt.date(2026, 11, 21)
    b.calendar(SCHOOL + [saturday])
    sid = attendance_student(b)
    b.attend(sid, dt.date(2026, 11, 22), "absent")  # a Sunday, not a school day
    row = metrics_row(b, sid)
    assert (row["sched_week"], row["absent_week"]) == (6, 0)


def test_late_is_present_and_counted():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    sid = attendance_student(b)
    b.attendance = [dict(r, status="late") if r["school_date"] == dt.date(2026, 11, 17) else r for r in b.attendance]
    row = metrics_row(b, sid)
    assert row["n_late"] == 1 and row["absent_week"] == 0


# -- DST, no data, levels ---------------------------------------------------------------------------

def test_dst_week_in_new_york_uses_local_midnights():
    b = SnapshotBuilder(dt.date(2026, 10, 26), "America/New_York")  # DST ends Sun 1 Nov 2026
    sid = b.student()
    b.estimate(sid, dt.datetime(2026, 10, 26, 4, 30, tzinfo=dt.UTC), 0.0)  # Mon 00:30 EDT: in the week
    b.estimate(sid, dt.datetime(2026, 10, 26, 3, 30, tzinfo=dt.UTC), 0.5)  # Sun 23:30 EDT: baseline
    row = metrics_row(b, sid)
    assert row["theta_now"] == 0.0 and row["delta_7d"] == -0.5
    assert row["theta_status"] == "CRIT"


def test_student_with_no_data_at_all():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    sid = b.student()
    row = metrics_row(b, sid)
    assert row["level"] == "INSUFFICIENT_DATA" and row["coverage"] == 0.0
    assert row["reason_codes"] == ";".join([
        "INSUFF_ATT_FEW_DAYS", "INSUFF_ATT_MISSING_RECORDS", "INSUFF_GUESS_FEW_ITEMS", "INSUFF_GUESS_NO_THETA_REF",
        "INSUFF_OMIT_FEW_ITEMS", "INSUFF_THETA_NO_BASELINE_14D", "INSUFF_THETA_NO_BASELINE_7D",
        "INSUFF_THETA_NO_RECENT", "INSUFF_THETA_STREAK", "NO_ACTIVITY_14D",
    ])
    assert (row["n_presented"], row["n_omitted"], row["n_not_reached"], row["n_guess_items"]) == (0, 0, 0, 0)
    assert math.isnan(row["omit_rate"])


def test_level_is_the_worst_domain_and_coverage_counts_evaluated_domains():
    b = SnapshotBuilder()
    b.calendar(SCHOOL)
    sid = attendance_student(b, {dt.date(2026, 11, 18)})  # attendance CRIT
    b.estimate(sid, b.days_before(1), 0.0)
    b.estimate(sid, b.days_before(8), 0.2)  # θ WARN
    row = metrics_row(b, sid)
    assert ((row["theta_status"], row["attendance_status"], row["level"], row["coverage"])
            == ("WARN", "CRIT", "CRIT", 0.5))
    other = b.student()
    b.estimate(other, b.days_before(1), 0.0)
    b.estimate(other, b.days_before(8), 0.0)
    row = metrics_row(b, other)
    assert (row["level"], row["coverage"]) == ("OK", 0.25)
