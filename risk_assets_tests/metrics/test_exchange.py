"""The R engine's input files (risk_assets/metrics/exchange.py): exact values, NULLs, text of any kind, the
layout in tables.json, and a clear error for an integer the R engine's doubles cannot hold."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from risk_assets.metrics.exchange import InexactInteger, export_snapshot
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


def doubles(folder, table, column):
    return np.fromfile(folder / table / f"{column}.f64", dtype="<f8")


def text(folder, layout, table, column):
    levels = layout[table]["columns"][column]["levels"]
    codes = np.fromfile(folder / table / f"{column}.i32", dtype="<i4")
    return [None if code == np.iinfo(np.int32).min else levels[code - 1] for code in codes]


def test_values_arrive_exactly_and_null_is_nan_or_na(tmp_path):
    snapshot = awkward_snapshot()
    folder = export_snapshot(snapshot, tmp_path / "x")
    layout = json.loads((folder / "tables.json").read_text(encoding="utf-8"))

    assert layout["students"]["rows"] == 2
    assert list(layout["students"]["columns"]) == list(snapshot.students.columns)
    assert text(folder, layout, "students", "display_name") == [AWKWARD_NAME, " 이서연 "]
    assert text(folder, layout, "students", "class_name") == [None, "1-1"]
    assert doubles(folder, "students", "student_id").tolist() == [1000.0, 1001.0]
    epoch = dt.date(1970, 1, 1)
    assert doubles(folder, "students", "enrolled_on").tolist() == [(dt.date(2026, 1, 1) - epoch).days] * 2
    withdrawn = doubles(folder, "students", "withdrawn_on")
    assert withdrawn[0] == (dt.date(2026, 11, 20) - epoch).days and np.isnan(withdrawn[1])

    assert layout["presentations"]["columns"]["presented_at"] == {"kind": "instant"}
    assert doubles(folder, "presentations", "a").tolist() == [1 / 3, 1.7976931348623157e308, 0.1]
    assert np.isnan(doubles(folder, "presentations", "b")[1]) and doubles(folder, "presentations", "b")[2] == 1e21
    assert doubles(folder, "presentations", "c")[0] == 5e-324
    rt = doubles(folder, "presentations", "response_time_ms")
    assert np.isnan(rt[0]) and rt[1:].tolist() == [15000.0, 2.0**40]
    assert np.isnan(doubles(folder, "presentations", "n_options")[1])
    assert text(folder, layout, "presentations", "outcome") == ["correct", "omitted", "incorrect"]
    assert doubles(folder, "presentations", "item_known").tolist() == [1.0, 0.0, 1.0]
    expected_us = snapshot.presentations["presented_at"].astype("int64").to_numpy() // 1000
    assert doubles(folder, "presentations", "presented_at").tolist() == expected_us.astype(float).tolist()

    assert doubles(folder, "theta", "theta").tolist() == [0.30000000000000004]
    assert np.isnan(doubles(folder, "theta", "se")[0])
    assert text(folder, layout, "attendance", "status") == ["late"]
    assert doubles(folder, "school_days", "school_date").tolist() == [(dt.date(2026, 11, 18) - epoch).days]
    assert doubles(folder, "item_times", "sum_response_time_ms").tolist() == [150025.0]
    assert json.loads((folder / "window.json").read_text())["week"] == "2026-11-16"


def test_an_empty_table_is_its_layout_and_empty_files(tmp_path):
    folder = export_snapshot(SnapshotBuilder().build(), tmp_path / "x")
    layout = json.loads((folder / "tables.json").read_text(encoding="utf-8"))
    assert layout["theta"]["rows"] == 0
    assert list(layout["theta"]["columns"]) == ["estimate_id", "student_id", "estimated_at", "theta", "se"]
    assert (folder / "theta" / "se.f64").stat().st_size == 0


def test_an_id_beyond_what_a_double_holds_is_refused_by_name(tmp_path):
    b = SnapshotBuilder()
    sid = b.student()
    b.present(sid, b.local(dt.date(2026, 11, 18)), "correct", item_id=2**53 + 1)
    with pytest.raises(InexactInteger, match=r"presentations\.item_id holds an integer of 2\^53 or more.*"
                                             "metrics_engine: python"):
        export_snapshot(b.build(), tmp_path / "x")
