"""The snapshot step against PostgreSQL's own bulk output, for one very large school.

Builds a tenant of N students (default 100,000) in an embedded PostgreSQL — 150 item presentations per student in
the 14-day window, a θ estimate and an attendance row per school day over 28 days, 90 days of response-time
history — plus a small second school, then in one run:

1. the raw COPY: every snapshot query as `COPY (…) TO STDOUT (FORMAT binary)` through psql into /dev/null,
2. the snapshot step as the asset runs it (query, clean, type-check, write Parquet), in a fresh process,
3. the snapshot step again, then the metrics (Python engine, ENGAGEMENT on) on it in the same process,

and prints the times, the ratio of 2 to 1 and the peak RSS of 2 and of 3.

    .venv/bin/python benchmarks/snapshot_bench.py [--students 100000] [--keep DIR]

Building the source takes about 6 minutes at 100,000 students; with `--keep DIR` it is built once into DIR and
reused by later runs with the same size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

from risk_assets.database.embedded import EmbeddedPostgres, psql_binary
from risk_assets.settings import PROJECT_DIR
from risk_assets.snapshot.queries import QUERY_FILES, bulk_statements
from risk_assets.window import ReportWindow

SQL_DIR = PROJECT_DIR / "sql"
WEEK = dt.date(2026, 11, 16)
ZONE = "Asia/Seoul"
ORG, OTHER_ORG = 1, 2
PRESENTATIONS_PER_STUDENT = 150
N_ITEMS = 2000

# Server-side generation: a few statements, no rows through Python.
POPULATE = """
INSERT INTO organizations VALUES (%(org)s, 'Large District'), (%(other)s, 'Small School');
INSERT INTO students
SELECT g, CASE WHEN g <= %(n)s THEN %(org)s ELSE %(other)s END, 'S' || g, 'C' || (g %% 40), DATE '2026-03-02', NULL
FROM generate_series(1, %(n)s + 200) AS g;
INSERT INTO items SELECT g, 0.5 + random(), random() * 4 - 2, 0.2, 4 FROM generate_series(1, %(items)s) AS g;
INSERT INTO school_days SELECT o, d::date FROM (VALUES (%(org)s), (%(other)s)) AS orgs(o),
    generate_series(%(history_start)s::date, %(cutoff_date)s::date - 1, INTERVAL '1 day') AS d
WHERE extract(isodow FROM d) < 6;
INSERT INTO item_presentations
SELECT g, (g - 1) / %(per_student)s + 1, ((g - 1) / 15), 1 + (g * 7919) %% %(items)s,
       %(evaluation_start)s::timestamptz + ((g - 1) %% %(per_student)s) * INTERVAL '130 minutes',
       (ARRAY['correct', 'correct', 'incorrect', 'correct', 'omitted'])[1 + g %% 5], 1000 + (g * 31) %% 59000
FROM generate_series(1::bigint, (%(n)s + 200) * %(per_student)s) AS g;
INSERT INTO item_presentations
SELECT (%(n)s + 200) * %(per_student)s + g, 1 + g %% (%(n)s + 200), g, 1 + g %% %(items)s,
       %(response_time_start)s::timestamptz + (g %% 76) * INTERVAL '1 day', 'correct', 1000 + g %% 40000
FROM generate_series(1::bigint, %(n)s * 20) AS g;
INSERT INTO theta_estimates
SELECT g, (g - 1) / 20 + 1, %(history_start)s::timestamptz + ((g - 1) %% 20) * INTERVAL '33 hours',
       random() * 2 - 1, 0.2 + random() * 0.2
FROM generate_series(1::bigint, (%(n)s + 200) * 20) AS g;
INSERT INTO attendance
SELECT s, d.school_date, (ARRAY['present', 'present', 'present', 'late', 'absent'])[1 + (s + d.n) %% 5]
FROM generate_series(1, %(n)s + 200) AS s,
     (SELECT school_date, row_number() OVER (ORDER BY school_date) AS n FROM school_days WHERE org_id = %(org)s) AS d;
