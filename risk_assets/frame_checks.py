"""dagster-pandas column checks run on a DataFrame directly: the same constraints and the same message as the
DataFrame types dagster-pandas builds, without the throwaway Dagster instance, job and run that
`dagster.check_dagster_type` creates on every call (≈ 0.15 s each, six snapshot tables and the metrics per school:
docs/performance.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from dagster_pandas import PandasColumn


def column_violation(frame: pd.DataFrame, columns: Sequence[PandasColumn]) -> str | None:
    """Why `frame` breaks one of `columns`' constraints, in dagster-pandas's words; None when it breaks none."""
    # Imported here: the report's cells and the metrics engine import this package's modules without Dagster.
    from dagster_pandas.constraints import ConstraintViolationException
    from dagster_pandas.validation import validate_constraints

    try:
        validate_constraints(frame, pandas_columns=list(columns))
    except ConstraintViolationException as error:
        return str(error)
    return None
