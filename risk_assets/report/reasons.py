"""Reason codes in plain language, with the numbers behind them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from risk_assets.vocabulary import ANNOTATIONS, flag_family, is_flag

MINUS = "\u2212"


@dataclass(frozen=True)
class Explanation:
    code: str
    text: str
    unreliable: bool  # a legacy flag the z gate would not have passed


def signed(value: float, digits: int = 1) -> str:
    """A number with a typographic minus; '—' when missing."""
    if _missing(value):
        return "—"
    return f"{value:.{digits}f}".replace("-", MINUS)


def percent(value: float) -> str:
    return f"{100 * value:.1f}%".replace(".0%", "%")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _theta(horizon: str):
    def explain_drop(row: Mapping, words: Mapping[str, str], thresholds: Mapping) -> tuple[str, bool]:
        delta, z = row[f"delta_{horizon}"], row[f"z_{horizon}"]
        text = words[f"THETA_DROP_{horizon.upper()}"].format(delta=f"{abs(delta):.2f}", z=signed(z))
        return text, _missing(z) or z > thresholds["theta"]["z_max"]
    return explain_drop


def _guess(row: Mapping, words: Mapping[str, str], thresholds: Mapping) -> tuple[str, bool]:
    z = row["c_hat_z"]
    text = words["GUESS"].format(c=f"{row['c_hat']:.2f}", z=signed(z))
    return text, _missing(z) or z < thresholds["guess"]["z_min"]


def _plain(format_words):
    """A family whose wording has no reliability caveat."""
    return lambda row, words, thresholds: (format_words(row, words), False)


# One plain-language explanation per flag family (vocabulary.FLAG_FAMILIES); a test keeps the two in step.
EXPLAIN = {
    "THETA_DROP_7D": _theta("7d"),
    "THETA_DROP_14D": _theta("14d"),
    "THETA_DECLINE_3WK": _plain(lambda row, w: w["THETA_DECLINE_3WK"]),
    "OMIT": _plain(lambda row, w: w["OMIT"].format(rate=percent(row["omit_rate"]), omitted=int(row["n_omitted"]),
                                                   presented=int(row["n_presented"]))),
    "GUESS": _guess,
    "ABSENCE_WEEK": _plain(lambda row, w: w["ABSENCE_WEEK"].format(absent=int(row["absent_week"]),
                                                                   scheduled=int(row["sched_week"]))),
    "ABSENCE_2WK": _plain(lambda row, w: w["ABSENCE_2WK"].format(absent=int(row["absent_2wk"]),
                                                                 scheduled=int(row["sched_2wk"]))),
    "ABSENCE_STREAK": _plain(lambda row, w: w["ABSENCE_STREAK"].format(days=int(row["max_streak"]))),
    "RAPID_GUESS": _plain(lambda row, w: w["RAPID_GUESS"].format(rate=percent(row["rg_rate"]),
                                                                 rapid=int(row["n_rapid"]), timed=int(row["n_timed"]))),
}


def explain(row: Mapping, thresholds: Mapping, words: Mapping[str, str]) -> list[Explanation]:
    """One plain-language reason per flag code of the student (INSUFF_* and NO_ACTIVITY are not flags)."""
    explanations = []
    for code in filter(None, str(row["reason_codes"] or "").split(";")):
        if is_flag(code):
            text, unreliable = EXPLAIN[flag_family(code)](row, words, thresholds)
            explanations.append(Explanation(code, text, unreliable))
    return explanations


def annotation_texts(row: Mapping, words: Mapping[str, str]) -> list[str]:
    """What qualifies the student's flags (a θ drop that came with disengagement), in plain language."""
    codes = set(filter(None, str(row["reason_codes"] or "").split(";")))
    return [words[code] for code in ANNOTATIONS if code in codes]
