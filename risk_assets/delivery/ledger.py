"""The delivery ledger in schema `risk`: what was sent, where, to whom, how often, and what failed.

A row's life: pending → sending → sent | failed | unknown; a row found in `sending` by a later run was
interrupted (its process died mid-send). A re-send adds a generation; once it is sent, the older
generations that were not become `superseded`, so the newest row of a channel is its state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import psycopg2.extensions

from risk_assets.database.connection import query_frame

CHANNELS = ("email", "slack")
SENT, SENDING, FAILED, UNKNOWN, SKIPPED = "sent", "sending", "failed", "unknown", "skipped"
MESSAGE, FILE = "message", "file"  # the parts of a Slack delivery: the webhook message, the uploaded report
_SETTLED = (SENT, SKIPPED)  # nothing more to do for the row


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    week: dt.date
    tenant: str
    channel: str
    checksum: str
    generation: int
    status: str  # the status this run found: pending, sending (interrupted), failed or unknown
    created_at: dt.datetime  # when the row was created: an e-mail's Date, the same for every try
    started_at: dt.datetime | None  # when the last send began
    error: str | None  # why the last attempt failed, or why its outcome is unknown

    @property
    def interrupted(self) -> bool:
        return self.status == SENDING


class Ledger:
    def __init__(self, conn: psycopg2.extensions.connection):
        self.conn = conn

    @contextmanager
    def exclusive(self, week: dt.date, tenant: str) -> Iterator[None]:
        """One delivery or re-send request of a tenant-week at a time, across processes. The lock is the
        connection's: a process killed mid-send releases it with its connection."""
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

    def claim(self, week: dt.date, tenant: str, channel: str, checksum: str, run_id: str) -> LedgerEntry | None:
        """The newest generation's row for this report and channel, created as pending if new; None when it is
        settled (sent, or e-mail switched off): nothing to do. Call inside exclusive()."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO risk.deliveries (week, tenant, channel, checksum, status, run_id)"
                " VALUES (%s, %s, %s, %s, 'pending', %s) ON CONFLICT DO NOTHING",
                (week, tenant, channel, checksum, run_id),
            )
            cur.execute(
                "SELECT id, week, tenant, channel, checksum, generation, status, created_at, started_at, error"
                " FROM risk.deliveries WHERE week = %s AND tenant = %s AND channel = %s AND checksum = %s"
                " ORDER BY generation DESC LIMIT 1",
                (week, tenant, channel, checksum),
            )
            entry = LedgerEntry(*cur.fetchone())
            if entry.status not in _SETTLED:
                cur.execute("UPDATE risk.deliveries SET runs = runs + 1, run_id = %s WHERE id = %s",
                            (run_id, entry.id))
        self.conn.commit()
        return None if entry.status in _SETTLED else entry

    def force(self, week: dt.date, tenant: str, channel: str, checksum: str, who: str) -> tuple[int, bool]:
        """A new generation for a re-send of a report that may already have been sent: (its id, True). A re-send
        that is requested while another is still pending or sending is that one: (its id, False), so two `resend`s at
        once send one copy."""
        with self.exclusive(week, tenant), self.conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM risk.deliveries WHERE week = %s AND tenant = %s AND channel = %s AND checksum = %s"
                " AND generation > 0 AND status IN ('pending', 'sending') ORDER BY generation DESC LIMIT 1",
                (week, tenant, channel, checksum),
            )
            waiting = cur.fetchone()
            if waiting:
                return waiting[0], False
            cur.execute(
                "INSERT INTO risk.deliveries (week, tenant, channel, checksum, generation, status, forced_by)"
                " SELECT %s, %s, %s, %s, COALESCE(max(generation), -1) + 1, 'pending', %s FROM risk.deliveries"
                " WHERE week = %s AND tenant = %s AND channel = %s AND checksum = %s RETURNING id",
                (week, tenant, channel, checksum, who, week, tenant, channel, checksum),
            )
            new_id = cur.fetchone()[0]
            self.conn.commit()
        return new_id, True

    def begin(self, entry: LedgerEntry, destination: str) -> None:
        """Written before the first byte goes out: a run that finds the row still `sending` knows the send
        was interrupted."""
        with self.conn.cursor() as cur:
            cur.execute("UPDATE risk.deliveries SET status = 'sending', destination = %s, started_at = now(),"
                        " updated_at = now() WHERE id = %s", (destination, entry.id))
        self.conn.commit()

    def count_attempt(self, entry: LedgerEntry) -> None:
        """One try on the wire (an SMTP connection, an HTTP post), committed at once so a crash keeps it."""
        with self.conn.cursor() as cur:
            cur.execute("UPDATE risk.deliveries SET attempts = attempts + 1, updated_at = now() WHERE id = %s",
                        (entry.id,))
        self.conn.commit()

    def record(self, entry: LedgerEntry, status: str, *, destination: str, message_id: str | None = None,
               error: str | None = None) -> None:
        """The outcome; a sent row supersedes the older generations of its channel that were not sent."""
        with self.conn.cursor() as cur:
            cur.execute(
                "UPDATE risk.deliveries SET status = %s, destination = %s,"
                " provider_message_id = COALESCE(%s, provider_message_id), error = %s,"
                " updated_at = now(), sent_at = CASE WHEN %s THEN now() ELSE sent_at END WHERE id = %s",
                (status, destination, message_id, error, status == SENT, entry.id),
            )
            if status == SENT:
                cur.execute(
                    "UPDATE risk.deliveries SET status = 'superseded', updated_at = now()"
                    " WHERE week = %s AND tenant = %s AND channel = %s AND generation < %s"
                    " AND status IN ('pending', 'sending', 'failed', 'unknown')",
                    (entry.week, entry.tenant, entry.channel, entry.generation),
                )
        self.conn.commit()

    def sent_recipients(self, entry: LedgerEntry) -> set[str]:
        with self.conn.cursor() as cur:
            cur.execute("SELECT address FROM risk.delivery_recipients WHERE delivery_id = %s AND status = 'sent'",
                        (entry.id,))
            return {row[0] for row in cur.fetchall()}

    def record_recipients(self, entry: LedgerEntry, accepted: list[str], refused: Mapping[str, str]) -> None:
        rows: list[tuple[int, str, str, str | None]] = [(entry.id, address, SENT, None) for address in accepted]
        rows += [(entry.id, address, "refused", reply) for address, reply in refused.items()]
        with self.conn.cursor() as cur:
            for row in rows:
                cur.execute(
                    "INSERT INTO risk.delivery_recipients (delivery_id, address, status, reply) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (delivery_id, address) DO UPDATE SET status = EXCLUDED.status,"
                    " reply = EXCLUDED.reply, updated_at = now()",
                    row,
                )
        self.conn.commit()

    def parts(self, entry: LedgerEntry) -> dict[str, tuple[str, str | None]]:
        """Each part of the row tried so far: part -> (status, provider id)."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT part, status, provider_id FROM risk.delivery_parts WHERE delivery_id = %s",
                        (entry.id,))
            return {part: (status, provider_id) for part, status, provider_id in cur.fetchall()}

    def record_part(self, entry: LedgerEntry, part: str, status: str, provider_id: str | None = None) -> None:
        """A part's outcome, committed at once: `sending` goes in before its request goes out."""
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO risk.delivery_parts (delivery_id, part, status, provider_id) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (delivery_id, part) DO UPDATE SET status = EXCLUDED.status,"
                " provider_id = EXCLUDED.provider_id, updated_at = now()",
                (entry.id, part, status, provider_id),
            )
        self.conn.commit()

    def listing(self, week: dt.date) -> pd.DataFrame:
        """Every row of the week, newest generation last, with its e-mail recipients as "sent/all" and its Slack
        parts as e.g. "message sent, file failed"."""
        return query_frame(
            self.conn,
            "SELECT d.tenant, d.channel, d.generation, d.status, d.destination,"
            " CASE WHEN count(r.address) > 0 THEN count(r.address) FILTER (WHERE r.status = 'sent')"
            "  || '/' || count(r.address) END AS recipients,"
            " (SELECT string_agg(p.part || ' ' || p.status, ', ' ORDER BY p.part DESC) FROM risk.delivery_parts p"
            "  WHERE p.delivery_id = d.id) AS parts,"
            " d.attempts, d.runs, d.provider_message_id, left(d.checksum, 12) AS checksum, d.forced_by, d.error,"
            " d.updated_at, d.sent_at FROM risk.deliveries d"
            " LEFT JOIN risk.delivery_recipients r ON r.delivery_id = d.id"
            " WHERE d.week = %s GROUP BY d.id ORDER BY d.tenant, d.channel, d.generation",
            (week,),
        )
