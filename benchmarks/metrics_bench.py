"""Metrics-step throughput and memory on synthetic tenants of 1,000 / 10,000 / 100,000 students.

Each tenant: 10 school days in the 14-day window, ~15 item presentations per student per school day
(so 150 per student), a θ estimate per school day over 28 days, and an attendance row per school day.
Every size runs in a fresh subprocess so its peak RSS is its own. The step is timed with the optional
ENGAGEMENT domain off (the default) and on, alternately, five times each (medians), so the domain's cost is
a ratio within one process; the cost is taken from CPU seconds, which other load on the machine disturbs
less than wall-clock seconds.

    .venv/bin/python benchmarks/metrics_bench.py [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from risk_assets.config import Thresholds
from risk_assets.metrics import compute_metrics
from risk_assets.snapshot.hygiene import (
    REJECTED_COLUMNS,
    VALID_OUTCOMES,
    VALID_STATUSES,
    outcome_categories,
    status_categories,
)
from risk_assets.snapshot.model import Snapshot
from risk_assets.window import ReportWindow

WEEK = dt.date(2026, 11, 16)
ITEMS_PER_DAY = 15
N_ITEMS = 2000
REPEATS = 5
ENGAGEMENT_OFF = Thresholds()
ENGAGEMENT_ON = Thresholds.from_mapping({"engagement": {"enabled": True}})


def school_days(window: ReportWindow, days: int) -> list[dt.date]:
    dates = [window.cutoff_date - dt.timedelta(days=i) for i in range(days, 0, -1)]
    return [d for d in dates if d.weekday() < 5]


def synthetic_snapshot(n_students: int, seed: int = 1) -> Snapshot:
    rng = np.random.default_rng(seed)
    window = ReportWindow(WEEK, "Asia/Seoul")
    ids = np.arange(1, n_students + 1, dtype=np.int64)
    students = pd.DataFrame({
        "student_id": ids,
        "display_name": pd.Series([f"S{i}" for i in ids], dtype=object),
        "class_name": pd.Series([f"C{i % 40}" for i in ids], dtype=object),
        "enrolled_on": pd.Timestamp("2026-03-02"),
        "withdrawn_on": pd.Series(pd.NaT, index=range(n_students), dtype="datetime64[ns]"),
    })
    window_days = school_days(window, 14)
    history_days = school_days(window, 28)

    per_student = ITEMS_PER_DAY * len(window_days)
    n = n_students * per_student
    student = np.repeat(ids, per_student)
    day_index = np.tile(np.repeat(np.arange(len(window_days)), ITEMS_PER_DAY), n_students)
    day_start = pd.to_datetime([pd.Timestamp(d, tz="Asia/Seoul").tz_convert("UTC") for d in window_days])
    presented_at = day_start[day_index] + pd.to_timedelta(9 * 3600 + np.tile(np.arange(per_student) % ITEMS_PER_DAY,
                                                                             n_students) * 40, unit="s")
    item = rng.integers(1, N_ITEMS + 1, n)
    a = rng.lognormal(0, 0.3, N_ITEMS + 1)
    b = rng.normal(0, 1.2, N_ITEMS + 1)
    outcome = outcome_categories(rng.choice(np.array(VALID_OUTCOMES, dtype=object), n, p=[0.6, 0.36, 0.04]))
    presentations = pd.DataFrame({
        "presentation_id": np.arange(1, n + 1, dtype=np.int64),
        "student_id": student,
        "session_id": student * 100 + day_index,
        "item_id": item.astype(np.int64),
        "presented_at": presented_at,
        "outcome": outcome,
        # 3 % rapid answers (0.5-3 s) among typical ones, as in the demo generator.
        "response_time_ms": pd.array(np.where(rng.random(n) < 0.03, rng.integers(500, 3000, n),
                                              rng.integers(2000, 60000, n)), dtype="Int64"),
        "item_known": np.ones(n, dtype=bool),
        "a": a[item],
        "b": b[item],
        "c": np.full(n, 0.2),
        "n_options": pd.array(np.full(n, 4), dtype="Int64"),
    })
    est_day = np.tile(np.arange(len(history_days)), n_students)
    hist_start = pd.to_datetime([pd.Timestamp(d, tz="Asia/Seoul").tz_convert("UTC") for d in history_days])
    theta = pd.DataFrame({
        "estimate_id": np.arange(1, len(est_day) + 1, dtype=np.int64),
        "student_id": np.repeat(ids, len(history_days)),
        "estimated_at": hist_start[est_day] + pd.Timedelta(hours=16),
        "theta": rng.normal(0, 1, len(est_day)),
        "se": rng.uniform(0.2, 0.4, len(est_day)),
    })
    attendance = pd.DataFrame({
        "student_id": np.repeat(ids, len(history_days)),
        "school_date": np.tile(pd.to_datetime(history_days).to_numpy(dtype="datetime64[ns]"), n_students),
        "status": status_categories(rng.choice(np.array(VALID_STATUSES, dtype=object),
                                               n_students * len(history_days), p=[0.92, 0.04, 0.03, 0.01])),
    })
    return Snapshot(
        tenant="bench", org_id=1, org_name="Bench", window=window, students=students,
        presentations=presentations, theta=theta,
        school_days=pd.DataFrame({"school_date": pd.to_datetime(history_days)}),
        attendance=attendance, rejected=pd.DataFrame(columns=REJECTED_COLUMNS), quality={},
        item_times=item_times(presentations),
    )


def item_times(presentations: pd.DataFrame) -> pd.DataFrame:
    """What snapshot_item_times.sql returns (one row per item), here from the window's own answers."""
    timed = presentations[presentations["outcome"].astype(str) != "omitted"]
    grouped = timed.groupby("item_id")["response_time_ms"]
    return pd.DataFrame({"n_timed": grouped.count().astype(np.int64),
                         "sum_response_time_ms": grouped.sum().astype(np.int64)}).reset_index()


def timed(snapshot: Snapshot, thresholds: Thresholds) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one metrics step."""
    started, cpu_started = time.perf_counter(), time.process_time()
    compute_metrics(snapshot, thresholds)
    return time.perf_counter() - started, time.process_time() - cpu_started


def measure(n_students: int) -> dict:
    snapshot = synthetic_snapshot(n_students)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    off, on = [], []
    for _ in range(REPEATS):  # timed without tracemalloc, which slows allocation
        off.append(timed(snapshot, ENGAGEMENT_OFF))
        on.append(timed(snapshot, ENGAGEMENT_ON))
    seconds, seconds_engagement = (statistics.median(wall for wall, _ in runs) for runs in (off, on))
    cpu, cpu_engagement = (statistics.median(cpu for _, cpu in runs) for runs in (off, on))
    tracemalloc.start()
    frame = compute_metrics(snapshot, ENGAGEMENT_OFF)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(snapshot.presentations)
    return {
        "students": n_students,
        "presentations": n,
        "seconds": round(seconds, 3),
        "presentations_per_second": round(n / seconds),
        "seconds_with_engagement": round(seconds_engagement, 3),
        "engagement_cost_pct": round(100 * (cpu_engagement / cpu - 1), 1),
        "input_mb": round(sum(t.memory_usage(deep=True).sum() for t in snapshot.tables().values()) / 2**20),
        "metrics_step_peak_mb": round(traced_peak / 2**20),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_before_metrics_mb": round(rss_before / 1024),
        "rows_out": len(frame),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    results = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    columns = list(results[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---:|" * len(columns))
    for row in results:
        print("| " + " | ".join(f"{row[c]:,}" for c in columns) + " |")


if __name__ == "__main__":
    main()