"""


def populate(url: str, students: int, window: ReportWindow) -> dict[str, int]:
    params = {**window.query_parameters(ORG), "org": ORG, "other": OTHER_ORG, "n": students, "items": N_ITEMS,
              "per_student": PRESENTATIONS_PER_STUDENT}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute((SQL_DIR / "source_schema.sql").read_text(encoding="utf-8"))
        cur.execute(POPULATE, params)
        cur.execute("ANALYZE")
        counts = {}
        for table in ("students", "item_presentations", "theta_estimates", "attendance"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    return counts


def raw_copy_seconds(url: str, window: ReportWindow) -> float:
    """Every snapshot query in one read-only transaction, its rows streamed as binary COPY into /dev/null."""
    script = "\n".join(bulk_statements(SQL_DIR, sorted(QUERY_FILES), window.query_parameters(ORG)))
    started = time.perf_counter()
    subprocess.run([psql_binary(), "--no-psqlrc", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-o", "/dev/null"],
                   input=script, text=True, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def snapshot_step(url: str, data_dir: Path, with_metrics: bool) -> dict:
    """The step in a fresh process, so that its peak RSS is its own; `with_metrics` then computes the metrics
    (Python engine, ENGAGEMENT on) on the snapshot in the same process, as one in-process run does."""
    code = f"""
import datetime as dt, json, resource, time
from pathlib import Path
from risk_assets.config import Tenant, Thresholds
from risk_assets.metrics import compute_metrics
from risk_assets.snapshot import SnapshotStore, take_snapshot
from risk_assets.window import ReportWindow
tenant = Tenant(key="large", org_id={ORG}, name="Large District", timezone={ZONE!r})
started = time.perf_counter()
window = ReportWindow(dt.date.fromisoformat({WEEK.isoformat()!r}), {ZONE!r})
snapshot = take_snapshot({url!r}, Path({str(SQL_DIR)!r}), tenant, window)
queried = time.perf_counter() - started
SnapshotStore(Path({str(data_dir)!r})).write(snapshot)
seconds = time.perf_counter() - started
snapshot_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
metrics_seconds = None
if {with_metrics!r}:
    begun = time.perf_counter()
    students = compute_metrics(snapshot, Thresholds.from_mapping({{"engagement": {{"enabled": True}}}}))
    metrics_seconds = time.perf_counter() - begun
print(json.dumps({{"seconds": seconds, "query_and_clean_seconds": queried, "rows": snapshot.row_counts(),
                  "snapshot_peak_rss_mb": snapshot_peak, "metrics_seconds": metrics_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the built source in this folder and reuse it")
    args = parser.parse_args()
    window = ReportWindow(WEEK, ZONE)
    root = args.keep or Path(tempfile.mkdtemp(prefix="risk-snapshot-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o711)
    built = root / f"built-{args.students}"
    server = EmbeddedPostgres(root / "pg")
    try:
        with server.running():
            url = server.ensure_database("bench")
            if not built.exists():
                started = time.perf_counter()
                counts = populate(url, args.students, window)
                built.write_text(json.dumps(counts))
                print(f"source built in {time.perf_counter() - started:.0f} s: {counts}", flush=True)
            raw = raw_copy_seconds(url, window)
            step = snapshot_step(url, root / "snapshots", with_metrics=False)
            both = snapshot_step(url, root / "snapshots", with_metrics=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print("| students | rows (presentations) | raw binary COPY s | snapshot step s | ratio | step peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.students:,} | {step['rows']['presentations']:,} | {raw:.1f} | {step['seconds']:.1f} | "
          f"{step['seconds'] / raw:.2f} | {step['peak_rss_mb']:,.0f} |")
    print(f"(query and clean {step['query_and_clean_seconds']:.1f} s of the step; peak RSS of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB)")
    print(f"snapshot + metrics (ENGAGEMENT on) in one process: snapshot {both['seconds']:.1f} s, metrics "
          f"{both['metrics_seconds']:.1f} s, peak RSS {both['peak_rss_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
