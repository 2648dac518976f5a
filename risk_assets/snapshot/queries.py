"""Running the snapshot SQL in `sql/`: rows arrive as PostgreSQL's binary COPY, decoded into Arrow columns by the
ADBC PostgreSQL driver — no Python object per row.

COPY takes no bind parameters, so the organisation and the window's edges are bound once per transaction by a
parameterised `set_config('risk.<name>', $n, true)` and the queries read them back with `current_setting`:
no value is ever formatted into SQL text, and the settings end with the transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import adbc_driver_manager
import adbc_driver_postgresql.dbapi as adbc
import pandas as pd
import pyarrow as pa
from adbc_driver_postgresql import StatementOptions
from pandas.api.types import union_categoricals

from risk_assets.errors import UserError
from risk_assets.heap import release_freed_memory
from risk_assets.snapshot.schema import SourceSchemaError, Table

QUERY_FILES = {
    "organization": "snapshot_organization.sql",
    "students": "snapshot_students.sql",
    "presentations": "snapshot_presentations.sql",
    "theta": "snapshot_theta.sql",
    "school_days": "snapshot_school_days.sql",
    "attendance": "snapshot_attendance.sql",
    "item_times": "snapshot_item_times.sql",
    "shared_students": "snapshot_shared_students.sql",
}
# Text columns with a handful of distinct values: kept as Arrow dictionaries, so pandas gets a categorical
# instead of one Python string per row (15 million of them for a large school's presentations).
CODED_COLUMNS = ("outcome", "status")
# Narrow integer columns (PostgreSQL integer, smallint) straight into the contract's nullable Int64, without the
# float64 pandas would otherwise make of a column with NULLs.
_NULLABLE_INTEGERS = {pa.int16(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype()}
# Bytes of rows the driver decodes into one Arrow record batch (its own default): large enough that per-batch
# work is negligible, small enough that the batch in flight is a sliver of a large school's presentations.
BATCH_BYTES = 16 * 2**20
_UNDEFINED_TABLE, _UNDEFINED_COLUMN = "42P01", "42703"
_SERVER_ERROR = re.compile(r"ERROR:\s+([^\n]*)")


def read_query(sql_dir: Path, name: str) -> tuple[str, Path]:
    """The query of a sql/ file without its final `;` (the driver wraps it in COPY (…))."""
    path = sql_dir / QUERY_FILES[name]
    try:
        return path.read_text(encoding="utf-8").rstrip().removesuffix(";"), path
    except FileNotFoundError:
        raise UserError(f"snapshot query file {path} is missing; "
                        "set RISK_SQL_DIR to the folder holding the sql/ files") from None


def setting_text(value: object) -> str:
    """A parameter as the text `current_setting` returns and the query casts back (ISO 8601 for instants)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def begin_snapshot(cursor: adbc.Cursor, params: Mapping[str, object]) -> None:
    """Start the read-only REPEATABLE READ transaction every snapshot query runs in, with its parameters."""
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    names = list(params)
    calls = ", ".join(f"set_config('risk.{name}', ${n}, true)" for n, name in enumerate(names, start=1))
    cursor.execute(f"SELECT {calls}", parameters=tuple(setting_text(params[name]) for name in names))
    cursor.fetchall()


def bulk_statements(sql_dir: Path, names: list[str], params: Mapping[str, object]) -> list[str]:
    """The snapshot queries as one psql script of binary COPYs (the benchmark's baseline)."""
    settings = [f"SELECT set_config('risk.{name}', '{setting_text(value)}', true);" for name, value in params.items()]
    copies = [f"COPY ({read_query(sql_dir, name)[0]}) TO STDOUT (FORMAT binary);" for name in names]
    return ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;", *settings, *copies, "ROLLBACK;"]


def run_query(cursor: adbc.Cursor, sql_dir: Path, name: str) -> tuple[pa.Table, Path]:
    text, path = read_query(sql_dir, name)
    try:
        cursor.execute(text)
        table = cursor.fetch_arrow_table()
    except adbc_driver_manager.ProgrammingError as exc:
        raise _schema_error(exc, path) from None
    return table, path


def read_frame(cursor: adbc.Cursor, sql_dir: Path, name: str) -> pd.DataFrame:
    return run_query(cursor, sql_dir, name)[0].to_pandas()


def fetch_table(cursor: adbc.Cursor, sql_dir: Path, table: Table) -> pd.DataFrame:
    """A snapshot table in its contract's dtypes, converted one record batch at a time as the rows arrive.

    Each batch becomes pandas columns of its own (copied, so the driver's buffers are freed batch by batch:
    they are released per batch, never per column) and the columns are joined one at a time, so the rows are
    held once, plus one column, at any moment.
    """
    text, path = read_query(sql_dir, table.name)
    cursor.adbc_statement.set_options(**{StatementOptions.BATCH_SIZE_HINT_BYTES.value: str(BATCH_BYTES)})
    try:
        cursor.execute(text)
        reader = cursor.fetch_record_batch()
        parts = [_owned(table.typed(to_frame(pa.Table.from_batches([batch])), source=path.name)) for batch in reader]
    except adbc_driver_manager.ProgrammingError as exc:
        raise _schema_error(exc, path) from None
    if not parts:
        return table.typed(to_frame(reader.schema.empty_table()), source=path.name)
    return concatenate_columns(parts)


def _owned(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with memory of its own: no column still views the driver's batch."""
    return pd.DataFrame({name: frame[name].copy(deep=True) for name in frame.columns}, copy=False)


def concatenate_columns(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' rows in order, joined column by column, each part's column freed once joined. Categoricals
    are joined on the union of their categories (each batch has the distinct values it saw)."""
    if len(parts) == 1:
        return parts[0]
    columns = {}
    for name in list(parts[0].columns):
        pieces = [part.pop(name) for part in parts]
        if isinstance(pieces[0].dtype, pd.CategoricalDtype):
            columns[name] = pd.Series(union_categoricals([piece.array for piece in pieces]), name=name)
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
        del pieces
        release_freed_memory()
    return pd.DataFrame(columns, copy=False)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas with the Arrow buffers released column by column (one copy of the rows at a time)."""
    for name in CODED_COLUMNS:
        if name in table.column_names and pa.types.is_string(table.schema.field(name).type):
            table = table.set_column(table.column_names.index(name), name, table.column(name).dictionary_encode())
    return table.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False,
                           coerce_temporal_nanoseconds=True, types_mapper=_NULLABLE_INTEGERS.get)


def _server_message(exc: adbc_driver_manager.Error) -> str:
    """PostgreSQL's own words (`column p.outcome does not exist`), without the driver's prefixes."""
    text = str(exc).strip()
    found = _SERVER_ERROR.search(text)
    return found.group(1).strip() if found else text.splitlines()[0]


def _schema_error(exc: adbc_driver_manager.Error, path: Path) -> SourceSchemaError:
    first_line = _server_message(exc)
    if exc.sqlstate == _UNDEFINED_TABLE:
        return SourceSchemaError(f"source schema drift: {first_line} in {path}; "
                                 "adapt the query to the source's table names")
    if exc.sqlstate == _UNDEFINED_COLUMN:
        return SourceSchemaError(f"source schema drift: {first_line} in {path}; "
                                 "adapt the query to the source's column names")
    return SourceSchemaError(f"query {path} failed: {first_line}")
