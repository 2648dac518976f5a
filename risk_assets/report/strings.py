"""Every word the report shows, one dictionary per language."""

from __future__ import annotations

from typing import Any

# Values are text, or mappings of text (a code → its words): Any, so that a lookup is the str or dict it holds.
KO: dict[str, Any] = {
    "title": "주간 학생 위험 보고서",
    "week": "보고 주간",
    "generated": "생성(자료 기준)",
    "profile": "기준 프로파일",
    "profile_names": {"legacy": "legacy (기존 기준)", "reliable": "reliable (측정 오차 반영)"},
    "students": "전체 학생",
    "levels": {"CRIT": "위험", "WARN": "주의", "OK": "정상", "OK_PARTIAL": "정상(부분)",
               "INSUFFICIENT_DATA": "데이터 부족"},
    "statuses": {"CRIT": "위험", "WARN": "주의", "OK": "정상", "INSUFFICIENT": "판단 불가"},
    "domains": {"theta": "능력치 변화", "omit": "무응답", "guess": "추측 응답", "attendance": "출결",
                "engagement": "빠른 추측(성의 없는 응답)"},
    "wow_title": "지난주 대비",
    "wow_unavailable": "지난주 결과가 저장되어 있지 않아 비교할 수 없습니다.",
    "new": "새로 주의 이상",
    "resolved": "해소됨",
    "persistent": "3주 연속 주의 이상",
    "not_available": "비교 불가",
    "change_vs_last_week": "지난주 대비 {sign}{n}명",
    "domains_title": "영역별 판정",
    "delta_title": "2주간 능력치 변화(Δθ₁₄) 분포",
    "delta_summary": "중앙값 {median}, 사분위 범위 {q1} ~ {q3} (n = {n})",
    "delta_none": "2주간 능력치 변화를 계산할 수 있는 학생이 없습니다.",
    "table_title": "주의가 필요한 학생",
    "search": "이름, 반, 사유로 검색…",
    "shown": "{n}명 표시",
    "col_student": "학생",
    "col_class": "반",
    "col_level": "수준",
    "col_new": "새로움",
    "col_domains": "영역 수",
    "col_reasons": "사유",
    "col_trajectory": "최근 {n}주 추이",
    "trajectory_week": "{week}: {level}, θ {theta}",
    "trajectory_missing": "{week}: 기록 없음",
    "trajectory_stored": "추이: 최근 {n}주 가운데 {stored}주의 결과가 저장되어 있어 그만큼만 표시합니다.",
    "trajectory_legend": "선은 주별 능력치(θ), 음영은 ±1 표준오차, 아래 표시는 주별 수준(■ 위험, ▲ 주의, ● 정상, "
                         "○ 정상(부분), – 데이터 부족, · 기록 없음)입니다.",
    "readings": {"new": "새로", "persistent": "지속", "easing": "완화"},
    "new_badge": "새로",
    "no_flagged": "이번 주 주의 이상인 학생이 없습니다.",
    "all_insufficient": "이번 주에는 모든 학생의 데이터가 부족하여 위험 수준을 판단할 수 없습니다. "
                        "학습 활동과 출결 기록이 수집되고 있는지 확인해 주세요.",
    "unreliable": "측정 오차 범위 안의 변화",
    "classes_title": "반별 현황",
    "classes_note": "10명 미만의 칸은 개인 식별을 막기 위해 “<10”으로 표시합니다.",
    "quality_title": "데이터 품질",
    "quality_none": "이번 주 원천 데이터에서 문제가 발견되지 않았습니다.",
    "quality": {
        "presentations_unknown_outcome": "알 수 없는 응답 결과 값(제외)",
        "presentations_outcome_normalised": "대소문자·공백이 정리된 응답 결과 값",
        "presentations_negative_response_time": "음수 응답 시간(비움)",
        "presentations_unknown_item": "문항 정보가 없는 응답",
        "presentations_unusable_item_params": "문항 모수가 잘못된 응답",
        "items_unusable_params": "문항 모수가 잘못된 문항",
        "presentations_invalid_item_c": "추측 모수 c가 0~1 밖인 문항의 응답(c 비움)",
        "items_invalid_c": "추측 모수 c가 0~1 밖인 문항(c 비움)",
        "theta_not_finite": "값이 없는 능력치 추정(제외)",
        "theta_out_of_range": "범위를 벗어난 능력치 추정(제외)",
        "theta_invalid_se": "표준오차가 잘못된 능력치 추정",
        "theta_conflicting_same_instant": "같은 시각의 다른 값에 밀린 능력치 추정(번호가 큰 추정 사용)",
        "attendance_status_normalised": "대소문자·공백이 정리된 출결 값",
        "attendance_unknown_status": "알 수 없는 출결 값(기록 없음으로 처리)",
        "attendance_not_school_day": "수업일이 아닌 날의 출결 기록(반영 안 함)",
        "students_id_used_by_another_org": "다른 기관과 학생 번호가 겹치는 학생(제외)",
        "presentations_duplicate_id": "중복된 응답 기록(한 번만 셈)",
        "theta_duplicate_id": "중복된 능력치 추정(한 번만 셈)",
    },
    "method_title": "방법론과 기준값",
    "method_intro": "각 학생을 네 영역(능력치 변화, 무응답, 추측 응답, 출결)에서 판정합니다. 한 영역이라도 "
                    "위험이면 위험, 아니면 주의가 하나라도 있으면 주의입니다. 기준 주간은 학교 시간대로 "
                    "월요일 0시부터 다음 월요일 0시까지입니다.",
    "overrides": "프로파일과 다른 설정",
    "no_overrides": "없음 (프로파일 기본값 그대로)",
    "method_key": "설정",
    "method_value": "값",
    "spec_version": "지표 명세 버전",
    "reasons": {
        "THETA_DROP_7D": "1주간 능력치 {delta} 하락 (z = {z})",
        "THETA_DROP_14D": "2주간 능력치 {delta} 하락 (z = {z})",
        "THETA_DECLINE_3WK": "3주 연속 능력치 하락",
        "OMIT": "무응답 {rate} ({omitted}/{presented}문항)",
        "GUESS": "추측 응답 경향 ĉ = {c} (z = {z})",
        "ABSENCE_WEEK": "이번 주 {absent}/{scheduled}일 결석",
        "ABSENCE_2WK": "2주간 {absent}/{scheduled}일 결석",
        "ABSENCE_STREAK": "{days}일 연속 결석",
        "RAPID_GUESS": "빠른 추측 응답 {rate} ({rapid}/{timed}문항)",
    },
    "annotations": {
        "THETA_DROP_WITH_DISENGAGEMENT": "능력치 하락과 함께 무응답·빠른 추측이 나타남: "
                                         "실력 저하보다 학습 참여 문제일 수 있음",
    },
    "engagement_counts": "위험 {crit}명 · 주의 {warn}명 (능력치 하락과 겹침 {drops}명)",
    "method_engagement": "빠른 추측 영역도 켜져 있어 다섯 영역으로 판정합니다. 문항을 읽을 수 없을 만큼 빨리 한 "
                         "응답을 빠른 추측으로 봅니다. 기준 시간은 문항마다 지난 90일 동안 이 학교 학생들의 평균 "
                         "응답 시간의 10%(최대 10초)이며, 응답이 50개 미만인 문항은 3초입니다. 시간이 기록된 응답 "
                         "중 빠른 추측이 10% 이상이면 주의, 30% 이상이면 위험이고, 20문항 미만이면 판단하지 "
                         "않습니다. 능력치 하락이 무응답이나 빠른 추측과 함께 나타나면 따로 표시합니다.",
}

