"""Students on every edge of ENGAGEMENT (docs/metrics.md, "ENGAGEMENT"), in one Asia/Seoul week, shared by the
Python unit tests and the R engine's parity test. Items without a history row use the 3 s default; items 9001–9005
have one."""

from __future__ import annotations

import datetime as dt

from risk_assets.config.thresholds import Thresholds
from risk_assets.snapshot.model import Snapshot
from risk_assets_tests.metrics.builder import SnapshotBuilder

ENGAGEMENT_ON = Thresholds.from_mapping({"engagement": {"enabled": True}})
DAY = dt.date(2026, 11, 17)  # inside the window of the week of 16 Nov 2026


def answers(n: int, rt_ms: int | None) -> list[int | None]:
    return [rt_ms] * n


def rapid_student(b: SnapshotBuilder, name: str, times: list[int | None], *, item_id: int | None = None) -> int:
    """One session of correct answers, 30 s apart, with these response times (None: no time recorded)."""
    sid = b.student(name=name)
    start = b.local(DAY)
    for i, rt in enumerate(times):
        b.present(sid, start + dt.timedelta(seconds=30 * i), "correct", session=sid, item_id=item_id,
                  response_time_ms=rt)
    return sid


def theta_drop(b: SnapshotBuilder, sid: int) -> None:
    """Δθ_7 = -0.5: a θ CRIT."""
    b.estimate(sid, b.days_before(1), -0.5, 0.2)
    b.estimate(sid, b.days_before(8), 0.0, 0.2)


def engagement_snapshot() -> Snapshot:
    b = SnapshotBuilder()
    rapid_student(b, "rg 2/20", answers(2, 1000) + answers(18, 15000))
    rapid_student(b, "rg 2/21", answers(2, 1000) + answers(19, 15000))
    rapid_student(b, "rg 6/20", answers(6, 1000) + answers(14, 15000))
    rapid_student(b, "rg 6/21", answers(6, 1000) + answers(15, 15000))
    rapid_student(b, "rg 19 answered", answers(19, 1000))
    rapid_student(b, "rg 6 untimed", answers(6, None) + answers(19, 15000))

    mixed = rapid_student(b, "rg omits and unknown items", answers(20, 15000))
    start = b.local(DAY, hour=14)
    for i in range(5):  # omitted (each followed by an answer in its session) and fast: not answers
        b.present(mixed, start + dt.timedelta(seconds=60 * i), "omitted", session=mixed + 1, response_time_ms=500)
        b.present(mixed, start + dt.timedelta(seconds=60 * i + 30), "correct", session=mixed + 1, item_known=False,
                  a=None, b=None, c=None, n_options=None, response_time_ms=500)  # an item without a row in `items`

    b.item_history(9001, 50, 20_000)
    rapid_student(b, "rg item history 50", answers(20, 2500), item_id=9001)
    b.item_history(9002, 49, 20_000)
    rapid_student(b, "rg item history 49", answers(20, 2500), item_id=9002)
    rapid_student(b, "rg new item", answers(10, 2999) + answers(10, 3000), item_id=9003)
    b.item_history(9004, 100, 200_000)
    rapid_student(b, "rg capped", answers(10, 9999) + answers(10, 10_000), item_id=9004)
    b.item_history(9005, 60, 20_000)
    rapid_student(b, "rg at the threshold", answers(10, 1999) + answers(10, 2000), item_id=9005)

    theta_drop(b, rapid_student(b, "rg theta drop + rapid", answers(10, 1000) + answers(10, 15000)))
    omitting = b.student(name="rg theta drop + omits")
    b.session(omitting, DAY, ["omitted", "correct"] * 4 + ["correct"] * 12)
    theta_drop(b, omitting)
    theta_drop(b, rapid_student(b, "rg theta drop, engaged", answers(20, 15000)))
    return b.build()
