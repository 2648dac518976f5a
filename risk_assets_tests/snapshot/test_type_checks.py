"""The dagster-pandas checks of the snapshot's tables and the metrics frame: what they refuse, in their words."""

from __future__ import annotations

import pandas as pd
import pytest

from risk_assets.snapshot.schema import SNAPSHOT_TABLES, THETA, SourceSchemaError

ESTIMATED_AT = pd.Timestamp("2026-11-20", tz="UTC")


def theta_rows(**overrides) -> pd.DataFrame:
    columns = {"estimate_id": pd.Series([1], dtype="int64"), "student_id": pd.Series([2], dtype="int64"),
               "estimated_at": pd.Series([ESTIMATED_AT]), "theta": [0.1], "se": [0.2]}
    return pd.DataFrame({**columns, **overrides})


@pytest.mark.parametrize("table", SNAPSHOT_TABLES, ids=lambda table: table.name)
def test_every_table_in_its_contract_dtypes_passes(table):
    table.check(table.empty())


def test_a_column_of_the_wrong_dtype_is_named():
    THETA.check(theta_rows())
    with pytest.raises(SourceSchemaError) as caught:
        THETA.check(theta_rows(estimate_id=pd.Series([1.5])))
    assert str(caught.value) == ("snapshot table 'theta' failed its type check: Violated \"ColumnDTypeFnConstraint\" "
                                 "for column \"estimate_id\" - Dtype must satisfy \"is_integer_dtype\", but was "
                                 "\"float64\"")


def test_a_null_where_the_contract_forbids_one_is_named():
    with pytest.raises(SourceSchemaError, match=r"NonNullableColumnConstraint\" for column \"student_id\" - No Null"):
        THETA.check(theta_rows(student_id=pd.Series([None], dtype="Int64")))


def test_the_metrics_frame_is_checked_against_every_student_column():
    from risk_assets.defs.weekly.metrics import STUDENT_METRICS_COLUMNS
    from risk_assets.frame_checks import column_violation
    from risk_assets.vocabulary import STUDENT_COLUMNS

    assert [column.name for column in STUDENT_METRICS_COLUMNS] == list(STUDENT_COLUMNS)
    assert column_violation(pd.DataFrame({"student_id": [1]}), STUDENT_METRICS_COLUMNS) == (
        "Required column display_name not in dataframe with columns Index(['student_id'], dtype='object')")
