"""The R engine (r/compute_metrics.R) gives the Python engine's results: the same level, domain statuses and
reason codes for every student, every number within 1e-9 (c_hat within 1e-12 of the c_hat test vector of
docs/metrics.md, "GUESS").

Each case exports a snapshot with risk_assets.metrics.exchange.export_snapshot, runs Rscript stand-alone and
compares its CSV with risk_assets.metrics.compute_metrics on the same snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest

from risk_assets.config import Tenant, Thresholds
from risk_assets.defs.weekly.metrics import compute_with_r
from risk_assets.demo import (
    DEFAULT_DEMO_TENANTS,
    DemoTenant,
    generate_demo,
    load_dataset,
)
from risk_assets.metrics import compute_metrics
from risk_assets.metrics.engagement import MissingResponseTimes
from risk_assets.metrics.exchange import export_snapshot
from risk_assets.settings import PROJECT_DIR
from risk_assets.snapshot import take_snapshot
from risk_assets.window import ReportWindow
from risk_assets_tests.metrics.builder import SnapshotBuilder
from risk_assets_tests.metrics.c_hat_vector import A, B, X
from risk_assets_tests.metrics.engagement_cases import answers, engagement_snapshot, rapid_student

from .edge_cases import guess_student, new_york_dst_week, seoul_edge_cases
from .helpers import (
    CUSTOM_THRESHOLDS,
    R_PIPES,
    RSCRIPT,
    THRESHOLD_FILES,
    check_parity,
    r_environment,
    read_r_csv,
    requires_r,
    run_r,
    run_rscript,
    write_yaml,
)

pytestmark = requires_r

SQL_DIR = PROJECT_DIR / "sql"
WEEK = dt.date(2026, 11, 16)
DST_WEEK = dt.date(2026, 10, 26)  # America/New_York: DST ends Sun 1 Nov 2026
PROFILES = pytest.mark.parametrize("profile", sorted(THRESHOLD_FILES))


# -- the edge cases of docs/metrics.md, "Edge cases" ------------------------------------------------------------

@pytest.fixture(scope="module")
def seoul_snapshot():
    return seoul_edge_cases()


@pytest.fixture(scope="module")
def dst_snapshot():
    return new_york_dst_week()


@PROFILES
def test_edge_cases_in_one_seoul_week(seoul_snapshot, profile, tmp_path):
    python = check_parity(seoul_snapshot, THRESHOLD_FILES[profile], tmp_path)
    # The fixture really reaches every status and level (so parity is not trivially about INSUFFICIENT).
    for column in ("theta_status", "omit_status", "guess_status", "attendance_status"):
        assert {"OK", "WARN", "CRIT", "INSUFFICIENT"} <= set(python[column]), column
    assert set(python["level"]) == {"CRIT", "WARN", "OK", "INSUFFICIENT_DATA"}


@PROFILES
def test_new_york_dst_week(dst_snapshot, profile, tmp_path):
    python = check_parity(dst_snapshot, THRESHOLD_FILES[profile], tmp_path)
    row = python.set_index("display_name").loc["DST"]
    assert (row["theta_now"], row["delta_7d"]) == (0.0, -0.5)  # local midnights, not 7 × 24 h
    assert row["theta_status"] == ("OK" if profile == "reliable" else "CRIT")  # reliable: z = -1.18


@PROFILES
def test_engagement_edge_cases(profile, tmp_path):
    """The ENGAGEMENT edges (docs/metrics.md, "ENGAGEMENT": exactly 10 % / 30 %, 19 / 20 timed answers, 49 / 50
    history answers, the cap, missing times, omits and unknown items, the annotation), with the domain on and off."""
    python = check_parity(engagement_snapshot(), THRESHOLD_FILES[profile], tmp_path)
    expected = {"OK", "WARN", "CRIT", "INSUFFICIENT"} if profile == "engagement" else {None}
    assert set(python["engagement_status"]) == expected


def test_every_threshold_key_moved(seoul_snapshot, dst_snapshot, tmp_path):
    check_parity(seoul_snapshot, CUSTOM_THRESHOLDS, tmp_path / "seoul")
    check_parity(dst_snapshot, CUSTOM_THRESHOLDS, tmp_path / "dst")
    check_parity(engagement_snapshot(), CUSTOM_THRESHOLDS, tmp_path / "engagement")


def test_a_snapshot_without_response_times_is_a_clear_error_when_the_domain_is_on(tmp_path):
    snapshot = engagement_snapshot()
    snapshot.item_times = None
    folder = export_snapshot(snapshot, tmp_path / "snapshot")
    assert not (folder / "item_times").exists()
    thresholds = write_yaml(THRESHOLD_FILES["engagement"], tmp_path / "thresholds.yaml")
    done = run_rscript(folder, thresholds, tmp_path / "out.csv")
    assert done.returncode == 1
    assert f"snapshot folder {folder} has no item_times table; materialise `snapshot` again" in done.stderr
    assert "Error" not in done.stderr.replace("compute_metrics.R:", "")  # one line, no R traceback
    legacy = write_yaml(THRESHOLD_FILES["legacy"], tmp_path / "legacy.yaml")
    assert run_rscript(folder, legacy, tmp_path / "out.csv").returncode == 0  # off: not needed


class _NoPipes:
    """A Pipes client that fails the test if R would be started."""

    def run(self, **_):
        raise AssertionError("the R engine was started")


def test_the_assets_r_path_refuses_a_snapshot_without_response_times_before_r_starts():
    """`metrics_engine: r` raises the Python engine's own MissingResponseTimes, word for word, without running R."""
    snapshot = engagement_snapshot()
    snapshot.item_times = None
    rules = Thresholds.from_mapping(THRESHOLD_FILES["engagement"])
    with pytest.raises(MissingResponseTimes) as python:
        compute_metrics(snapshot, rules)
    with pytest.raises(MissingResponseTimes) as r_path:
        compute_with_r(None, _NoPipes(), snapshot, rules)
    assert str(r_path.value) == str(python.value)