EN: dict[str, Any] = {
    "title": "Weekly student risk report",
    "week": "Report week",
    "generated": "Generated (data as of)",
    "profile": "Threshold profile",
    "profile_names": {"legacy": "legacy (previous rules)", "reliable": "reliable (measurement-error gates)"},
    "students": "Students",
    "levels": {"CRIT": "Critical", "WARN": "Warning", "OK": "OK", "OK_PARTIAL": "OK (partial)",
               "INSUFFICIENT_DATA": "Insufficient data"},
    "statuses": {"CRIT": "Critical", "WARN": "Warning", "OK": "OK", "INSUFFICIENT": "Not evaluated"},
    "domains": {"theta": "Ability change", "omit": "Omitted items", "guess": "Guessing", "attendance": "Attendance",
                "engagement": "Rapid guessing"},
    "wow_title": "Compared with last week",
    "wow_unavailable": "Last week's results are not stored, so no comparison is possible.",
    "new": "New warning or critical",
    "resolved": "Resolved",
    "persistent": "Flagged 3 weeks in a row",
    "not_available": "not available",
    "change_vs_last_week": "{sign}{n} vs last week",
    "domains_title": "Status by domain",
    "delta_title": "Ability change over 2 weeks (Δθ₁₄)",
    "delta_summary": "median {median}, interquartile range {q1} to {q3} (n = {n})",
    "delta_none": "No student has a 2-week ability change this week.",
    "table_title": "Students who need attention",
    "search": "Search name, class or reason…",
    "shown": "{n} shown",
    "col_student": "Student",
    "col_class": "Class",
    "col_level": "Level",
    "col_new": "New",
    "col_domains": "Domains",
    "col_reasons": "Reasons",
    "col_trajectory": "Last {n} weeks",
    "trajectory_week": "{week}: {level}, θ {theta}",
    "trajectory_missing": "{week}: no record",
    "trajectory_stored": "Trajectories: {stored} of the last {n} weeks are stored, so only those are shown.",
    "trajectory_legend": "The line is ability (θ) per week, the shading ±1 standard error, the marks below the "
                         "level per week (■ critical, ▲ warning, ● OK, ○ OK (partial), – insufficient data, "
                         "· no record).",
    "readings": {"new": "new", "persistent": "persistent", "easing": "easing"},
    "new_badge": "new",
    "no_flagged": "No student is at warning level or above this week.",
    "all_insufficient": "This week every student has too little data for a risk level. "
                        "Please check that practice and attendance records are being collected.",
    "unreliable": "within measurement error",
    "classes_title": "Classes",
    "classes_note": "Cells with fewer than 10 students are shown as “<10” to protect privacy.",
    "quality_title": "Data quality",
    "quality_none": "No problems were found in this week's source data.",
    "quality": {
        "presentations_unknown_outcome": "responses with an unknown outcome (left out)",
        "presentations_outcome_normalised": "outcomes with stray case or spaces (tidied)",
        "presentations_negative_response_time": "negative response times (blanked)",
        "presentations_unknown_item": "responses to items missing from the item bank",
        "presentations_unusable_item_params": "responses to items with unusable parameters",
        "items_unusable_params": "items with unusable parameters",
        "presentations_invalid_item_c": "responses to items whose guessing parameter c is outside 0–1 (c blanked)",
        "items_invalid_c": "items whose guessing parameter c is outside 0–1 (c blanked)",
        "theta_not_finite": "ability estimates without a value (left out)",
        "theta_out_of_range": "ability estimates outside the plausible range (left out)",
        "theta_invalid_se": "ability estimates with an invalid standard error",
        "theta_conflicting_same_instant": "ability estimates overruled by a different value at the same instant "
                                          "(the larger id used)",
        "attendance_status_normalised": "attendance values with stray case or spaces (tidied)",
        "attendance_unknown_status": "unknown attendance values (treated as no record)",
        "attendance_not_school_day": "attendance records on days that are not school days (ignored)",
        "students_id_used_by_another_org": "students whose id another organisation also uses (left out)",
        "presentations_duplicate_id": "duplicate response rows (counted once)",
        "theta_duplicate_id": "duplicate ability estimates (counted once)",
    },
    "method_title": "Method and thresholds",
    "method_intro": "Each student is assessed in four domains (ability change, omitted items, guessing, "
                    "attendance). One critical domain makes the student critical; otherwise one warning makes "
                    "the student a warning. The week runs from Monday 00:00 to the next Monday 00:00 in the "
                    "school's time zone.",
    "overrides": "Settings that differ from the profile",
    "no_overrides": "none (the profile's defaults)",
    "method_key": "Setting",
    "method_value": "Value",
    "spec_version": "Metrics specification",
    "reasons": {
        "THETA_DROP_7D": "Ability fell {delta} over 1 week (z = {z})",
        "THETA_DROP_14D": "Ability fell {delta} over 2 weeks (z = {z})",
        "THETA_DECLINE_3WK": "Ability fell 3 weeks in a row",
        "OMIT": "Skipped {rate} of items ({omitted}/{presented})",
        "GUESS": "Guessing tendency ĉ = {c} (z = {z})",
        "ABSENCE_WEEK": "Absent {absent} of {scheduled} school days this week",
        "ABSENCE_2WK": "Absent {absent} of {scheduled} school days in 2 weeks",
        "ABSENCE_STREAK": "Absent {days} school days in a row",
        "RAPID_GUESS": "Rapid guesses on {rate} of answers ({rapid}/{timed})",
    },
    "annotations": {
        "THETA_DROP_WITH_DISENGAGEMENT": "The ability drop came with omitted items or rapid guessing: it may be "
                                         "effort rather than learning",
    },
    "engagement_counts": "{crit} critical · {warn} warning ({drops} with an ability drop)",
    "method_engagement": "The rapid-guessing domain is on, so students are assessed in five domains. An answer "
                         "given faster than anyone could read the item is a rapid guess. The time limit is set per "
                         "item: 10 % of this school's mean response time to it over the last 90 days (at most 10 "
                         "seconds), or 3 seconds for an item answered fewer than 50 times. Rapid guesses on 10 % of "
                         "a student's timed answers mean warning, 30 % critical; under 20 timed answers the domain "
                         "is not evaluated. An ability drop that comes with omitted items or rapid guessing is "
                         "marked as such.",
}

STRINGS: dict[str, dict[str, Any]] = {"ko": KO, "en": EN}
