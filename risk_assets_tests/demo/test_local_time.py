from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from risk_assets.demo.local_time import local_midnight_utc, wall_to_utc

NEW_YORK = ZoneInfo("America/New_York")


def test_wall_clock_times_convert_with_each_dates_own_offset():
    local = np.array(
        ["2026-03-07T09:00", "2026-03-09T09:00", "2026-10-31T15:30:00.250", "2026-11-02T15:30:00.250"],
        dtype="datetime64[ms]",
    )
    utc = wall_to_utc(local, NEW_YORK)
    assert str(utc.dtype) == "datetime64[ns, UTC]"
    assert list(utc.strftime("%Y-%m-%d %H:%M:%S.%f")) == [
        "2026-03-07 14:00:00.000000",
        "2026-03-09 13:00:00.000000",
        "2026-10-31 19:30:00.250000",
        "2026-11-02 20:30:00.250000",
    ]
    expected = [pd.Timestamp(t.astype(dt.datetime), tz=NEW_YORK).tz_convert("UTC") for t in local]
    assert list(utc) == expected


def test_times_outside_the_daytime_span_are_refused():
    with pytest.raises(ValueError, match="outside"):
        wall_to_utc(np.array(["2026-11-01T01:30"], dtype="datetime64[ms]"), NEW_YORK)


def test_local_midnight():
    assert local_midnight_utc(dt.date(2026, 11, 2), NEW_YORK) == pd.Timestamp("2026-11-02 05:00", tz="UTC")
    assert (local_midnight_utc(dt.date(2026, 11, 2), ZoneInfo("Asia/Seoul"))
            == pd.Timestamp("2026-11-01 15:00", tz="UTC"))
