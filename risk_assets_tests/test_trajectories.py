"""Each flagged student's last six weeks in the report: read from the results database (this tenant only), drawn
as a small inline SVG (θ, its ±1 SE band, a level mark per week), labelled when fewer weeks are stored."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk_assets.config import Thresholds
from risk_assets.metrics import compute_metrics
from risk_assets.metrics.student_table import to_csv_bytes
from risk_assets.rendering import render_report
from risk_assets.resource_types import RiskDatabase
from risk_assets.results.store import ResultsStore
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE as TEMPLATE
from risk_assets.settings import PROJECT_DIR
from risk_assets.summary.figures import History, tenant_figures
from risk_assets.summary.trajectories import EASING, NEW, PERSISTENT, reading, trajectories, trajectory_weeks
from risk_assets_tests.metrics.builder import SnapshotBuilder, weekdays

WEEK = dt.date(2026, 11, 16)
EARLIER = trajectory_weeks(WEEK)[:-1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"


def absent_school(students: int) -> pd.DataFrame:
    """This week's metrics of a school whose every student was absent all fortnight: all CRIT, θ known."""
    b = SnapshotBuilder(WEEK)
    days = weekdays(dt.date(2026, 10, 26), dt.date(2026, 11, 20))
    b.calendar(days)
    for n in range(students):
        sid = b.student(name=f"학생 {n:03d}")
        b.estimate(sid, b.days_before(1), 0.1 * (n % 7), 0.25)
        for day in days:
            b.attend(sid, day, "absent")
    return compute_metrics(b.build(), Thresholds())


def earlier_rows(ids, weeks, levels=("OK", "WARN", "CRIT"), se=0.3) -> pd.DataFrame:
    rows = [{"week": week, "student_id": sid, "level": levels[(i + sid) % len(levels)], "coverage": 1.0,
             "theta_now": 0.2 - 0.1 * i, "se_now": se} for i, week in enumerate(weeks) for sid in ids]
    return pd.DataFrame(rows)


def stored_results(frame: pd.DataFrame, week: dt.date, theta: float, se: float | None) -> pd.DataFrame:
    return frame.assign(theta_now=theta, se_now=se if se is not None else np.nan, level="WARN")


def test_the_database_gives_this_tenants_rows_of_the_weeks_it_stored(risk_url):
    """Two schools with the same student ids: alpha stored five earlier weeks, beta two; each gets its own."""
    frame = absent_school(3)
    ids = frame["student_id"].astype(int).tolist()
    database = RiskDatabase(url=risk_url)
    with database.connect(PROJECT_DIR / "sql") as conn:
        store = ResultsStore(conn)
        for n, week in enumerate(EARLIER):
            store.replace_partition(week, "alpha", stored_results(frame, week, -0.1 * n, 0.2),
                                    _tenant_row(frame))
        for week in EARLIER[-2:]:
            store.replace_partition(week, "beta", stored_results(frame, week, 9.0, None), _tenant_row(frame))
        alpha_weeks, alpha = store.trajectory_rows("alpha", EARLIER, ids)
        beta_weeks, beta = store.trajectory_rows("beta", EARLIER, ids)
    assert alpha_weeks == EARLIER and beta_weeks == EARLIER[-2:]
    assert len(alpha) == 15 and sorted(set(alpha["theta_now"])) == [-0.4, -0.30000000000000004, -0.2, -0.1, 0.0]
    assert set(beta["theta_now"]) == {9.0} and beta["se_now"].isna().all() and len(beta) == 6


def _tenant_row(frame: pd.DataFrame) -> dict:
    return {"org_name": "School", "total_students": len(frame), "crit_count": 0, "warn_count": len(frame),
            "ok_count": 0, "ok_partial_count": 0, "insufficient_count": 0, "new_warn_or_crit": None,
            "profile": "legacy", "figures": {}, "generated_at": dt.datetime(2026, 11, 23, tzinfo=dt.UTC)}


def test_a_trajectory_holds_the_stored_weeks_and_this_week_and_gaps_elsewhere():
    frame = absent_school(2)
    ids = frame["student_id"].astype(int).tolist()
    result = trajectories(frame, WEEK, EARLIER[-2:], earlier_rows(ids, EARLIER[-2:]))
    assert result["weeks"][-1] == "2026-11-16" and len(result["weeks"]) == 6
    assert result["stored_weeks"] == [False, False, False, True, True, True]
    points = result["students"][str(ids[0])]
    assert points[:3] == [None, None, None]
    assert points[-1] == ["CRIT", 0.0, 0.25]
    levels = ("OK", "WARN", "CRIT")  # earlier_rows' cycle
    assert [p[0] for p in points[3:5]] == [levels[ids[0] % 3], levels[(1 + ids[0]) % 3]]


def test_readings_from_the_levels():
    def pts(*levels):
        return [None if level is None else [level, 0.0, 0.3] for level in levels]
    every_week = [True] * 6
    assert reading(pts(None, None, None, None, "OK", "WARN"), every_week) == NEW
    assert reading(pts(None, None, None, None, None, "WARN"), every_week) == NEW  # not counted the week before
    assert reading(pts(None, None, None, "WARN", "CRIT", "CRIT"), every_week) == PERSISTENT
    assert reading(pts(None, None, None, "WARN", "CRIT", "WARN"), every_week) == EASING
    assert reading(pts(None, None, None, None, None, "CRIT"), [False] * 5 + [True]) is None  # week before not stored
    assert reading(pts(None, None, None, "OK", "WARN", "CRIT"), every_week) is None  # flagged for two weeks only


