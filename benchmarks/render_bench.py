"""Seconds per report, for each renderer: batches of one report (latency; with Quarto, with and without a cached
skeleton page), and one batch of many reports in one RenderSession, as one run renders its schools (throughput:
wall time and CPU time per report, the cell worker's and Quarto's included).

Inputs are made the way the pipeline makes them: synthetic snapshot → metrics → tenant figures →
<tenant>_students.csv and <tenant>_summary.json; then quarto/weekly_report.qmd is rendered.

    .venv/bin/python benchmarks/render_bench.py [--renderers builtin quarto] [--sizes 300 1000] [--repeat 7]
                                                [--tenants 25]

`quarto` needs Quarto on PATH (or RISK_QUARTO_BIN) and a Jupyter Python with `.[jupyter]` (QUARTO_PYTHON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
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
from risk_assets.rendering import RenderSession, choose_renderer  # noqa: E402
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE as TEMPLATE  # noqa: E402
from risk_assets.summary.figures import History, tenant_figures  # noqa: E402


def inputs(n_students: int, folder: Path, locale: str) -> dict[str, str]:
    snapshot = synthetic_snapshot(n_students)
    frame = compute_metrics(snapshot, Thresholds())
    payload = {
        "tenant": "bench", "org_name": "Bench School", "week": "2026-11-16", "week_end": "2026-11-22",
        "timezone": "Asia/Seoul", "cutoff": "2026-11-22T15:00:00+00:00", "locale": locale, "profile": "legacy",
        "spec_version": "v1", "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        **tenant_figures(frame, History(None, None), {}), "thresholds": Thresholds().model_dump(),
    }
    summary, students = folder / "bench_summary.json", folder / "bench_students.csv"
    summary.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    students.write_bytes(to_csv_bytes(frame))
    return {"summary_path": str(summary), "students_path": str(students), "brand_dir": str(TEMPLATE.parent)}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the cell worker, Quarto, Pandoc …)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def batch(renderer: str, params: dict, outputs: list[Path], cache_dir: Path | None) -> tuple[float, float, list[float]]:
    """`outputs` rendered in one session, as one run's batch: (wall s, CPU s, wall s of each report)."""
    started, cpu = time.perf_counter(), _cpu_seconds()
    each = []
    with RenderSession(renderer, cache_dir=cache_dir) as session:
        for output in outputs:
            begun = time.perf_counter()
            session.render(TEMPLATE, params, output, label=f"bench {output.stem}", lang="ko")
            each.append(time.perf_counter() - begun)
    return time.perf_counter() - started, _cpu_seconds() - cpu, each


def latency(renderer: str, sizes: list[int], repeat: int, scratch: Path) -> None:
    """Batches of one report: with no cached skeleton (a template's first batch), and with one."""
    print(f"\n{renderer}: batches of one report\n\n| students | skeleton cache | median s | min s | max s | CPU s "
          "| report bytes |\n|---:|---|---:|---:|---:|---:|---:|")
    for size in sizes:
        folder = scratch / f"{renderer}-{size}"
        folder.mkdir()
        params = inputs(size, folder, "ko")
        output = folder / "bench_report.html"
        for cached in (False, True):
            cache = folder / "cache"
            runs = []
            for _ in range(repeat):
                if not cached:
                    shutil.rmtree(cache, ignore_errors=True)
                runs.append(batch(renderer, params, [output], cache))
            seconds = [wall for wall, _, _ in runs]
            print(f"| {size:,} | {'warm' if cached else 'cold'} | {statistics.median(seconds):.3f} "
                  f"| {min(seconds):.3f} | {max(seconds):.3f} | {statistics.median(cpu for _, cpu, _ in runs):.2f} "
                  f"| {output.stat().st_size:,} |")


def throughput(renderer: str, tenants: int, scratch: Path) -> None:
    """`tenants` reports of 300 students in one session, with no cached skeleton: wall and CPU per report."""
    folder = scratch / f"{renderer}-week"
    folder.mkdir()
    params = inputs(300, folder, "ko")
    wall, cpu, each = batch(renderer, params, [folder / f"tenant-{i}.html" for i in range(tenants)], folder / "cache")
    print(f"\n{renderer}: one batch of {tenants} reports × 300 students: {wall:.1f} s wall, {wall / tenants:.2f} s "
          f"and {cpu / tenants:.2f} s of CPU per report; first report {each[0]:.2f} s, the others "
          f"{statistics.median(each[1:] or each):.2f} s median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderers", nargs="+", default=["builtin", "quarto"], choices=["builtin", "quarto"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--tenants", type=int, default=25)
    args = parser.parse_args()
    for renderer in args.renderers:
        print(choose_renderer(renderer).reason)
    with tempfile.TemporaryDirectory() as scratch:
        for renderer in args.renderers:
            latency(renderer, args.sizes, args.repeat, Path(scratch))
            throughput(renderer, args.tenants, Path(scratch))


if __name__ == "__main__":
    main()
