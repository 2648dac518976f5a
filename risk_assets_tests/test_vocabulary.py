"""One vocabulary: the R engine's generated copy is current, and every word has its wording in each language."""

import json

import pytest

from risk_assets.report.reasons import EXPLAIN
from risk_assets.report.strings import STRINGS
from risk_assets.settings import PROJECT_DIR
from risk_assets.vocabulary import (
    ALL_DOMAINS,
    ANNOTATIONS,
    FLAG_FAMILIES,
    REPORT_LEVELS,
    STATUSES,
    STUDENT_COLUMNS,
    Reason,
    flag_family,
    is_flag,
    vocabulary_document,
)


def test_r_vocabulary_is_generated_from_the_module():
    committed = json.loads((PROJECT_DIR / "r" / "vocabulary.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(vocabulary_document())), (
        "r/vocabulary.json is stale: run `python -m risk_assets.vocabulary > r/vocabulary.json`")


def test_flag_families():
    assert FLAG_FAMILIES == ("THETA_DROP_7D", "THETA_DROP_14D", "THETA_DECLINE_3WK", "OMIT", "GUESS",
                             "ABSENCE_WEEK", "ABSENCE_2WK", "ABSENCE_STREAK", "RAPID_GUESS")
    assert flag_family(Reason.ABSENCE_2WK_WARN) == "ABSENCE_2WK"
    assert not is_flag(Reason.NO_ACTIVITY_14D) and not is_flag(Reason.INSUFF_OMIT_FEW_ITEMS)
    assert not is_flag(Reason.THETA_DROP_WITH_DISENGAGEMENT)  # an annotation of a θ flag, not a flag itself
    assert set(EXPLAIN) == set(FLAG_FAMILIES)


@pytest.mark.parametrize("language", sorted(STRINGS))
def test_every_word_has_its_wording(language):
    words = STRINGS[language]
    assert set(words["levels"]) == set(REPORT_LEVELS)
    assert set(words["statuses"]) == set(STATUSES)
    assert set(words["reasons"]) == set(FLAG_FAMILIES)
    assert set(words["annotations"]) == set(ANNOTATIONS)
    assert set(words["domains"]) == set(ALL_DOMAINS)


def test_student_columns():
    assert STUDENT_COLUMNS[:6] == ["student_id", "display_name", "class_name", "level", "coverage", "reason_codes"]
    assert len(STUDENT_COLUMNS) == len(set(STUDENT_COLUMNS)) == 37
    assert STUDENT_COLUMNS[-4:] == ["engagement_status", "n_timed", "n_rapid", "rg_rate"]
