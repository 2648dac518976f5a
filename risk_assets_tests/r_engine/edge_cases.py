"""Two snapshots holding the edge cases of docs/metrics.md, "Edge cases" (the scenarios of metrics/test_edge_cases.py)
side by side.

`seoul_edge_cases()` puts one student per scenario into a single Asia/Seoul week; `new_york_dst_week()` is the
America/New_York week in which DST ends. Each scenario sits on its exact boundary, so an engine that gets a
single inequality, tie-break or window edge wrong differs from the other somewhere.
"""

from __future__ import annotations

import datetime as dt

from risk_assets.snapshot.model import Snapshot
from risk_assets_tests.metrics.builder import SnapshotBuilder, weekdays
from risk_assets_tests.metrics.c_hat_vector import A, B, X

SECOND = dt.timedelta(seconds=1)
UTC = dt.UTC


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


# -- scenario helpers (the edge-case module's, parameterised by day) ------------------------------------

def omit_student(b: SnapshotBuilder, answered: int, omitted: int, on: dt.date) -> int:
    """`omitted` omits, each followed by an answer in the same session, then the rest answered."""
    sid = b.student(name=f"생략 {answered}/{omitted}")
    b.session(sid, on, ["omitted", "correct"] * omitted + ["incorrect"] * (answered - omitted))
    return sid


def guess_student(b: SnapshotBuilder, x, a, b_params, *, start: dt.datetime, ref_at: dt.datetime,
                  theta_ref=-0.35, se_ref=0.30, c=0.2, n_options=4, name="추측") -> int:
    sid = b.student(name=name)
    if theta_ref is not None:
        b.estimate(sid, ref_at, theta_ref, se_ref)
    for i, (xi, ai, bi) in enumerate(zip(x, a, b_params)):
        b.present(sid, start + dt.timedelta(minutes=i), "correct" if xi else "incorrect",
                  a=ai, b=bi, c=c, n_options=n_options)
    return sid


LONG_AGO = dt.date(2026, 1, 1)


def attendance_student(b: SnapshotBuilder, absent=frozenset(), missing=frozenset(), *,
                       enrolled_on: dt.date = LONG_AGO, withdrawn_on: dt.date | None = None,
                       statuses: dict[dt.date, str] | None = None, name="출석") -> int:
    sid = b.student(enrolled_on=enrolled_on, withdrawn_on=withdrawn_on, name=name)
    for d in sorted(set(b.school_days)):
        if d >= enrolled_on and d not in missing:
            status = (statuses or {}).get(d, "absent" if d in absent else "present")
            b.attend(sid, d, status)
    return sid


# -- Asia/Seoul, week of Mon 16 Nov 2026: C = Mon 23 Nov 00:00 KST --------------------------------------

def seoul_edge_cases() -> Snapshot:
    b = SnapshotBuilder(day(11, 16), "Asia/Seoul")
    # School days: weekdays from C - 28 d, a Wednesday holiday inside the window (11 Nov) and a Saturday
    # school day (21 Nov). Window [9 Nov, 23 Nov) = 10 school days; week [16 Nov, 23 Nov) = 6.
    holiday, saturday = day(11, 11), day(11, 21)
    b.calendar(weekdays(day(10, 26), day(11, 20), skip=(holiday,)) + [saturday])

    _theta(b)
    _omit(b)
    _guess(b)
    _attendance(b, holiday)

    # Several domains at once: attendance CRIT and θ WARN → level CRIT, coverage 0.5.
    sid = attendance_student(b, {day(11, 18)}, {day(11, 17)}, name="여러 영역")
    b.estimate(sid, b.days_before(1), 0.0)
    b.estimate(sid, b.days_before(8), 0.2)
    # θ only: level OK with coverage 0.25 ("OK (partial)").
    sid = b.student(name="부분")
    b.estimate(sid, b.days_before(1), 0.0)
    b.estimate(sid, b.days_before(8), 0.0)
    # Everything evaluated and fine: coverage 1.
    sid = attendance_student(b, name="모두 정상")
    b.estimate(sid, b.days_before(1), 0.1)
    b.estimate(sid, b.days_before(8), 0.1)
    b.estimate(sid, b.days_before(15), 0.1)
    start = b.local(day(11, 10))
    for i, (ai, bi) in enumerate(zip(A, B)):
        b.present(sid, start + dt.timedelta(minutes=i), "incorrect" if i % 3 == 0 else "correct", a=ai, b=bi)
    b.estimate(sid, b.days_before(20), 0.0)
    # A student with no data at all, and names that need quoting in CSV.
    b.student(name="데이터 없음")
    b.student(name='김, "별명"\n둘째 줄', class_name=None)
    b.student(name=" 공백 ", class_name="007")
    # Rows of a student who is not counted this week are ignored by every rule.
    ghost = 99_999
    b.estimate(ghost, b.days_before(1), 0.0)
    b.present(ghost, b.local(day(11, 17)), "omitted")
    b.attend(ghost, day(11, 17), "absent")
    return b.build()


