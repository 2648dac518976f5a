"""The mark of a database the product created for demo data, the only kind demo data is ever written into.

Loading demo data replaces the configured schools' rows and overwrites items with the same ids, so it must never
reach a platform's real source database. The embedded server's databases are the product's own: the product marks
each when it creates or uses it (a one-row table), and every path that loads demo data checks the mark first. A
database name proves nothing (a real server may well have a `risk_source`); the mark only exists where the product
wrote it. docs/embedded-postgres.md.
"""

from __future__ import annotations

from risk_assets.database.connection import connection, describe
from risk_assets.errors import UserError

MARKER_TABLE = "risk_report_demo_database"
MARKER_NOTE = "created by risk-report for demo data; the demo commands may replace every row of this database"


def is_demo_database(url: str) -> bool:
    """Whether the database carries the mark (read only: a catalogue look-up and one row)."""
    with connection(url, purpose="source database") as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.{MARKER_TABLE}",))
        if not cur.fetchone()[0]:
            conn.rollback()
            return False
        cur.execute(f"SELECT count(*) FROM public.{MARKER_TABLE} WHERE note = %s", (MARKER_NOTE,))
        marked = cur.fetchone()[0] > 0
        conn.rollback()
        return marked


def mark_demo_database(url: str) -> None:
    """Mark a database the product created (on its embedded server) as one demo data may be written into."""
    if is_demo_database(url):
        return
    with connection(url, purpose="source database") as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS public.{MARKER_TABLE} "
                    "(note text NOT NULL, marked_at timestamptz NOT NULL DEFAULT now())")
        cur.execute(f"INSERT INTO public.{MARKER_TABLE} (note) VALUES (%s)", (MARKER_NOTE,))
        conn.commit()


def require_demo_database(url: str, variable: str = "SOURCE_DATABASE_URL") -> None:
    """Refuse (before any write) a database the product did not create for the demo."""
    if not is_demo_database(url):
        raise UserError(
            f"{variable} names a database that risk-report did not create for the demo ({describe(url)}): demo "
            "data would delete the configured schools' students, attendance, θ estimates and presentations there "
            f"and overwrite its items, so nothing was written. Unset {variable} to load the demo into the embedded "
            "server, or point it at the embedded server's demo database (`risk-report db start`, then "
            "`risk-report db url`)")
