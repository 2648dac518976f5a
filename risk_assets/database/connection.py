"""Connecting to PostgreSQL with errors that name the host and database, never the password."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as adbc
import pandas as pd
import psycopg2
import psycopg2.extensions

from risk_assets.errors import UserError

_DRIVER_SUFFIX = re.compile(r"^postgres(?:ql)?\+\w+://")


class DatabaseUnavailable(UserError):
    """The server could not be reached or refused the credentials."""


def libpq_url(url: str) -> str:
    """SQLAlchemy-style `postgresql+psycopg2://` URLs are accepted too; libpq wants the plain scheme."""
    return _DRIVER_SUFFIX.sub("postgresql://", url)


def describe(url: str) -> str:
    """`host H, port P, database D, user U` — safe for logs and errors (no password)."""
    parts = urlsplit(libpq_url(url))
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["local socket"])[0]
    fields = [f"host {unquote(host)}"]
    if parts.port:
        fields.append(f"port {parts.port}")
    fields.append(f"database {unquote(parts.path.lstrip('/')) or '(default)'}")
    if parts.username:
        fields.append(f"user {unquote(parts.username)}")
    return ", ".join(fields)


def redact(text: str, url: str) -> str:
    """Remove the URL's password wherever a driver message may have echoed it."""
    password = urlsplit(libpq_url(url)).password
    if password:
        text = text.replace(password, "***").replace(unquote(password), "***")
    return text


def _unavailable(exc: Exception, url: str, purpose: str) -> DatabaseUnavailable:
    reason = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
    return DatabaseUnavailable(f"cannot connect to the {purpose} ({describe(url)}): {reason}")


def connect(url: str, *, purpose: str = "database", connect_timeout: int = 10) -> psycopg2.extensions.connection:
    try:
        conn = psycopg2.connect(libpq_url(url), connect_timeout=connect_timeout)
    except psycopg2.OperationalError as exc:
        raise _unavailable(exc, url, purpose) from None
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
    conn.commit()
    return conn


def query_frame(conn: psycopg2.extensions.connection, query: str, params: Sequence | Mapping) -> pd.DataFrame:
    """Rows of a read-only query as a DataFrame with the query's column names (transaction ended after)."""
    with conn.cursor() as cur:
        cur.execute(query, params)
        columns = [d.name for d in cur.description]
        rows = cur.fetchall()
    conn.rollback()
    return pd.DataFrame(rows, columns=columns)


def _with_connect_timeout(url: str, seconds: int) -> str:
    parts = urlsplit(libpq_url(url))
    query = parse_qs(parts.query)
    query.setdefault("connect_timeout", [str(seconds)])
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


@contextmanager
def arrow_connection(url: str, *, purpose: str = "database", connect_timeout: int = 10) -> Iterator[adbc.Connection]:
    """An ADBC connection (libpq; results as Arrow columns, streamed with binary COPY), in UTC, not autocommit."""
    try:
        conn = adbc.connect(_with_connect_timeout(url, connect_timeout))
    except adbc_driver_manager.Error as exc:
        raise _unavailable(exc, url, purpose) from None
    try:
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        conn.commit()
        yield conn
    finally:
        conn.close()


@contextmanager
def connection(url: str, *, purpose: str = "database") -> Iterator[psycopg2.extensions.connection]:
    conn = connect(url, purpose=purpose)
    try:
        yield conn
    finally:
        conn.close()
