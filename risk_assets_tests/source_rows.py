"""Writing hand-made rows into a test source database (parameterised INSERTs; tests only)."""

from __future__ import annotations

import datetime as dt
import itertools

import psycopg2.extensions
from psycopg2.extras import execute_values

_ids = itertools.count(1)


class SourceRows:
    """Small builder for source rows; ids are unique across one test session."""

    def __init__(self, conn: psycopg2.extensions.connection):
        self.conn = conn

    def _insert(self, table: str, columns: str, rows: list[tuple]) -> None:
        with self.conn.cursor() as cur:
            execute_values(cur, f"INSERT INTO {table} ({columns}) VALUES %s", rows)
        self.conn.commit()

    def organization(self, org_id: int, name: str) -> int:
        self._insert("organizations", "org_id, name", [(org_id, name)])
        return org_id

    def student(self, org_id: int, name: str = "학생", *, class_name: str | None = "1-1",
                enrolled_on: dt.date = dt.date(2026, 1, 1), withdrawn_on: dt.date | None = None) -> int:
        student_id = next(_ids)
        self._insert("students", "student_id, org_id, display_name, class_name, enrolled_on, withdrawn_on",
                     [(student_id, org_id, name, class_name, enrolled_on, withdrawn_on)])
        return student_id

    def item(self, a: float | None = 1.0, b: float | None = 0.0, c: float | None = 0.2,
             n_options: int | None = 4) -> int:
        item_id = next(_ids)
        self._insert("items", "item_id, a, b, c, n_options", [(item_id, a, b, c, n_options)])
        return item_id

    def presentation(self, student_id: int, item_id: int, at: dt.datetime, outcome: str = "correct",
                     *, session_id: int = 1, response_time_ms: int | None = 15000) -> int:
        presentation_id = next(_ids)
        self._insert("item_presentations",
                     "presentation_id, student_id, session_id, item_id, presented_at, outcome, response_time_ms",
                     [(presentation_id, student_id, session_id, item_id, at, outcome, response_time_ms)])
        return presentation_id

    def theta(self, student_id: int, at: dt.datetime, theta: float | None = 0.0, se: float | None = 0.3) -> int:
        estimate_id = next(_ids)
        self._insert("theta_estimates", "estimate_id, student_id, estimated_at, theta, se",
                     [(estimate_id, student_id, at, theta, se)])
        return estimate_id

    def school_days(self, org_id: int, days: list[dt.date]) -> None:
        self._insert("school_days", "org_id, school_date", [(org_id, d) for d in days])

    def attendance(self, student_id: int, day: dt.date, status: str = "present") -> None:
        self._insert("attendance", "student_id, school_date, status", [(student_id, day, status)])
