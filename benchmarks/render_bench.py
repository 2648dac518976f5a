"""Seconds per report, for each renderer: one report at a time (latency), and a week of tenants rendered
by a pool of os.cpu_count() workers, as the run queue runs that many report steps at once (throughput).

Inputs are made the way the pipeline makes them: synthetic snapshot → metrics → tenant figures →
<tenant>_students.csv and <tenant>_summary.json; then quarto/weekly_report.qmd is rendered.

    .venv/bin/python benchmarks/render_bench.py [--renderers builtin quarto] [--sizes 300 1000] [--repeat 7]
                                                [--tenants 8] [--workers N]

`quarto` needs Quarto on PATH (or RISK_QUARTO_BIN) and a Jupyter Python with `.[jupyter]` (QUARTO_PYTHON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics_bench import synthetic_snapshot  # noqa: E402

from risk_assets.config import Thresholds  # noqa: E402
from risk_assets.metrics import compute_metrics  # noqa: E402
from risk_assets.metrics.student_table import to_csv_bytes  # noqa: E402
from risk_assets.rendering import choose_renderer, render_report  # noqa: E402
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE as TEMPLATE  # noqa: E402
from risk_assets.summary.figures import History, tenant_figures  # noqa: E402


def inputs(n_students: int, folder: Path, locale: str) -> dict[str, str]:
    snapshot = synthetic_snapshot(n_students)
    frame = compute_metrics(snapshot, Thresholds())
    payload = {
        "tenant": "bench", "org_name": "Bench School", "week": "2026-11-16", "week_end": "2026-11-22",
        "timezone": "Asia/Seoul", "cutoff": "2026-11-22T15:00:00+00:00", "locale": locale, "profile": "legacy",
        "spec_version": "v1", "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        **tenant_figures(frame, History(None, None), {}), "thresholds": Thresholds().model_dump(),
    }
    summary, students = folder / "bench_summary.json", folder / "bench_students.csv"
    summary.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    students.write_bytes(to_csv_bytes(frame))
    return {"summary_path": str(summary), "students_path": str(students), "brand_dir": str(TEMPLATE.parent)}


def _render(job: tuple[dict, Path, str]) -> float:
    params, output, renderer = job
    started = time.perf_counter()
    render_report(TEMPLATE, params, output, label=f"bench {output.stem}", engine=renderer, lang="ko")
    return time.perf_counter() - started


def latency(renderer: str, sizes: list[int], repeat: int, scratch: Path) -> None:
    print(f"\n{renderer}: one report at a time\n\n| students | median s | min s | max s | report bytes |\n"
          "|---:|---:|---:|---:|---:|")
    for size in sizes:
        folder = scratch / f"{renderer}-{size}"
        folder.mkdir()
        params = inputs(size, folder, "ko")
        output = folder / "bench_report.html"
        seconds = [_render((params, output, renderer)) for _ in range(repeat)]
        print(f"| {size:,} | {statistics.median(seconds):.3f} | {min(seconds):.3f} | {max(seconds):.3f} "
              f"| {output.stat().st_size:,} |")


def throughput(renderer: str, tenants: int, workers: int, scratch: Path) -> None:
    """`tenants` reports of 300 students through a pool of `workers` processes: wall time per report."""
    folder = scratch / f"{renderer}-week"
    folder.mkdir()
    params = inputs(300, folder, "ko")
    jobs = [(params, folder / f"tenant-{i}.html", renderer) for i in range(tenants)]
    _render(jobs[0])  # warm caches (Quarto's compiled theme) as a running deployment has them
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        each = list(pool.map(_render, jobs))
    wall = time.perf_counter() - started
    print(f"\n{renderer}: a week of {tenants} tenants × 300 students, {workers} workers: {wall:.1f} s wall, "
          f"{wall / tenants:.2f} s per report (each render {statistics.median(each):.2f} s median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderers", nargs="+", default=["builtin", "quarto"], choices=["builtin", "quarto"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--tenants", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    for renderer in args.renderers:
        chosen = choose_renderer(renderer)
        print(chosen.reason)
    with tempfile.TemporaryDirectory() as scratch:
        for renderer in args.renderers:
            latency(renderer, args.sizes, args.repeat, Path(scratch))
            throughput(renderer, args.tenants, args.workers, Path(scratch))


if __name__ == "__main__":
    main()
