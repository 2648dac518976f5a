"""ENGAGEMENT (docs/metrics.md, "ENGAGEMENT"): every edge of the rule, with exact statuses, codes and numbers.

The scenarios live in `engagement_cases` so that the R engine's parity test runs the very same students.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from risk_assets.config.thresholds import Thresholds
from risk_assets.metrics import compute_metrics
from risk_assets.metrics.engagement import MissingResponseTimes
from risk_assets_tests.metrics.builder import SnapshotBuilder
from risk_assets_tests.metrics.engagement_cases import (
    ENGAGEMENT_ON,
    answers,
    engagement_snapshot,
    rapid_student,
)
from risk_assets_tests.metrics.metric_rows import LEGACY, codes


def rows_by_name(snapshot, thresholds: Thresholds = ENGAGEMENT_ON) -> dict[str, dict]:
    frame = compute_metrics(snapshot, thresholds)
    return {row["display_name"]: row for row in frame.to_dict("records")}


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    return rows_by_name(engagement_snapshot())


def engagement(row: dict) -> tuple:
    return row["engagement_status"], row["n_timed"], row["n_rapid"], row["rg_rate"]


def test_exactly_ten_percent_is_warn_and_just_under_is_ok(rows):
    assert engagement(rows["rg 2/20"]) == ("WARN", 20, 2, 0.1)
    assert "RAPID_GUESS_WARN" in codes(rows["rg 2/20"])
    assert engagement(rows["rg 2/21"]) == ("OK", 21, 2, 2 / 21)
    assert not [c for c in codes(rows["rg 2/21"]) if "RAPID" in c]


def test_exactly_thirty_percent_is_crit_with_only_the_crit_code(rows):
    assert engagement(rows["rg 6/20"]) == ("CRIT", 20, 6, 0.3)
    assert [c for c in codes(rows["rg 6/20"]) if "RAPID" in c] == ["RAPID_GUESS_CRIT"]
    assert engagement(rows["rg 6/21"])[0] == "WARN"


def test_fewer_than_twenty_timed_answers_is_insufficient_and_says_only_so(rows):
    row = rows["rg 19 answered"]
    assert engagement(row) == ("INSUFFICIENT", 19, 19, 1.0)
    assert [c for c in codes(row) if "ENGAGEMENT" in c or "RAPID" in c] == ["INSUFF_ENGAGEMENT_FEW_ITEMS"]


def test_missing_response_times_count_neither_way(rows):
    """25 answers of which 6 have no time: 19 timed, INSUFFICIENT; the untimed ones are not 'not rapid'."""
    assert engagement(rows["rg 6 untimed"]) == ("INSUFFICIENT", 19, 0, 0.0)


def test_omitted_and_unknown_item_presentations_are_not_timed_answers(rows):
    assert engagement(rows["rg omits and unknown items"]) == ("OK", 20, 0, 0.0)


def test_an_item_with_exactly_fifty_timed_answers_has_its_own_threshold(rows):
    """Mean 20 s over 50 answers: threshold 2 s, so a 2.5 s answer is not rapid (under the 3 s default it would be)."""
    assert engagement(rows["rg item history 50"]) == ("OK", 20, 0, 0.0)


def test_an_item_with_forty_nine_timed_answers_falls_back_to_three_seconds(rows):
    assert engagement(rows["rg item history 49"]) == ("CRIT", 20, 20, 1.0)


def test_an_item_first_seen_in_the_window_uses_the_default(rows):
    """No history row at all (the item is new): 3 s; 2.999 s is rapid, 3 s is not."""
    assert engagement(rows["rg new item"]) == ("CRIT", 20, 10, 0.5)


def test_the_threshold_is_capped_at_ten_seconds_and_strict(rows):
    """Mean 200 s: 10 % would be 20 s, the cap makes it 10 s; 9.999 s is rapid, 10 s is not."""
    assert engagement(rows["rg capped"]) == ("CRIT", 20, 10, 0.5)


def test_an_answer_exactly_at_a_tenth_of_the_mean_is_not_rapid(rows):
    """Mean 20 s → threshold 2 000 ms exactly: 1 999 ms is rapid, 2 000 ms is not (strict <, on integers)."""
    assert engagement(rows["rg at the threshold"]) == ("CRIT", 20, 10, 0.5)


def test_coverage_is_out_of_five_when_the_domain_is_on(rows):
    row = rows["rg 2/20"]
    assert row["coverage"] == 2 / 5  # OMIT and ENGAGEMENT evaluated; θ, GUESS, attendance have no data
    assert row["level"] == "WARN"


def test_a_theta_drop_while_rapid_guessing_or_omitting_is_annotated(rows):
    assert rows["rg theta drop + rapid"]["theta_status"] == "CRIT"
    assert "THETA_DROP_WITH_DISENGAGEMENT" in codes(rows["rg theta drop + rapid"])
    assert rows["rg theta drop + omits"]["omit_status"] == "CRIT"
    assert "THETA_DROP_WITH_DISENGAGEMENT" in codes(rows["rg theta drop + omits"])
    assert rows["rg theta drop, engaged"]["theta_status"] == "CRIT"
    assert "THETA_DROP_WITH_DISENGAGEMENT" not in codes(rows["rg theta drop, engaged"])
    assert "THETA_DROP_WITH_DISENGAGEMENT" not in codes(rows["rg 6/20"])  # rapid guessing without a θ flag


def test_off_by_default_the_columns_are_empty_and_coverage_is_out_of_four():
    rows = rows_by_name(engagement_snapshot(), LEGACY)
    for row in rows.values():
        assert row["engagement_status"] is None and pd.isna(row["n_timed"]) and pd.isna(row["n_rapid"])
        assert math.isnan(row["rg_rate"])
        assert not [c for c in codes(row) if "RAPID" in c or "ENGAGEMENT" in c or "DISENGAGEMENT" in c]
    assert rows["rg 2/20"]["coverage"] == 1 / 4
    assert rows["rg 2/20"]["level"] == "OK"


def test_a_snapshot_without_response_times_is_a_clear_error_when_the_domain_is_on():
    b = SnapshotBuilder()
    rapid_student(b, "old", answers(20, 1000))
    snapshot = b.build()
    snapshot.item_times = None
    with pytest.raises(MissingResponseTimes, match="materialise `snapshot` again"):
        compute_metrics(snapshot, ENGAGEMENT_ON)
    assert compute_metrics(snapshot, LEGACY)["engagement_status"].isna().all()


def test_a_school_without_any_response_time_history_uses_the_default_for_every_item():
    b = SnapshotBuilder()
    rapid_student(b, "new school", answers(10, 2999) + answers(10, 3000))
    rows = rows_by_name(b.build())
    assert engagement(rows["new school"]) == ("CRIT", 20, 10, 0.5)
