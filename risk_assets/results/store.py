"""Per-partition results in PostgreSQL: replaced whole, in one transaction, keyed by (week, tenant)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import psycopg2.extensions
from psycopg2 import sql

STUDENT_RESULT_COLUMNS = [
    "student_id", "class_name", "level", "coverage", "reason_codes",
    "theta_status", "omit_status", "guess_status", "attendance_status",
    "delta_7d", "delta_14d", "omit_rate", "c_hat", "absent_2wk", "sched_2wk", "max_streak",
    "theta_now", "se_now", "engagement_status", "rg_rate",
]
TRAJECTORY_COLUMNS = ["week", "student_id", "level", "coverage", "theta_now", "se_now"]
TENANT_WEEK_COUNTS = ["total_students", "crit_count", "warn_count", "ok_count", "ok_partial_count",
                      "insufficient_count", "new_warn_or_crit"]


class ResultsStore:
    def __init__(self, conn: psycopg2.extensions.connection):
        self.conn = conn

    def replace_partition(self, week: dt.date, tenant: str, students: pd.DataFrame, tenant_row: dict) -> None:
        """Delete and rewrite exactly this partition's rows, atomically. Two runs of one partition at once (two
        CLIs, the UI and a CLI) take turns on a lock for the partition: the later one's rows are the result."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"partition {week.isoformat()} {tenant}",))
            cur.execute("DELETE FROM risk.student_results WHERE week = %s AND tenant = %s", (week, tenant))
            buffer = io.StringIO()
            students.assign(week=week, tenant=tenant)[["week", "tenant", *STUDENT_RESULT_COLUMNS]].to_csv(
                buffer, index=False, header=False)
            buffer.seek(0)
            columns = sql.SQL(", ").join(map(sql.Identifier, ["week", "tenant", *STUDENT_RESULT_COLUMNS]))
            cur.copy_expert(
                sql.SQL("COPY risk.student_results ({}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (reason_codes))")
                .format(columns).as_string(cur),
                buffer,
            )
            cur.execute(
                "INSERT INTO risk.tenant_weeks (week, tenant, org_name, total_students, crit_count, warn_count,"
                " ok_count, ok_partial_count, insufficient_count, new_warn_or_crit, profile, figures, generated_at)"
                " VALUES (%(week)s, %(tenant)s, %(org_name)s, %(total_students)s, %(crit_count)s, %(warn_count)s,"
                " %(ok_count)s, %(ok_partial_count)s, %(insufficient_count)s, %(new_warn_or_crit)s, %(profile)s,"
                " %(figures)s, %(generated_at)s)"
                " ON CONFLICT (week, tenant) DO UPDATE SET org_name = EXCLUDED.org_name,"
                " total_students = EXCLUDED.total_students, crit_count = EXCLUDED.crit_count,"
                " warn_count = EXCLUDED.warn_count, ok_count = EXCLUDED.ok_count,"
                " ok_partial_count = EXCLUDED.ok_partial_count, insufficient_count = EXCLUDED.insufficient_count,"
                " new_warn_or_crit = EXCLUDED.new_warn_or_crit, profile = EXCLUDED.profile,"
                " figures = EXCLUDED.figures, generated_at = EXCLUDED.generated_at",
                {**tenant_row, "week": week, "tenant": tenant,
                 "figures": json.dumps(tenant_row["figures"], ensure_ascii=False)},
            )
        self.conn.commit()

    def levels(self, week: dt.date, tenant: str) -> pd.Series | None:
        """Each student's stored level for a week (indexed by student_id); None if never materialised."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT 1 FROM risk.tenant_weeks WHERE week = %s AND tenant = %s", (week, tenant))
            if cur.fetchone() is None:
                return None
            cur.execute("SELECT student_id, level FROM risk.student_results WHERE week = %s AND tenant = %s",
                        (week, tenant))
            rows = cur.fetchall()
        self.conn.rollback()
        return pd.Series({sid: level for sid, level in rows}, dtype=object).rename_axis("student_id")

    def trajectory_rows(self, tenant: str, weeks: list[dt.date],
                        student_ids: list[int]) -> tuple[list[dt.date], pd.DataFrame]:
        """(the weeks among `weeks` that this tenant has stored, its rows for those students in those weeks)."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT week FROM risk.tenant_weeks WHERE tenant = %s AND week = ANY(%s) ORDER BY week",
                        (tenant, weeks))
            stored = [row[0] for row in cur.fetchall()]
            cur.execute(
                "SELECT week, student_id, level, coverage, theta_now, se_now FROM risk.student_results"
                " WHERE tenant = %s AND week = ANY(%s) AND student_id = ANY(%s) ORDER BY student_id, week",
                (tenant, weeks, student_ids))
            rows = cur.fetchall()
        self.conn.rollback()
        return stored, pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)

    def lock_week(self, week: dt.date) -> None:
        """Serialise the publishing of one week's reports (and its summary.csv) until this transaction ends."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"summary.csv {week.isoformat()}",))
