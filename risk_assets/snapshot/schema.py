"""The snapshot's tables: column names, dtypes and constraints, as pandas dtypes and dagster-pandas types.

A source that drifted (a renamed, missing or re-typed column) fails here, naming the table and column.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import pandas as pd

from risk_assets.errors import UserError
from risk_assets.frame_checks import column_violation

if TYPE_CHECKING:
    from dagster import DagsterType
    from dagster_pandas import PandasColumn

Kind = Literal["id", "int", "float", "text", "bool", "timestamp", "date"]

_DTYPES: dict[Kind, str] = {
    "id": "int64",
    "int": "Int64",
    "float": "float64",
    "text": "object",
    "bool": "bool",
    "timestamp": "datetime64[ns, UTC]",
    "date": "datetime64[ns]",
}


class SourceSchemaError(UserError):
    """The source returned columns or values the snapshot contract does not allow."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = False

    def dagster_column(self) -> PandasColumn:
        from dagster_pandas import PandasColumn

        nulls = {"non_nullable": not self.nullable, "ignore_missing_vals": self.nullable}
        if self.kind in ("id", "int"):
            return PandasColumn.integer_column(self.name, **nulls)
        if self.kind == "float":
            return PandasColumn.float_column(self.name, **nulls)
        if self.kind == "bool":
            return PandasColumn.boolean_column(self.name, **nulls)
        if self.kind == "timestamp":
            return PandasColumn.datetime_column(self.name, tz="UTC", **nulls)
        if self.kind == "date":
            return PandasColumn.datetime_column(self.name, **nulls)
        return PandasColumn.exists(self.name, **nulls)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    description: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @cached_property
    def dagster_type(self) -> DagsterType:
        # Imported here, not at the top: the metrics and the report's cells use these tables without Dagster,
        # and `import dagster` costs more than a second (docs/performance.md).
        from dagster import BetaWarning
        from dagster_pandas import create_dagster_pandas_dataframe_type

        with warnings.catch_warnings():
            # dagster-pandas marks its column API beta; we pin the version, so the warning is noise.
            warnings.simplefilter("ignore", BetaWarning)
            return create_dagster_pandas_dataframe_type(
                name=f"Snapshot{''.join(part.title() for part in self.name.split('_'))}",
                description=self.description,
                columns=self.dagster_columns,
            )

    def empty(self) -> pd.DataFrame:
        return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in self.columns})

    def typed(self, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        """Frame from a query result, columns in contract order and dtypes; drift raises SourceSchemaError."""
        missing = [name for name in self.column_names if name not in frame.columns]
        extra = [name for name in frame.columns if name not in self.column_names]
        if missing or extra:
            details = []
            if missing:
                details.append(f"missing column(s) {', '.join(missing)}")
            if extra:
                details.append(f"unexpected column(s) {', '.join(extra)}")
            raise SourceSchemaError(
                f"source schema drift in table '{self.name}' ({source}): {'; '.join(details)}. "
                f"The query must return exactly: {', '.join(self.column_names)}"
            )
        out = {}
        for column in self.columns:
            out[column.name] = _convert(frame[column.name], column, self.name, source)
        return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), copy=False)

    @cached_property
    def dagster_columns(self) -> list[PandasColumn]:
        from dagster import BetaWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BetaWarning)  # as in dagster_type
            return [c.dagster_column() for c in self.columns]

    def check(self, frame: pd.DataFrame) -> None:
        """Run the dagster-pandas type check; a failure names the column and the constraint."""
        violation = column_violation(frame, self.dagster_columns)
        if violation:
            raise SourceSchemaError(f"snapshot table '{self.name}' failed its type check: {violation}")


def _convert(values: pd.Series, column: Column, table: str, source: str) -> pd.Series:
    """The column in its contract dtype, without a copy where it already has it (a large school's presentations
    are millions of rows)."""
    try:
        # cache=False: the values arrive as datetimes already, and the cache only pays for repeated strings (deciding
        # to use it iterates the values as Timestamp objects: ≈ 20 ms for a 200-student school's presentations).
        if column.kind == "timestamp":
            converted = pd.to_datetime(values, utc=True, cache=False).astype(_DTYPES["timestamp"], copy=False)
        elif column.kind == "date":
            converted = pd.to_datetime(values, cache=False).astype(_DTYPES["date"], copy=False)
        elif column.kind == "text":
            converted = values if isinstance(values.dtype, pd.CategoricalDtype) else (
                values.astype(object).where(values.notna(), None))
        elif column.kind == "float":
            converted = pd.to_numeric(values, errors="raise").astype("float64", copy=False)
        else:
            converted = values.astype(_DTYPES[column.kind], copy=False)
    except (TypeError, ValueError) as exc:
        raise SourceSchemaError(
            f"source schema drift in table '{table}' ({source}): column '{column.name}' should hold "
            f"{column.kind} values but does not ({exc})"
        ) from None
    if not column.nullable and converted.isna().any():
        raise SourceSchemaError(
            f"table '{table}' ({source}): column '{column.name}' must not be NULL but has "
            f"{int(converted.isna().sum())} NULL value(s)"
        )
    return converted


STUDENTS = Table(
    "students",
    (
        Column("student_id", "id"),
        Column("display_name", "text"),
        Column("class_name", "text", nullable=True),
        Column("enrolled_on", "date"),
        Column("withdrawn_on", "date", nullable=True),
    ),
    "Students counted in the report week.",
)

PRESENTATIONS = Table(
    "presentations",
    (
        Column("presentation_id", "id"),
        Column("student_id", "id"),
        Column("session_id", "id"),
        Column("item_id", "id"),
        Column("presented_at", "timestamp"),
        Column("outcome", "text"),
        Column("response_time_ms", "int", nullable=True),
        Column("item_known", "bool"),
        Column("a", "float", nullable=True),
        Column("b", "float", nullable=True),
        Column("c", "float", nullable=True),
        Column("n_options", "int", nullable=True),
    ),
    "Item presentations in [C - 14 d, C) with IRT item parameters.",
)

THETA = Table(
    "theta",
    (
        Column("estimate_id", "id"),
        Column("student_id", "id"),
        Column("estimated_at", "timestamp"),
        Column("theta", "float", nullable=True),
        Column("se", "float", nullable=True),
    ),
    "θ estimates in [C - 28 d, C).",
)

SCHOOL_DAYS = Table(
    "school_days",
    (Column("school_date", "date"),),
    "Instructional dates of the tenant in [C - 28 d, C).",
)

ATTENDANCE = Table(
    "attendance",
    (
        Column("student_id", "id"),
        Column("school_date", "date"),
        Column("status", "text"),
    ),
    "Attendance records in [C - 28 d, C).",
)

ITEM_TIMES = Table(
    "item_times",
    (
        Column("item_id", "id"),
        Column("n_timed", "id"),
        Column("sum_response_time_ms", "id"),
    ),
    "Per item: answered presentations with a valid response time in [C - 90 d, C) and the sum of those times.",
)

SNAPSHOT_TABLES: tuple[Table, ...] = (STUDENTS, PRESENTATIONS, THETA, SCHOOL_DAYS, ATTENDANCE, ITEM_TIMES)
