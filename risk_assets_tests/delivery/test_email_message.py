"""The report e-mail as built: headers, the figures in both bodies, the attachment, student names only on request."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest

from risk_assets.config.tenants import EmailDelivery
from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.delivery.email import MAX_NAMED_STUDENTS, build_email
from risk_assets_tests.delivery.email_samples import (
    NYC_SUBJECT,
    REPORT_BYTES,
    SEOUL_SUBJECT,
    body_text,
    nyc_summary,
    seoul_summary,
    students_frame,
    write_delivery,
)

RECIPIENTS = EmailDelivery(to=["principal@seoul.example.kr", "vice@seoul.example.kr"], cc=["office@seoul.example.kr"],
                           bcc=["audit@platform.example"])
SENDER = "Risk reports <reports@school.example>"


@pytest.fixture
def seoul(tmp_path: Path) -> ReportDelivery:
    return write_delivery(tmp_path, seoul_summary())


def bodies(message: EmailMessage) -> tuple[str, str]:
    return body_text(message, "plain"), body_text(message, "html")


def test_headers(seoul: ReportDelivery) -> None:
    message = build_email(seoul, RECIPIENTS, SENDER)
    assert message["Subject"] == SEOUL_SUBJECT
    assert message["From"] == SENDER
    assert message["To"] == "principal@seoul.example.kr, vice@seoul.example.kr"
    assert message["Cc"] == "office@seoul.example.kr"
    assert message["Bcc"] is None
    assert b"audit@platform.example" not in message.as_bytes()
    assert message["Message-ID"].endswith("@school.example>")
    assert message["Date"] is not None


def test_message_is_seven_bit_clean(seoul: ReportDelivery) -> None:
    """Korean headers are RFC 2047 encoded and every part base64: no server can mangle them."""
    message = build_email(seoul, RECIPIENTS, SENDER, include_student_names=True, students=students_frame())
    message.as_bytes().decode("ascii")
    assert "=?utf-8?" in message.as_string()


def test_english_subject(tmp_path: Path) -> None:
    message = build_email(write_delivery(tmp_path, nyc_summary()), RECIPIENTS, SENDER)
    assert message["Subject"] == NYC_SUBJECT


def test_no_cc_header_without_cc(seoul: ReportDelivery) -> None:
    message = build_email(seoul, EmailDelivery(to=["principal@seoul.example.kr"]), SENDER)
    assert message["Cc"] is None


def test_bodies_show_every_level_and_the_week_over_week(seoul: ReportDelivery) -> None:
    text, html = bodies(build_email(seoul, RECIPIENTS, SENDER))
    for line in ["위험: 147 (49.0%)", "주의: 78 (26.0%)", "정상: 72 (24.0%)", "정상(부분): 3 (1.0%)",
                 "데이터 부족: 0 (0.0%)", "새로 주의 이상: 79", "해소됨: 59", "3주 연속 주의 이상: 97",
                 "전체 보고서는 첨부 파일 seoul-central_report.html에 있습니다. 웹 브라우저로 열어 보세요."]:
        assert line in text.splitlines()
    for cell in ['data-level="CRIT"', ">147<", ">49.0%<", 'data-level="WARN"', ">78<", ">26.0%<", ">79<", ">97<",
                 "seoul-central_report.html"]:
        assert cell in html


def test_english_bodies(tmp_path: Path) -> None:
    text, html = bodies(build_email(write_delivery(tmp_path, nyc_summary()), RECIPIENTS, SENDER))
    assert "Critical: 136 (45.3%)" in text.splitlines()
    assert "New warning or critical: 66" in text.splitlines()
    assert "The full report is attached as nyc-bridge_report.html; open it in a web browser." in text.splitlines()
    assert ">136<" in html and ">Compared with last week<" in html


@pytest.mark.parametrize(("make_summary", "line", "cell"), [
    (seoul_summary, "빠른 추측(성의 없는 응답): 위험 12명 · 주의 5명 (능력치 하락과 겹침 9명)",
     "<strong>빠른 추측(성의 없는 응답)</strong>: 위험 12명 · 주의 5명 (능력치 하락과 겹침 9명)"),
    (nyc_summary, "Rapid guessing: 12 critical · 5 warning (9 with an ability drop)",
     "<strong>Rapid guessing</strong>: 12 critical · 5 warning (9 with an ability drop)")])
def test_rapid_guessing_is_counted_when_the_engagement_domain_is_on(tmp_path: Path, make_summary, line: str,
                                                                    cell: str) -> None:
    off = bodies(build_email(write_delivery(tmp_path, make_summary()), RECIPIENTS, SENDER))
    assert 'id="engagement"' not in off[1] and "12 critical" not in off[0] and "위험 12명" not in off[0]
    summary = make_summary()
    summary["domains"]["engagement"] = {"WARN": 5, "CRIT": 12, "INSUFFICIENT": 40}
    summary["annotations"] = {"THETA_DROP_WITH_DISENGAGEMENT": 9}
    text, html = bodies(build_email(write_delivery(tmp_path, summary), RECIPIENTS, SENDER))
    assert line in text.splitlines()
    assert cell in html


def test_html_is_email_safe(seoul: ReportDelivery) -> None:
    _, html = bodies(build_email(seoul, RECIPIENTS, SENDER, include_student_names=True, students=students_frame()))
    for forbidden in ("<style", "<link", "<img", "<script", "src=", "href=", "http:", "https:", "class="):
        assert forbidden not in html
    assert '<table role="presentation"' in html


@pytest.mark.parametrize(("make_summary", "expected"),
                         [(seoul_summary, "비교 불가"), (nyc_summary, "not available")])
def test_week_over_week_not_available(tmp_path: Path, make_summary, expected: str) -> None:
    summary = make_summary()
    summary["week_over_week"] = {"available": False}
    text, html = bodies(build_email(write_delivery(tmp_path, summary), RECIPIENTS, SENDER))
    assert expected in text and expected in html
    for label in ("새로 주의 이상", "해소됨", "New warning or critical", "Resolved"):
        assert label not in text and label not in html


def test_persistent_not_available_before_the_third_week(seoul: ReportDelivery, tmp_path: Path) -> None:
    summary = seoul_summary()
    summary["week_over_week"].update(persistent_available=False, persistent=None)
    text, html = bodies(build_email(write_delivery(tmp_path, summary), RECIPIENTS, SENDER))
    assert "3주 연속 주의 이상: 비교 불가" in text.splitlines()
    assert "새로 주의 이상: 79" in text.splitlines()


def test_attachment_is_the_report(seoul: ReportDelivery) -> None:
    [attachment] = build_email(seoul, RECIPIENTS, SENDER).iter_attachments()
    assert attachment.get_filename() == "seoul-central_report.html"
    assert (attachment.get_content_maintype(), attachment.get_content_subtype()) == ("text", "html")
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_payload(decode=True) == REPORT_BYTES


def test_no_student_names_by_default(seoul: ReportDelivery) -> None:
    text, html = bodies(build_email(seoul, RECIPIENTS, SENDER, students=students_frame()))
    for name in students_frame()["display_name"]:
        assert name not in text and name not in html
    assert "Kim &amp; Lee" not in html


def test_critical_students_named_on_request(seoul: ReportDelivery) -> None:
    text, html = bodies(build_email(seoul, RECIPIENTS, SENDER, include_student_names=True, students=students_frame()))
    # Ordered by class, then name; only CRIT students.
    assert "- <b>Kim & Lee</b> (1학년 2반)\n- 유예서 (2학년 1반)\n" in text
    assert "<li style=\"margin:0 0 2px 0;\">&lt;b&gt;Kim &amp; Lee&lt;/b&gt; (1학년 2반)</li>" in html
    assert "<b>Kim" not in html
    assert "유예서 (2학년 1반)" in html
    assert "김수민" not in text + html and "김유준" not in text + html
    assert "학생 이름이 포함된 메일입니다. 외부로 전달하지 마세요." in text


def test_long_name_lists_are_cut(seoul: ReportDelivery) -> None:
    crit = pd.DataFrame({"display_name": [f"학생{i:02d}" for i in range(MAX_NAMED_STUDENTS + 5)],
                         "class_name": "1학년 1반", "level": "CRIT"})
    text, html = bodies(build_email(seoul, RECIPIENTS, SENDER, include_student_names=True, students=crit))
    assert f"학생{MAX_NAMED_STUDENTS - 1:02d}" in text and f"학생{MAX_NAMED_STUDENTS:02d}" not in text
    assert "외 5명" in text.splitlines() and "외 5명" in html


def test_no_critical_student_to_name(seoul: ReportDelivery) -> None:
    calm = students_frame().assign(level="OK")
    text, _ = bodies(build_email(seoul, RECIPIENTS, SENDER, include_student_names=True, students=calm))
    assert "이번 주 위험 수준인 학생이 없습니다." in text.splitlines()


def test_names_requested_without_a_students_table(seoul: ReportDelivery) -> None:
    with pytest.raises(DeliveryError, match="include_student_names is on but no students table"):
        build_email(seoul, RECIPIENTS, SENDER, include_student_names=True)


def test_students_table_without_names(seoul: ReportDelivery) -> None:
    with pytest.raises(DeliveryError, match="lacks the column\\(s\\) display_name"):
        build_email(seoul, RECIPIENTS, SENDER, include_student_names=True,
                    students=students_frame().drop(columns="display_name"))


def test_summary_without_figures(tmp_path: Path) -> None:
    summary = seoul_summary()
    del summary["levels"]["WARN"]
    expected = "the summary of tenant 'seoul-central' week 2026-11-16 has no field 'WARN'"
    with pytest.raises(DeliveryError, match=expected):
        build_email(write_delivery(tmp_path, summary), RECIPIENTS, SENDER)
