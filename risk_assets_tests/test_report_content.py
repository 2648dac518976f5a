"""Report content without a database: plain-language reasons, unreliable flags, empty and all-insufficient weeks,
the at-risk table's order."""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd

from risk_assets.config import Thresholds
from risk_assets.metrics import compute_metrics
from risk_assets.metrics.student_table import to_csv_bytes
from risk_assets.rendering import render_report
from risk_assets.report.brand import load_brand
from risk_assets.report.document import WeeklyReport
from risk_assets.report.reasons import annotation_texts, explain
from risk_assets.report.strings import STRINGS
from risk_assets.settings import DEFAULT_REPORT_TEMPLATE as TEMPLATE
from risk_assets.settings import PROJECT_DIR
from risk_assets.summary.figures import History, tenant_figures
from risk_assets_tests.metrics.builder import SnapshotBuilder, weekdays

DEFAULT_THRESHOLDS = Thresholds()  # frozen, so one shared default is safe
THRESHOLDS = DEFAULT_THRESHOLDS.model_dump()


def row(**values) -> dict:
    base = {"reason_codes": "", "delta_7d": math.nan, "z_7d": math.nan, "delta_14d": math.nan, "z_14d": math.nan,
            "omit_rate": math.nan, "n_omitted": 0, "n_presented": 0, "c_hat": math.nan, "c_hat_z": math.nan,
            "absent_week": 0, "sched_week": 0, "absent_2wk": 0, "sched_2wk": 0, "max_streak": 0}
    return {**base, **values}


def texts(student: dict, locale: str) -> list[tuple[str, bool]]:
    return [(r.text, r.unreliable) for r in explain(student, THRESHOLDS, STRINGS[locale]["reasons"])]


def test_theta_reason_in_both_languages_with_the_numbers():
    student = row(reason_codes="THETA_DROP_14D_CRIT", delta_14d=-0.6213, z_14d=-2.0871)
    assert texts(student, "ko") == [("2주간 능력치 0.62 하락 (z = \u22122.1)", False)]
    assert texts(student, "en") == [("Ability fell 0.62 over 2 weeks (z = \u22122.1)", False)]


def test_flags_inside_measurement_error_are_marked_unreliable():
    student = row(reason_codes="GUESS_WARN;THETA_DROP_7D_WARN", delta_7d=-0.2, z_7d=-0.47, c_hat=0.33, c_hat_z=1.2)
    assert texts(student, "en") == [("Guessing tendency ĉ = 0.33 (z = 1.2)", True),
                                    ("Ability fell 0.20 over 1 week (z = \u22120.5)", True)]


def test_other_reasons_and_informational_codes():
    student = row(reason_codes="ABSENCE_2WK_CRIT;ABSENCE_STREAK_CRIT;ABSENCE_WEEK_CRIT;INSUFF_GUESS_FEW_ITEMS;"
                               "NO_ACTIVITY_14D;OMIT_WARN;THETA_DECLINE_3WK",
                  absent_week=3, sched_week=5, absent_2wk=5, sched_2wk=10, max_streak=5,
                  omit_rate=2 / 25, n_omitted=2, n_presented=25)
    assert [t for t, _ in texts(student, "ko")] == [
        "2주간 5/10일 결석", "5일 연속 결석", "이번 주 3/5일 결석", "무응답 8% (2/25문항)", "3주 연속 능력치 하락",
    ]


def test_rapid_guessing_reason_and_the_annotation_in_both_languages():
    student = row(reason_codes="RAPID_GUESS_CRIT;THETA_DROP_7D_CRIT;THETA_DROP_WITH_DISENGAGEMENT", delta_7d=-0.5,
                  z_7d=-1.77, rg_rate=0.5, n_rapid=10, n_timed=20)
    assert texts(student, "ko") == [("빠른 추측 응답 50% (10/20문항)", False),
                                    ("1주간 능력치 0.50 하락 (z = \u22121.8)", False)]
    assert texts(student, "en")[0] == ("Rapid guesses on 50% of answers (10/20)", False)
    assert annotation_texts(student, STRINGS["en"]["annotations"]) == [
        "The ability drop came with omitted items or rapid guessing: it may be effort rather than learning"]
    assert annotation_texts(row(reason_codes="THETA_DROP_7D_CRIT"), STRINGS["en"]["annotations"]) == []


def test_the_report_explains_engagement_only_when_it_is_on(tmp_path):
    on = Thresholds.from_mapping({"engagement": {"enabled": True}})
    html = render(engagement_builder(), tmp_path / "on", "en", on)
    assert 'id="method-engagement">The rapid-guessing domain is on, so students are assessed in five domains.' in html
    assert ">Rapid guessing<" in html  # a row of the domain chart
    assert '<li class="annotation">The ability drop came with omitted items or rapid guessing' in html
    assert "Rapid guesses on 50% of answers (10/20)" in html
    html = render(engagement_builder(), tmp_path / "off", "ko")
    assert 'id="method-engagement"' not in html and "빠른 추측" not in html and 'class="annotation"' not in html


