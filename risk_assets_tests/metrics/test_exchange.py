"""The R engine's input files (risk_assets/metrics/exchange.py): exact values, NULLs, text that needs quoting,
and the same bytes whether a table is written in one slice or many."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pytest

from risk_assets.metrics import exchange
from risk_assets.metrics.exchange import export_snapshot
from risk_assets_tests.metrics.builder import SnapshotBuilder

AWKWARD_NAME = 'Kim, "Minjun"\nthe second'


def awkward_snapshot():
    b = SnapshotBuilder()
    first = b.student(name=AWKWARD_NAME, class_name=None, withdrawn_on=dt.date(2026, 11, 20))
    second = b.student(name=" 이서연 ")
    day = dt.date(2026, 11, 18)
    b.present(first, b.local(day, 9, 0, 1), "correct", a=1 / 3, b=-0.1, c=5e-324, response_time_ms=None)
    b.present(first, b.local(day, 9, 0, 2), "omitted", a=1.7976931348623157e308, b=None, c=None, n_options=None,
              item_known=False)
    b.present(second, b.local(day, 9, 0, 3), "incorrect", a=0.1, b=1e21, c=1e-7, response_time_ms=2**40)
    b.estimate(first, b.local(day), 0.30000000000000004, se=None)
    b.calendar([day])
    b.attend(first, day, "late")
    b.item_history(1, 50, 3000.5)
    return b.build()


def read_rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_values_arrive_exactly_and_null_is_an_empty_cell(tmp_path):
    snapshot = awkward_snapshot()
    folder = export_snapshot(snapshot, tmp_path / "x")

    students = read_rows(folder / "students.csv")
    assert students[0] == ["student_id", "display_name", "class_name", "enrolled_on", "withdrawn_on"]
    assert students[1] == ["1000", AWKWARD_NAME, "", "2026-01-01", "2026-11-20"]
    assert students[2] == ["1001", " 이서연 ", "1-1", "2026-01-01", ""]

    header, *rows = read_rows(folder / "presentations.csv")
    assert header == list(snapshot.presentations.columns)
    cells = [dict(zip(header, row)) for row in rows]
    assert [float(c["a"]) for c in cells] == [1 / 3, 1.7976931348623157e308, 0.1]
    assert [c["b"] for c in cells][1] == "" and float(cells[2]["b"]) == 1e21
    assert float(cells[0]["c"]) == 5e-324 and cells[1]["c"] == "" and float(cells[2]["c"]) == 1e-7
    assert [c["response_time_ms"] for c in cells] == ["", "15000", str(2**40)]
    assert [c["n_options"] for c in cells] == ["4", "", "4"]
    assert [c["outcome"] for c in cells] == ["correct", "omitted", "incorrect"]
    assert [c["item_known"] for c in cells] == ["1", "0", "1"]
    expected_us = snapshot.presentations["presented_at"].astype("int64").to_numpy() // 1000
    assert [int(c["presented_at"]) for c in cells] == expected_us.tolist()

    theta = read_rows(folder / "theta.csv")
    assert float(theta[1][3]) == 0.30000000000000004 and theta[1][4] == ""
    assert read_rows(folder / "attendance.csv")[1] == ["1000", "2026-11-18", "late"]
    assert read_rows(folder / "school_days.csv") == [["school_date"], ["2026-11-18"]]
    assert read_rows(folder / "item_times.csv")[1] == ["1", "50", "150025"]
    assert json.loads((folder / "window.json").read_text())["week"] == "2026-11-16"


def test_an_empty_table_is_its_header_alone(tmp_path):
    folder = export_snapshot(SnapshotBuilder().build(), tmp_path / "x")
    assert read_rows(folder / "theta.csv") == [["estimate_id", "student_id", "estimated_at", "theta", "se"]]
    assert read_rows(folder / "item_times.csv") == [["item_id", "n_timed", "sum_response_time_ms"]]


@pytest.mark.parametrize("slice_rows", [1, 2])
def test_slices_write_the_bytes_one_slice_writes(tmp_path, monkeypatch, slice_rows):
    b = SnapshotBuilder()
    sid = b.student()
    for i, a in enumerate(np.random.default_rng(7).lognormal(size=7)):
        b.present(sid, b.local(dt.date(2026, 11, 18), 9, 0, i), "correct", a=float(a))
    snapshot = b.build()
    whole = export_snapshot(snapshot, tmp_path / "whole")
    monkeypatch.setattr(exchange, "SLICE_ROWS", slice_rows)
    sliced = export_snapshot(snapshot, tmp_path / "sliced")
    assert (sliced / "presentations.csv").read_bytes() == (whole / "presentations.csv").read_bytes()
    assert len(read_rows(sliced / "presentations.csv")) == 8
