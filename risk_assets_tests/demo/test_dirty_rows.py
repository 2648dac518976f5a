from __future__ import annotations

import numpy as np

from .helpers import VALID_OUTCOMES, VALID_STATUSES, with_org


def _split(frame, dataset):
    frame = with_org(frame, dataset)
    return frame[frame["org_id"] == 102], frame[frame["org_id"] != 102]


def test_dirty_presentations_only_in_org_102(small_demo):
    dirty, clean = _split(small_demo.item_presentations, small_demo)
    assert set(clean["outcome"]) == VALID_OUTCOMES
    assert (clean["response_time_ms"].dropna() > 0).all()
    odd = dirty.loc[~dirty["outcome"].isin(VALID_OUTCOMES), "outcome"].value_counts().to_dict()
    assert odd == {" CORRECT ": 2, "Omitted": 1, "skipped": 2}
    negative = dirty[dirty["response_time_ms"] < 0]
    assert len(negative) == 1 and negative["outcome"].iloc[0] in {"correct", "incorrect"}
    assert dirty.loc[dirty["outcome"] == "Omitted", "response_time_ms"].isna().all()


def test_dirty_attendance_only_in_org_102(small_demo):
    dirty, clean = _split(small_demo.attendance, small_demo)
    assert set(clean["status"]) == VALID_STATUSES
    odd = dirty.loc[~dirty["status"].isin(VALID_STATUSES), "status"].value_counts().to_dict()
    assert odd == {" Absent": 2, "unknown": 1}


def test_dirty_theta_estimates_only_in_org_102(small_demo):
    dirty, clean = _split(small_demo.theta_estimates, small_demo)
    assert clean["theta"].notna().all() and (clean["se"] > 0).all()
    ghosts = dirty[dirty["theta"].isna()]
    assert len(ghosts) == 2 and ghosts["se"].isna().all()
    real = dirty[dirty["theta"].notna()]
    twins = ghosts.merge(real, on=["student_id", "estimated_at"], suffixes=("_ghost", "_real"))
    assert len(twins) == 2
    assert (twins["estimate_id_ghost"] > twins["estimate_id_real"]).all()
    assert (real["se"] == 0).sum() == 1
    assert np.isfinite(real["theta"]).all()


def test_dirty_rows_belong_to_ordinary_students(small_demo):
    ordinary = set(small_demo.ground_truth.loc[small_demo.ground_truth["group"] == "ordinary", "student_id"])
    p = small_demo.item_presentations
    odd_p = p[~p["outcome"].isin(VALID_OUTCOMES) | (p["response_time_ms"] < 0)]
    a = small_demo.attendance
    odd_a = a[~a["status"].isin(VALID_STATUSES)]
    t = small_demo.theta_estimates
    odd_t = t[t["theta"].isna() | (t["se"] == 0)]
    for frame in (odd_p, odd_a, odd_t):
        assert set(frame["student_id"]) <= ordinary
    assert len(odd_p) == 6 and len(odd_a) == 3 and len(odd_t) == 3


def test_a_dataset_without_org_102_is_clean():
    from risk_assets.demo import DEFAULT_DEMO_TENANTS, generate_demo

    from .helpers import LAST_WEEK, SMALL

    dataset = generate_demo([DEFAULT_DEMO_TENANTS[0], DEFAULT_DEMO_TENANTS[2]], LAST_WEEK, **SMALL)
    assert set(dataset.item_presentations["outcome"]) == VALID_OUTCOMES
    assert set(dataset.attendance["status"]) == VALID_STATUSES
    assert dataset.theta_estimates["theta"].notna().all()