def render(frame: pd.DataFrame, folder: Path, locale: str, trajectory: dict) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    summary = {"tenant": "t", "org_name": "School", "week": WEEK.isoformat(), "week_end": "2026-11-22",
               "timezone": "Asia/Seoul", "cutoff": "2026-11-22T15:00:00+00:00", "locale": locale,
               "profile": "legacy", "spec_version": "v1", "generated_at": "2026-11-23T00:00:00+00:00",
               **tenant_figures(frame, History(None, None), {}), "thresholds": Thresholds().model_dump(),
               "trajectories": trajectory}
    (folder / "s.json").write_text(json.dumps(summary), encoding="utf-8")
    (folder / "s.csv").write_bytes(to_csv_bytes(frame))
    output = render_report(TEMPLATE, {"summary_path": str(folder / "s.json"), "students_path": str(folder / "s.csv"),
                                      "brand_dir": str(TEMPLATE.parent)}, folder / "r.html", label="test",
                           engine="builtin", lang=locale)
    return output.read_text(encoding="utf-8")


def svg_of(html: str, student_id: int) -> str:
    row = re.search(rf'<tr data-student="{student_id}">(.*?)</tr>', html, flags=re.S)
    assert row is not None, f"no table row of student {student_id}"
    svg = re.search(r'<svg class="trajectory".*?</svg>', row.group(1), flags=re.S)
    assert svg is not None, f"no trajectory in the row of student {student_id}"
    return svg.group(0)


def test_every_flagged_student_has_six_weeks_of_marks_and_a_band_only_where_se_is_known(tmp_path):
    frame = absent_school(4)
    ids = frame["student_id"].astype(int).tolist()
    earlier = earlier_rows(ids, EARLIER)
    earlier.loc[earlier["week"] == EARLIER[0], "se_now"] = np.nan  # the oldest week without SE
    earlier = earlier.loc[~((earlier["week"] == EARLIER[2]) & (earlier["student_id"] == ids[0]))]  # one gap
    html = render(frame, tmp_path, "en", trajectories(frame, WEEK, EARLIER, earlier))
    assert 'id="trajectory-stored"' not in html  # all six weeks stored
    assert "<th>Last 6 weeks</th>" in html
    for sid in ids:
        svg = svg_of(html, sid)
        marks, gaps = svg.count('<g class="mark"'), svg.count('class="gap"')
        assert (marks, gaps) == ((5, 1) if sid == ids[0] else (6, 0)), sid
        assert svg.count('class="theta"') == marks
    first = svg_of(html, ids[0])
    # Weeks 2 and 4-6 have se; the gap at week 3 splits the band: a single-week bar, then a polygon of three.
    assert first.count('<rect class="se"') == 1 and first.count('<polygon class="se"') == 1
    assert "2026-10-26: no record" in first and "2026-11-16: Critical, θ 0.00" in first


@pytest.mark.parametrize("locale, label", [
    ("en", "Trajectories: 3 of the last 6 weeks are stored, so only those are shown."),
    ("ko", "추이: 최근 6주 가운데 3주의 결과가 저장되어 있어 그만큼만 표시합니다.")])
def test_a_school_with_fewer_stored_weeks_shows_what_exists_labelled(tmp_path, locale, label):
    frame = absent_school(2)
    ids = frame["student_id"].astype(int).tolist()
    html = render(frame, tmp_path, locale, trajectories(frame, WEEK, EARLIER[-2:], earlier_rows(ids, EARLIER[-2:])))
    assert f'<p class="muted" id="trajectory-stored">{label}</p>' in html
    svg = svg_of(html, ids[0])
    assert svg.count('<g class="mark"') == 3 and svg.count('class="gap"') == 3


def test_three_hundred_flagged_students_stay_under_two_megabytes(tmp_path):
    frame = absent_school(300)
    ids = frame["student_id"].astype(int).tolist()
    html = render(frame, tmp_path, "ko", trajectories(frame, WEEK, EARLIER, earlier_rows(ids, EARLIER)))
    size = len(html.encode("utf-8"))
    assert html.count('<svg class="trajectory"') == 300
    assert size < 2_000_000, size
    assert not re.search(r'(src|href)="(https?:)?//', html)  # still self-contained


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (`.ci/run` installs it)")
def test_trajectories_in_headless_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    frame = absent_school(12)
    ids = frame["student_id"].astype(int).tolist()
    earlier = earlier_rows(ids, EARLIER[1:], levels=("WARN", "CRIT", "OK", "CRIT", "OK_PARTIAL"))
    html_path = tmp_path / "r.html"
    render(frame, tmp_path, "ko", trajectories(frame, WEEK, EARLIER[1:], earlier))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(html_path.as_uri())
            page.wait_for_load_state("load")
            sparkline = page.locator("#risk-table svg.trajectory").first
            box = sparkline.bounding_box()
            assert box is not None and box["width"] == 132 and box["height"] == 40
            assert page.locator("#risk-table svg.trajectory").count() == 12
            assert page.locator("#trajectory-stored").is_visible()
            page.fill("#risk-search", "2026-10-19")  # in the charts' titles only: not what a reader searches
            assert page.locator("#risk-table tbody tr:not([hidden])").count() == 0
            page.fill("#risk-search", "학생 003")
            assert page.locator("#risk-table tbody tr:not([hidden])").count() == 1
            page.fill("#risk-search", "")
            top = page.evaluate("document.querySelector('#risk-at-risk, #trajectory-stored')"
                                ".getBoundingClientRect().top + window.scrollY")
            page.screenshot(path=str(SCREENSHOTS / "report-trajectories.png"), full_page=True,
                            clip={"x": 0, "y": max(top - 70, 0), "width": 1200, "height": 700})
            page.emulate_media(media="print")
            assert page.locator("#risk-table svg.trajectory").first.bounding_box()["width"] == 132
        finally:
            browser.close()
    assert (SCREENSHOTS / "report-trajectories.png").stat().st_size > 10_000