def test_a_school_without_any_response_time_history(tmp_path):
    """An item_times table without rows: every item takes the default threshold in both engines."""
    b = SnapshotBuilder()
    rapid_student(b, "new school", answers(10, 2999) + answers(10, 3000))
    rapid_student(b, "another item", answers(25, 100), item_id=77)
    python = check_parity(b.build(), THRESHOLD_FILES["engagement"], tmp_path)
    assert python["engagement_status"].tolist() == ["CRIT", "CRIT"]


def test_thresholds_written_in_full_by_the_pipeline(seoul_snapshot, tmp_path):
    """The metrics asset writes every key (Thresholds.model_dump): the same result as the profile alone."""
    dumped = Thresholds.from_mapping({"profile": "reliable"}).model_dump()
    check_parity(seoul_snapshot, dumped, tmp_path)


def test_c_hat_test_vector(tmp_path):
    b = SnapshotBuilder()
    guess_student(b, X, A, B, start=b.local(dt.date(2026, 11, 10)), ref_at=b.days_before(20))
    row = run_r(b.build(), {"profile": "legacy"}, tmp_path).iloc[0]
    assert abs(row["c_hat"] - 0.243713725221) < 1e-12
    assert abs(row["c_hat_se"] - 0.116931244981) < 1e-12
    python = compute_metrics(b.build(), Thresholds()).iloc[0]
    assert abs(row["c_hat"] - python["c_hat"]) < 1e-12
    assert abs(row["c_hat_se"] - python["c_hat_se"]) < 1e-12
    assert (row["n_guess_items"], row["n_guess_hard"], row["guess_status"]) == (30, 14, "OK")


def test_empty_snapshot(tmp_path):
    b = SnapshotBuilder()
    frame = run_r(b.build(), {"profile": "legacy"}, tmp_path)
    assert frame.empty


# -- generated tenants through the real snapshot SQL ----------------------------------------------------------

def test_generated_tenant_of_2000_students(source_conn, tmp_path, source_url):
    """With the rapid guessers of the generator: ENGAGEMENT reaches every status, and both engines agree."""
    tenant = DemoTenant(9001, "Parity", "Asia/Seoul", "ko")
    load_dataset(source_conn, generate_demo([tenant], WEEK, students_per_tenant=2000))
    snapshot = take_snapshot(source_url, SQL_DIR, Tenant(key="parity", org_id=9001, name="P"),
                             ReportWindow(WEEK, "Asia/Seoul"))
    assert len(snapshot.students) == 2000
    for profile, thresholds in {**THRESHOLD_FILES, "custom": CUSTOM_THRESHOLDS}.items():
        python = check_parity(snapshot, thresholds, tmp_path / profile)
        assert set(python["level"]) >= {"CRIT", "WARN", "OK"}
    assert {"OK", "CRIT", "INSUFFICIENT"} <= set(python["engagement_status"])


