"""Counting conflicting θ estimates without a database: which estimates the tie rule overrules with another value."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from risk_assets.snapshot import hygiene
from risk_assets.snapshot.schema import THETA

AT = dt.datetime(2026, 11, 20, 1, tzinfo=dt.UTC)


def conflicts(rows: list[tuple[int, int, dt.datetime, float]]) -> int:
    """(estimate_id, student_id, estimated_at, theta) rows through clean_theta: the count it records."""
    frame = THETA.typed(pd.DataFrame([dict(estimate_id=e, student_id=s, estimated_at=t, theta=v, se=0.3)
                                      for e, s, t, v in rows], columns=THETA.column_names), source="fixture")
    found = hygiene.Hygiene()
    cleaned = hygiene.clean_theta(frame, found, (-6.0, 6.0))
    assert len(cleaned) == len(rows)  # counted, never dropped
    return found.counts["theta_conflicting_same_instant"]


def test_each_estimate_the_tie_rule_overrules_with_another_value_counts_once():
    later = AT + dt.timedelta(microseconds=1)
    assert conflicts([(1, 7, AT, 0.4), (2, 7, later, -3.5)]) == 0  # a microsecond apart: no tie
    assert conflicts([(1, 7, AT, 0.4), (2, 8, AT, -3.5)]) == 0  # two students
    assert conflicts([(1, 7, AT, 0.4), (2, 7, AT, 0.4)]) == 0  # a repeat, not a conflict
    assert conflicts([(2, 7, AT, 0.4), (1, 7, AT, -3.5)]) == 1  # id 2 wins whatever the row order
    assert conflicts([(1, 7, AT, 0.4), (2, 7, AT, 0.1), (3, 7, AT, -3.5)]) == 2  # three values: two overruled
    assert conflicts([(1, 7, AT, 0.4), (2, 7, AT, -3.5), (3, 7, AT, -3.5)]) == 1  # the winner's repeat is no conflict
    assert conflicts([(1, 7, AT, -3.5), (2, 7, AT, 0.4), (3, 7, AT, 0.4), (4, 8, AT, 1.0), (5, 8, AT, 1.5)]) == 2