def _theta(b: SnapshotBuilder) -> None:
    # No θ this week: INSUFFICIENT, never a zero change.
    sid = b.student(name="θ 없음")
    b.estimate(sid, b.days_before(10), 0.4)
    # Baselines exactly 14 d old are included ...
    seven, fourteen = b.student(name="기준 7"), b.student(name="기준 14")
    b.estimate(seven, b.days_before(1), 0.0, 0.3)
    b.estimate(seven, b.days_before(21), 0.4, 0.4)
    b.estimate(fourteen, b.days_before(1), 0.0, 0.3)
    b.estimate(fourteen, b.days_before(28), 0.6, 0.3)
    # ... 14 d + 1 s old are excluded.
    seven, fourteen = b.student(name="기준 7 밖"), b.student(name="기준 14 밖")
    b.estimate(seven, b.days_before(1), 0.0)
    b.estimate(seven, b.days_before(21) - SECOND, 0.4)
    b.estimate(fourteen, b.days_before(1), 0.0)
    b.estimate(fourteen, b.days_before(28) - SECOND, 0.9)
    # Equal timestamps: the larger estimate_id wins.
    sid = b.student(name="동시각")
    at = b.days_before(2)
    b.estimate(sid, at, 0.5, 0.25, estimate_id=90_060)
    b.estimate(sid, at, -1.0, 0.35, estimate_id=90_050)
    b.estimate(sid, b.days_before(9), 0.6, 0.3)
    # θ_now window edges: at C - 7 d (in), at C (out); the last of several estimates in a week counts.
    sid = b.student(name="주 경계")
    b.estimate(sid, b.days_before(7), 0.3)
    b.estimate(sid, b.cutoff, -2.0)
    b.estimate(sid, b.days_before(7) - SECOND, 0.9)
    b.estimate(sid, b.days_before(14), 0.8)
    sid = b.student(name="여러 추정")
    for hours, theta in ((10, 0.1), (30, -0.4), (50, 0.05)):
        b.estimate(sid, b.days_before(7) + dt.timedelta(hours=hours), theta)
    b.estimate(sid, b.days_before(8), 0.3)
    # A drop exactly at the threshold does not fire (strict <), at both horizons.
    sid = b.student(name="임계")
    b.estimate(sid, b.days_before(1), 0.0)
    b.estimate(sid, b.days_before(8), 0.15)
    b.estimate(sid, b.days_before(15), 0.25)
    # Three-week declines: small noisy steps (legacy only), steep precise steps (both profiles),
    # steps smaller than streak_eps, and one missing weekly value.
    for name, thetas, se in (("하락 작음", [0.0, 0.1, 0.2, 0.3], 0.3), ("하락 큼", [0.0, 0.6, 1.2, 1.8], 0.1),
                             ("하락 미세", [0.0, 0.04, 0.08, 0.12], 0.3), ("하락 결측", [0.0, 0.1, None, 0.3], 0.3)):
        sid = b.student(name=name)
        for k, weekly in enumerate(thetas):
            if weekly is not None:
                b.estimate(sid, b.days_before(7 * k + 3), weekly, se)
    # z gate on drops: a noisy and a precise drop of the same size.
    for name, se in (("잡음", 0.3), ("정밀", 0.1)):
        sid = b.student(name=name)
        b.estimate(sid, b.days_before(1), 0.0, se)
        b.estimate(sid, b.days_before(8), 0.4, se)
        b.estimate(sid, b.days_before(15), 0.7, se)
    # A WARN-sized drop measured precisely: WARN in both profiles.
    sid = b.student(name="정밀 경고")
    b.estimate(sid, b.days_before(1), 0.0, 0.05)
    b.estimate(sid, b.days_before(8), 0.2, 0.05)
    # An invalid (NULL) se makes z NULL and fails the gate.
    sid = b.student(name="se 없음")
    b.estimate(sid, b.days_before(1), 0.0, None)
    b.estimate(sid, b.days_before(8), 0.4, 0.1)