def test_default_demo_tenants(source_conn, tmp_path, source_url):
    load_dataset(source_conn, generate_demo(DEFAULT_DEMO_TENANTS, WEEK, students_per_tenant=300))
    cases = [(t, WEEK) for t in DEFAULT_DEMO_TENANTS]
    cases += [(t, DST_WEEK) for t in DEFAULT_DEMO_TENANTS if t.timezone == "America/New_York"]
    for demo, week in cases:
        tenant = Tenant(key=f"org-{demo.org_id}", org_id=demo.org_id, name=demo.name, timezone=demo.timezone)
        snapshot = take_snapshot(source_url, SQL_DIR, tenant, ReportWindow(week, demo.timezone))
        assert len(snapshot.students) == 300 or week == DST_WEEK  # a few enrol after the DST week
        for profile, thresholds in THRESHOLD_FILES.items():
            check_parity(snapshot, thresholds, tmp_path / f"{demo.org_id}-{week}-{profile}")


# -- the command line ----------------------------------------------------------------------------------------

def test_runs_in_the_c_locale_with_korean_names(seoul_snapshot, tmp_path):
    folder = export_snapshot(seoul_snapshot, tmp_path / "snapshot")
    thresholds = write_yaml({"profile": "legacy"}, tmp_path / "t.yaml")
    done = run_rscript(folder, thresholds, tmp_path / "out.csv", env=r_environment(LC_ALL="C", LANG="C"))
    assert done.returncode == 0, done.stderr
    names = read_r_csv(tmp_path / "out.csv")["display_name"].fillna("").tolist()
    assert names == seoul_snapshot.students.sort_values("student_id")["display_name"].tolist()
    assert '김, "별명"\n둘째 줄' in names and " 공백 " in names


def test_unknown_profile_is_a_clear_error(tmp_path):
    folder = export_snapshot(SnapshotBuilder().build(), tmp_path / "snapshot")
    done = run_rscript(folder, write_yaml({"profile": "fast"}, tmp_path / "t.yaml"), tmp_path / "out.csv")
    assert done.returncode != 0
    assert "unknown thresholds profile 'fast'" in done.stderr and "legacy, reliable" in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_missing_input_file_is_a_clear_error(tmp_path):
    folder = export_snapshot(SnapshotBuilder().build(), tmp_path / "snapshot")
    (folder / "theta" / "se.f64").unlink()
    done = run_rscript(folder, write_yaml({}, tmp_path / "t.yaml"), tmp_path / "out.csv")
    assert done.returncode == 1
    assert f"snapshot folder {folder} lacks theta/se.f64" in done.stderr


def test_a_truncated_column_file_is_a_clear_error(seoul_snapshot, tmp_path):
    folder = export_snapshot(seoul_snapshot, tmp_path / "snapshot")
    rows = len(seoul_snapshot.presentations)
    column = folder / "presentations" / "a.f64"
    column.write_bytes(column.read_bytes()[:-8])
    done = run_rscript(folder, write_yaml({}, tmp_path / "t.yaml"), tmp_path / "out.csv")
    assert done.returncode == 1
    assert (f"presentations/a.f64 in {folder} holds {rows - 1} values where tables.json says {rows} rows; "
            "export the snapshot again") in done.stderr
    assert not (tmp_path / "out.csv").exists()


def test_missing_r_package_names_the_debian_package(tmp_path):
    """With the site library hidden, the script says which Debian package to install."""
    folder = export_snapshot(SnapshotBuilder().build(), tmp_path / "snapshot")
    done = run_rscript(folder, write_yaml({}, tmp_path / "t.yaml"), tmp_path / "out.csv",
                       env=r_environment(R_LIBS_SITE=str(tmp_path / "empty"), R_LIBS="", R_LIBS_USER=""))
    assert done.returncode != 0
    for pkg in ("data.table", "jsonlite", "yaml"):
        assert f"R package '{pkg}' is not installed: apt-get install -y r-cran-{pkg}" in done.stderr


def test_pipes_parameters_decode_as_python_encodes_them():
    """base64(zlib(JSON)) from dagster_pipes.encode_param round-trips through pipes.R."""
    from dagster_pipes import encode_param

    value = {"path": "/tmp/파이프 dir/context.json", "n": [1, 2.5, None], "nested": {"ok": True}}
    expression = (f'source("{R_PIPES}"); cat(jsonlite::toJSON(decode_pipes_param(commandArgs(TRUE)[1]), '
                  'auto_unbox = TRUE, null = "null", digits = NA))')
    done = subprocess.run([RSCRIPT, "--vanilla", "-e", expression, encode_param(value)],
                          capture_output=True, text=True, env=r_environment(), timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == value
