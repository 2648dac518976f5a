"""Reason codes in plain language, with the numbers behind them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

MINUS = "\u2212"


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    unreliable: bool  # a legacy flag the z gate would not have passed


def signed(value: float, digits: int = 1) -> str:
    """A number with a typographic minus; '—' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}".replace("-", MINUS)


def percent(value: float) -> str:
    return f"{100 * value:.1f}%".replace(".0%", "%")


def _theta(row: Mapping, horizon: str, words: Mapping[str, str], z_max: float) -> tuple[str, bool]:
    delta, z = row[f"delta_{horizon}"], row[f"z_{horizon}"]
    text = words[f"THETA_DROP_{horizon.upper()}"].format(delta=f"{abs(delta):.2f}", z=signed(z))
    return text, not (z is not None and not math.isnan(z) and z <= z_max)


def explain(row: Mapping, thresholds: Mapping, words: Mapping[str, str]) -> list[Reason]:
    """One plain-language reason per flag code of the student (INSUFF_* and NO_ACTIVITY are not flags)."""
    reasons = []
    z_max = thresholds["theta"]["z_max"]
    for code in filter(None, str(row["reason_codes"] or "").split(";")):
        unreliable = False
        if code.startswith("THETA_DROP_7D"):
            text, unreliable = _theta(row, "7d", words, z_max)
        elif code.startswith("THETA_DROP_14D"):
            text, unreliable = _theta(row, "14d", words, z_max)
        elif code == "THETA_DECLINE_3WK":
            text = words["THETA_DECLINE_3WK"]
        elif code.startswith("OMIT_"):
            text = words["OMIT"].format(rate=percent(row["omit_rate"]), omitted=int(row["n_omitted"]),
                                        presented=int(row["n_presented"]))
        elif code.startswith("GUESS_"):
            z = row["c_hat_z"]
            text = words["GUESS"].format(c=f"{row['c_hat']:.2f}", z=signed(z))
            unreliable = not (z is not None and not math.isnan(z) and z >= thresholds["guess"]["z_min"])
        elif code.startswith("ABSENCE_WEEK"):
            text = words["ABSENCE_WEEK"].format(absent=int(row["absent_week"]), scheduled=int(row["sched_week"]))
        elif code.startswith("ABSENCE_2WK"):
            text = words["ABSENCE_2WK"].format(absent=int(row["absent_2wk"]), scheduled=int(row["sched_2wk"]))
        elif code == "ABSENCE_STREAK_CRIT":
            text = words["ABSENCE_STREAK"].format(days=int(row["max_streak"]))
        else:
            continue
        reasons.append(Reason(code, text, unreliable))
    return reasons