def _omit(b: SnapshotBuilder) -> None:
    on = day(11, 18)
    for answered, omitted in ((19, 0), (20, 0), (23, 2), (24, 2), (17, 3), (18, 2), (30, 3), (10, 1), (9, 0)):
        omit_student(b, answered, omitted, on)
    # Trailing omits of a session are not reached; a session of only omits is all not reached.
    sid = b.student(name="미도달")
    b.session(sid, day(11, 17), ["correct", "omitted", "correct", "omitted", "omitted"])
    b.session(sid, day(11, 18), ["omitted"])
    # Equal presented_at: (item_id, presentation_id) decide what is "later" in the session.
    sid = b.student(name="동시 제시")
    at = b.local(day(11, 19), 9)
    b.present(sid, at, "omitted", session=777, item_id=300)   # before the answer (item 400): OMITTED
    b.present(sid, at, "correct", session=777, item_id=400)
    b.present(sid, at, "omitted", session=777, item_id=500)   # after it: NOT_REACHED
    b.present(sid, at, "omitted", session=777, item_id=400)   # same item, larger presentation_id: after
    # Two sessions interleaved in time; an invalid outcome does not exist for any rule.
    sid = b.student(name="교차 세션")
    at = b.local(day(11, 20), 14)
    for i in range(24):
        b.present(sid, at + dt.timedelta(seconds=10 * i), "omitted" if i % 5 == 0 else "correct",
                  session=880 + i % 2)
    b.present(sid, at + dt.timedelta(seconds=500), "skipped", session=880)
    b.present(sid, at + dt.timedelta(seconds=501), "omitted", session=881)
    # Only invalid presentations: still no activity.
    sid = b.student(name="무효만")
    b.present(sid, b.local(day(11, 20)), "CORRECT")


def _guess(b: SnapshotBuilder) -> None:
    start, ref_at = b.local(day(11, 10)), b.days_before(20)

    def student(x, a, bp, **kw) -> int:
        return guess_student(b, x, a, bp, start=start, ref_at=ref_at, **kw)

    student(X, A, B, name="테스트 벡터")
    student(X, A, B, name="테스트 벡터 2")  # identical data: a tie in c_hat_pct
    student([1] * 30, [1.0] * 30, [2.0] * 30, theta_ref=0.0, name="상한")
    student([0] * 30, [1.0] * 30, [2.0] * 30, theta_ref=0.0, name="모두 오답")
    student([1] * 29, [1.0] * 29, [2.0] * 29, theta_ref=None, name="θ_ref 없음")
    student([1] * 30, [1.0] * 30, [-3.0] * 30, theta_ref=0.0, name="쉬운 문항")
    student([1] * 20 + [0] * 10, [1.0] * 30, [0.5 + 0.05 * i for i in range(30)], theta_ref=0.0, se_ref=0.1,
            name="추측 경고")
    student([1, 1, 0] * 12, [0.8 + 0.01 * i for i in range(36)], [1.5 - 0.02 * i for i in range(36)],
            theta_ref=-0.5, se_ref=0.05, name="추측 z")
    # c_hat between WARN and CRIT: 40 items (z gate fails), 80 items (z gate passes).
    for n, frac in ((40, 0.45), (80, 0.5)):
        x = [1 if (i * frac) % 1 + frac >= 1 else 0 for i in range(n)]
        student(x, [1.0] * n, [1.0 + 1.5 * i / n for i in range(n)], theta_ref=0.0, se_ref=0.05,
                name=f"추측 {n}")
    student(X, A, B, c=None, name="c 없음")  # c_ref NULL → c_hat_z NULL
    student(X, A, B, se_ref=None, name="se_ref 없음")  # c_hat kept, c_hat_se and c_hat_z NULL
    # Only the first answered presentation of a usable item counts.
    sid = student(X, A, B, name="첫 응답")
    later = b.local(day(11, 20))
    first_item = next(p["item_id"] for p in b.presentations if p["student_id"] == sid)
    b.present(sid, later, "incorrect", item_id=first_item, a=A[0], b=B[0])
    b.present(sid, later, "correct", n_options=2)
    b.present(sid, later, "correct", n_options=None)
    b.present(sid, later, "correct", a=None)
    b.present(sid, later, "correct", a=-1.0)
    b.present(sid, later, "correct", a=None, b=None, c=None, n_options=None)  # item without a row: OMIT only
    # An item's first presentation omitted, then answered: the answer is its first answered presentation.
    b.present(sid, later - dt.timedelta(hours=1), "omitted", item_id=424_242, a=1.2, b=1.0)
    b.present(sid, later + SECOND, "correct", item_id=424_242, a=1.2, b=1.0)


