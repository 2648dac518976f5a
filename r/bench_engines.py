"""Time the Python and the R metrics engines on the same synthetic snapshot (default 10,000 students).

The snapshot is benchmarks/metrics_bench.py's synthetic tenant (150 presentations, 20 θ estimates and 20
attendance rows per student). Python runs in-process on the Snapshot; R runs as the metrics asset runs it:
the snapshot exported with export_snapshot, then `Rscript --vanilla r/compute_metrics.R`, its CSV read back with
r_engine.read_result. Both engines run with the optional ENGAGEMENT domain off (the default) and on, each
`--repeat` times; the best time is reported. The two results are checked for parity before timing counts.

    .venv/bin/python r/bench_engines.py [--students 10000] [--repeat 3] [--profile legacy]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

# The script runs as `python r/bench_engines.py`: the project and benchmarks/ (for metrics_bench, which is not a
# package) must be on sys.path before the imports below, hence their `noqa: E402`.
PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(PROJECT_DIR / "benchmarks"))

from metrics_bench import synthetic_snapshot  # noqa: E402

from risk_assets.config import Thresholds  # noqa: E402
from risk_assets.errors import UserError  # noqa: E402
from risk_assets.metrics import STUDENT_COLUMNS, compute_metrics, r_engine  # noqa: E402
from risk_assets.metrics.exchange import export_snapshot  # noqa: E402
from risk_assets.vocabulary import ALL_DOMAINS, TEXT, columns_of_kind  # noqa: E402

EXACT = ["level", "reason_codes", *(f"{domain}_status" for domain in ALL_DOMAINS)]
NOT_NUMBERS = set(columns_of_kind(TEXT))
R_PHASES = re.compile(r"computed (\d+) students in ([\d.]+) s "
                      r"\(read ([\d.]+) s, metrics ([\d.]+) s, write ([\d.]+) s\)")
ENGAGEMENT = {"off": False, "on": True}
T = TypeVar("T")


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The fastest of `repeat` (at least 1) calls of `run`, and the last call's result."""
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, not {repeat}")
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def check_parity(python: pd.DataFrame, r: pd.DataFrame) -> float:
    """Asserts identical students, levels, statuses and codes; returns the largest numeric difference."""
    assert list(r.columns) == STUDENT_COLUMNS
    assert (python["student_id"].to_numpy() == r["student_id"].to_numpy()).all()
    for column in EXACT:
        assert (python[column].fillna("").astype(str).to_numpy()
                == r[column].fillna("").astype(str).to_numpy()).all(), column
    worst = 0.0
    for column in STUDENT_COLUMNS:
        if column in NOT_NUMBERS:
            continue
        a = python[column].astype(float).to_numpy()
        b = r[column].astype(float).to_numpy()
        assert (np.isnan(a) == np.isnan(b)).all(), column
        both = ~np.isnan(a)
        if both.any():
            worst = max(worst, float(np.max(np.abs(a[both] - b[both]))))
    return worst


def compare_engines(snapshot, thresholds: Thresholds, snapshot_dir: Path, folder: Path, repeat: int) -> None:
    """Times both engines on one exported snapshot under `thresholds` and prints the figures."""
    python_seconds, python = best_of(repeat, lambda: compute_metrics(snapshot, thresholds))
    out = folder / "students.csv"
    command = r_engine.command(snapshot_dir, r_engine.write_thresholds(thresholds, folder / "thresholds.yaml"), out)
    runs: list[str] = []

    def run_r() -> None:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        runs.append(done.stderr)

    r_seconds, _ = best_of(repeat, run_r)
    read_seconds, r = best_of(1, lambda: r_engine.read_result(out))
    worst = check_parity(python, r)
    phases = [tuple(map(float, m.groups()[1:])) for m in map(R_PHASES.search, runs) if m]
    inside = min(phases, key=lambda p: p[0]) if phases else None

    print(f"  parity: levels, statuses and reason codes identical; max |numeric difference| {worst:.3g}")
    print(f"  python  compute_metrics (in-process)          {python_seconds:8.3f} s")
    print(f"  R       Rscript end to end (best)             {r_seconds:8.3f} s")
    if inside:
        print(f"            inside R: read {inside[1]:.3f} s, metrics {inside[2]:.3f} s, write {inside[3]:.3f} s "
              f"(start-up and package loading {r_seconds - inside[0]:.3f} s)")
    print(f"          + reading R's CSV back {read_seconds:.3f} s")
    print(f"  ratio   R / python: end to end {r_seconds / python_seconds:.1f}x"
          + (f", metrics step alone {inside[2] / python_seconds:.1f}x" if inside else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="legacy", choices=["legacy", "reliable"])
    args = parser.parse_args()
    try:
        r_engine.rscript()
    except UserError as exc:
        sys.exit(str(exc))

    snapshot = synthetic_snapshot(args.students)
    assert snapshot.item_times is not None  # synthetic_snapshot always takes the per-item response-time statistics
    print(f"snapshot: {len(snapshot.students):,} students, {len(snapshot.presentations):,} presentations, "
          f"{len(snapshot.theta):,} θ estimates, {len(snapshot.attendance):,} attendance rows, "
          f"{len(snapshot.item_times):,} items with response-time history; profile {args.profile}; "
          f"best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as scratch:
        folder = Path(scratch)
        export_seconds, snapshot_dir = best_of(1, lambda: export_snapshot(snapshot, folder / "snapshot"))
        print(f"export_snapshot (once, for both settings) {export_seconds:.3f} s")
        for setting, enabled in ENGAGEMENT.items():
            print(f"ENGAGEMENT {setting}:")
            thresholds = Thresholds.from_mapping({"profile": args.profile, "engagement": {"enabled": enabled}})
            compare_engines(snapshot, thresholds, snapshot_dir, folder, args.repeat)


if __name__ == "__main__":
    main()