def engagement_builder() -> SnapshotBuilder:
    """One student whose θ fell while half the answers were rapid guesses."""
    from risk_assets_tests.metrics.engagement_cases import answers, rapid_student, theta_drop

    builder = SnapshotBuilder()
    theta_drop(builder, rapid_student(builder, "guesser", answers(10, 1000) + answers(10, 15000)))
    return builder


def render(builder: SnapshotBuilder, tmp_path, locale: str, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    frame = compute_metrics(builder.build(), thresholds)
    summary = {"tenant": "t", "org_name": "Test <School>", "week": "2026-11-16", "week_end": "2026-11-22",
               "timezone": "Asia/Seoul", "cutoff": "2026-11-22T15:00:00+00:00", "locale": locale,
               "profile": "legacy", "spec_version": "v1", "generated_at": dt.datetime.now(dt.UTC).isoformat(),
               **tenant_figures(frame, History(None, None), {}), "thresholds": thresholds.model_dump()}
    (tmp_path / "s.json").write_text(json.dumps(summary), encoding="utf-8")
    (tmp_path / "s.csv").write_bytes(to_csv_bytes(frame))
    output = render_report(TEMPLATE, {"summary_path": str(tmp_path / "s.json"),
                                      "students_path": str(tmp_path / "s.csv"), "brand_dir": str(TEMPLATE.parent)},
                           tmp_path / "r.html", label="test", engine="builtin", lang=locale)
    return output.read_text(encoding="utf-8")


def test_all_insufficient_week_says_so(tmp_path):
    builder = SnapshotBuilder()
    builder.calendar(weekdays(dt.date(2026, 10, 26), dt.date(2026, 11, 20)))
    for _ in range(3):
        builder.student()
    html = render(builder, tmp_path, "en")
    assert '<p class="notice" id="all-insufficient">This week every student has too little data' in html
    assert 'id="no-flagged">No student is at warning level or above this week.' in html
    assert "Test &lt;School&gt;" in html
    assert 'id="wow-unavailable"' in html


def test_empty_tenant_renders(tmp_path):
    html = render(SnapshotBuilder(), tmp_path, "ko")
    assert '<div class="value">0</div>' in html and "이번 주 주의 이상인 학생이 없습니다." in html
    assert "all-insufficient" not in html



def test_the_at_risk_table_orders_by_level_newness_domains_then_the_strongest_evidence():
    """CRIT before WARN, new this week first, more flagged domains first, then the measure that goes furthest past
    its CRIT threshold (as a ratio to it; a student with no measured value counts 0), then the student id."""
    delta_crit = DEFAULT_THRESHOLDS.theta.delta_14d_crit
    students = pd.DataFrame([
        {"student_id": 1, "level": "WARN", **row(delta_14d=delta_crit * 3)},
        {"student_id": 2, "level": "CRIT", **row(delta_14d=delta_crit * 1.5)},  # 1.5
        {"student_id": 3, "level": "CRIT", **row(omit_rate=DEFAULT_THRESHOLDS.omit.crit_pct / 40)},  # 2.5
        {"student_id": 4, "level": "CRIT", **row()},  # two flagged domains
        {"student_id": 5, "level": "CRIT", **row(absent_2wk=3, sched_2wk=0, max_streak=5)},  # no rate; streak 1.0
        {"student_id": 6, "level": "CRIT", **row()},  # new this week
        {"student_id": 7, "level": "OK", **row(delta_14d=delta_crit * 9)},  # not flagged
        {"student_id": 8, "level": "CRIT", **row(c_hat=DEFAULT_THRESHOLDS.guess.crit * 2)},  # 2.0
        {"student_id": 9, "level": "CRIT", **row(c_hat=DEFAULT_THRESHOLDS.guess.crit * 2)},  # 2.0: by id
        {"student_id": 10, "level": "CRIT", **row(max_streak=math.nan)},  # no measured value: 0
        {"student_id": 11, "level": "CRIT", **row(delta_14d=-delta_crit)},  # θ rose: -1.0, after no value
    ])
    for domain in ("theta", "omit", "guess", "attendance"):
        students[f"{domain}_status"] = "OK"
    students["theta_status"] = students["level"]
    students.loc[students["student_id"] == 4, "omit_status"] = "CRIT"
    students["rg_rate"] = math.nan
    summary = {"locale": "en", "thresholds": THRESHOLDS, "new_student_ids": [6]}
    report = WeeklyReport(summary, students, load_brand(PROJECT_DIR / "quarto"), PROJECT_DIR / "quarto" / "templates")

    ordered = report._flagged_in_default_order()

    assert ordered["student_id"].tolist() == [6, 4, 3, 8, 9, 2, 5, 10, 11, 1]
    assert ordered["_domains"].tolist() == [1, 2, 1, 1, 1, 1, 1, 1, 1, 1]