def _attendance(b: SnapshotBuilder, holiday: dt.date) -> None:
    attendance_student(b, {day(11, d) for d in (12, 13, 16, 17, 18)}, name="주말 연속")
    attendance_student(b, {day(11, 9), day(11, 10), day(11, 12), day(11, 13), day(11, 16)}, name="휴일 연속")
    attendance_student(b, {day(11, d) for d in (12, 13, 17, 18)}, {day(11, 16)}, name="기록 없음 끊김")
    attendance_student(b, {day(11, d) for d in (2, 3, 4, 5, 6)}, name="창 이전 연속")
    attendance_student(b, {day(11, 5), day(11, 6), day(11, 9), day(11, 10), day(11, 12)}, name="창 걸친 연속")
    attendance_student(b, {day(11, 18)}, {day(11, 19)}, name="주 20%")  # 1 of 5 recorded days
    attendance_student(b, {day(11, 18)}, name="주 1일")  # 1 of 6
    attendance_student(b, {day(11, 10)}, name="2주 10%")  # 1 of 10
    attendance_student(b, {day(11, 9), day(11, 13), day(11, 19)}, name="2주 30%")
    attendance_student(b, missing={day(11, 9), day(11, 10)}, name="결측 20%")
    attendance_student(b, missing={day(11, 9), day(11, 10), day(11, 12)}, name="결측 30%")
    attendance_student(b, {day(11, 16)}, missing={day(11, 9), day(11, 10), day(11, 12), day(11, 13)},
                       name="결측 많음 결석")
    attendance_student(b, enrolled_on=day(11, 18), name="중간 입학")
    attendance_student(b, enrolled_on=day(11, 20), name="늦은 입학")
    attendance_student(b, {day(11, 17)}, withdrawn_on=day(11, 19), name="중간 퇴학")
    sid = attendance_student(b, statuses={day(11, 17): "late", day(11, 18): "excused", day(11, 19): "late"},
                             name="지각 결석계")
    b.attend(sid, day(11, 22), "absent")  # a Sunday: not a school day for anyone
    b.attend(sid, holiday, "absent")       # the holiday: not scheduled either
    sid = b.student(name="기록만 일부")
    for d in (day(11, 19), day(11, 20), day(11, 21)):
        b.attend(sid, d, "absent")


# -- America/New_York, week of Mon 26 Oct 2026: DST ends Sun 1 Nov; C = Mon 2 Nov 00:00 EST -----------------

def new_york_dst_week() -> Snapshot:
    b = SnapshotBuilder(day(10, 26), "America/New_York")
    b.calendar(weekdays(day(10, 5), day(10, 30)))
    c = b.cutoff  # 2026-11-02 05:00 UTC; C - 7 d = 2026-10-26 04:00 UTC (EDT): this week is 169 h long
    # The DST edge case of docs/metrics.md, "Edge cases": θ_now just after local midnight EDT, baseline just before.
    sid = b.student(name="DST")
    b.estimate(sid, dt.datetime(2026, 10, 26, 4, 30, tzinfo=UTC), 0.0)
    b.estimate(sid, dt.datetime(2026, 10, 26, 3, 30, tzinfo=UTC), 0.5)
    # Edges of the DST week, to the second.
    sid = b.student(name="edges")
    b.estimate(sid, c - SECOND, -0.2)                        # Sun 1 Nov 23:59:59 EST: in the week
    b.estimate(sid, c, -3.0)                                 # C itself: excluded
    b.estimate(sid, b.days_before(7), 0.1)                   # exactly C - 7 d: in the week
    b.estimate(sid, b.days_before(7) - SECOND, 0.4)          # θ_7 (week before)
    b.estimate(sid, b.days_before(28), 0.9)                  # exactly C - 28 d: θ_14 and θ_w(3)
    b.estimate(sid, b.days_before(14) + dt.timedelta(hours=1), 0.6)
    b.estimate(sid, b.days_before(21) + dt.timedelta(hours=1), 0.7)
    sid = b.student(name="24h not a day")  # 7 × 24 h before C is 01:00 EDT on Mon 26 Oct: inside the week
    b.estimate(sid, c - dt.timedelta(hours=7 * 24), 0.0)
    b.estimate(sid, b.days_before(7) - dt.timedelta(minutes=30), 0.35)
    # Practice on the night the clocks go back: 01:30 local happens twice (05:30 and 06:30 UTC).
    sid = b.student(name="fall back")
    for i, (hour, minute) in enumerate(((5, 30), (6, 30), (5, 45), (6, 15), (6, 50))):
        b.present(sid, dt.datetime(2026, 11, 1, hour, minute, tzinfo=UTC), "omitted" if i in (0, 3) else "correct",
                  session=4242)
    omit_student(b, 17, 3, day(10, 28))
    guess_student(b, X, A, B, start=b.local(day(10, 20)), ref_at=b.days_before(20), name="vector NY")
    attendance_student(b, {day(10, d) for d in (22, 23, 26, 27, 28)}, name="streak NY")
    attendance_student(b, {day(10, 30)}, {day(10, 29)}, name="week 20% NY")
    b.student(name="nothing NY")
    return b.build()
