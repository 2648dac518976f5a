"""Seconds per report with the built-in renderer, for 300- and 1,000-student tenants.

Inputs are made the way the pipeline makes them: synthetic snapshot → metrics → tenant figures →
<tenant>_students.csv and <tenant>_summary.json; then quarto/weekly_report.qmd is rendered N times.

    .venv/bin/python benchmarks/render_bench.py [--sizes 300 1000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics_bench import synthetic_snapshot  # noqa: E402

from risk_assets.config import Thresholds  # noqa: E402
from risk_assets.metrics import compute_metrics  # noqa: E402
from risk_assets.metrics.student_table import to_csv_bytes  # noqa: E402
from risk_assets.rendering import render_report  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print("| students | median s | min s | max s | report bytes |\n|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            folder = Path(scratch) / str(size)
            folder.mkdir()
            params = inputs(size, folder, "ko")
            output = folder / "bench_report.html"
            seconds = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                render_report(TEMPLATE, params, output, label=f"bench {size}", engine="builtin", lang="ko")
                seconds.append(time.perf_counter() - started)
            print(f"| {size:,} | {statistics.median(seconds):.3f} | {min(seconds):.3f} | {max(seconds):.3f} "
                  f"| {output.stat().st_size:,} |")


if __name__ == "__main__":
    main()
