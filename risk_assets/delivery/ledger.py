"""The delivery ledger in schema `risk`: what was sent, where, how often, and what failed."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional

import pandas as pd
import psycopg2.extensions

from risk_assets.database.connection import query_frame

CHANNELS = ("email", "slack")


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    status: str
    attempts: int


class Ledger:
    def __init__(self, conn: psycopg2.extensions.connection):
        self.conn = conn

    @contextmanager
    def exclusive(self, week: dt.date, tenant: str) -> Iterator[None]:
        """One delivery of a tenant-week at a time, across processes, for the whole send."""
        key = f"deliver {week.isoformat()} {tenant}"
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        self.conn.commit()
        try:
            yield
        finally:
            self.conn.rollback()
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
            self.conn.commit()

    def claim(self, week: dt.date, tenant: str, channel: str, checksum: str, run_id: str) -> Optional[LedgerEntry]:
        """The newest generation's row for this report and channel, created as pending if new and locked
        for this run; None when it was already sent (nothing to do)."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO risk.deliveries (week, tenant, channel, checksum, status, run_id)"
                " VALUES (%s, %s, %s, %s, 'pending', %s) ON CONFLICT DO NOTHING",
                (week, tenant, channel, checksum, run_id),
            )
            cur.execute(
                "SELECT id, status, attempts FROM risk.deliveries"
                " WHERE week = %s AND tenant = %s AND channel = %s AND checksum = %s"
                " ORDER BY generation DESC LIMIT 1 FOR UPDATE",
                (week, tenant, channel, checksum),
            )
            entry = LedgerEntry(*cur.fetchone())
        self.conn.commit()
        return None if entry.status == "sent" else entry

    def force(self, week: dt.date, tenant: str, channel: str, checksum: str, who: str) -> int:
        """A new generation for a re-send of a report that may already have been sent."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO risk.deliveries (week, tenant, channel, checksum, generation, status, forced_by)"
                " SELECT %s, %s, %s, %s, COALESCE(max(generation), -1) + 1, 'pending', %s FROM risk.deliveries"
                " WHERE week = %s AND tenant = %s AND channel = %s AND checksum = %s RETURNING id",
                (week, tenant, channel, checksum, who, week, tenant, channel, checksum),
            )
            new_id = cur.fetchone()[0]
        self.conn.commit()
        return new_id

    def record(self, entry: LedgerEntry, *, sent: bool, destination: str, run_id: str,
               message_id: Optional[str] = None, error: Optional[str] = None, attempts: int = 1) -> None:
        with self.conn.cursor() as cur:
            cur.execute(
                "UPDATE risk.deliveries SET status = %s, destination = %s, attempts = attempts + %s,"
                " provider_message_id = COALESCE(%s, provider_message_id), error = %s, run_id = %s,"
                " updated_at = now(), sent_at = CASE WHEN %s THEN now() ELSE sent_at END WHERE id = %s",
                ("sent" if sent else "failed", destination, attempts, message_id, error, run_id, sent, entry.id),
            )
        self.conn.commit()

    def listing(self, week: dt.date) -> pd.DataFrame:
        return query_frame(
            self.conn,
            "SELECT tenant, channel, generation, status, destination, attempts, provider_message_id,"
            " left(checksum, 12) AS checksum, forced_by, error, updated_at, sent_at FROM risk.deliveries"
            " WHERE week = %s ORDER BY tenant, channel, generation",
            (week,),
        )
