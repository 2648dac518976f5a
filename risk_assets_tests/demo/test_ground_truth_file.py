from __future__ import annotations

import json

import pandas as pd

from risk_assets.demo import GENERATOR_VERSION

GROUND_TRUTH_COLUMNS = [
    "student_id", "org_id", "group", "true_theta_slope_per_week", "true_c", "true_omit_propensity",
    "expected_theta", "expected_omit", "expected_guess", "expected_attendance", "true_rapid_share",
    "expected_engagement",
]


def test_ground_truth_has_one_row_per_student(small_demo):
    truth = small_demo.ground_truth
    assert list(truth.columns) == GROUND_TRUTH_COLUMNS
    assert truth["student_id"].tolist() == small_demo.students["student_id"].tolist()
    assert (truth["org_id"] == small_demo.students["org_id"]).all()


def test_write_ground_truth_csv_and_sidecar(small_demo, tmp_path):
    sidecar = small_demo.write_ground_truth(tmp_path / "truth.csv")
    assert sidecar == tmp_path / "truth.json"
    back = pd.read_csv(
        tmp_path / "truth.csv", encoding="utf-8", keep_default_na=False, na_values=[""], float_precision="round_trip"
    )
    pd.testing.assert_frame_equal(back, small_demo.ground_truth, check_dtype=False, check_exact=True)
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    assert meta["seed"] == small_demo.seed
    assert meta["last_week"] == "2026-11-16" and meta["cutoff"] == "2026-11-23" and meta["weeks"] == 6
    assert meta["generator_version"] == GENERATOR_VERSION
    assert meta["org_ids"] == [101, 102, 201]
    groups = {group["name"]: group for group in meta["groups"]}
    assert set(groups) == set(small_demo.ground_truth["group"])
    assert groups["theta_crit"]["theta_step_per_week"] == -0.45 and groups["guessing"]["person_c"] == 0.5
    assert meta["group_sizes_per_tenant"]["101"]["omit_crit"] == 2
    assert meta["dirty_rows"]["org_id"] == 102 and len(meta["dirty_rows"]["rows"]) == 7
