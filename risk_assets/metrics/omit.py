"""OMIT domain (spec §4): omitted items, with trailing omits of a session counted as not reached."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import OmitThresholds
from risk_assets.metrics.domain import DomainResult, Roster, grade, highest, nullable

PRESENTATION_ORDER = ["presented_at", "item_id", "presentation_id"]


def classify_omits(presentations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (answered, omitted, not_reached) aligned with `presentations`' rows.

    An omitted presentation is OMITTED when a later answered presentation exists in its session,
    otherwise NOT_REACHED.
    """
    ordered = presentations.sort_values(["student_id", "session_id", *PRESENTATION_ORDER], kind="mergesort")
    answered = ordered["outcome"].isin(["correct", "incorrect"]).to_numpy()
    omitted = (ordered["outcome"] == "omitted").to_numpy()
    rank = np.arange(len(ordered))
    last_answered = (
        pd.Series(np.where(answered, rank, -1), index=ordered.index)
        .groupby([ordered["student_id"], ordered["session_id"]], sort=False)
        .transform("max")
        .to_numpy()
    )
    reached = rank < last_answered
    result = [np.empty(len(ordered), dtype=bool) for _ in range(3)]
    order = presentations.index.get_indexer(ordered.index)
    for target, values in zip(result, (answered, omitted & reached, omitted & ~reached)):
        target[order] = values
    return tuple(result)


def compute_omit(presentations: pd.DataFrame, roster: Roster, rules: OmitThresholds) -> DomainResult:
    answered, omitted, not_reached = classify_omits(presentations)
    pos = roster.positions(presentations["student_id"])
    n_answered = roster.count(pos, answered).astype(np.int64)
    n_omitted = roster.count(pos, omitted).astype(np.int64)
    n_not_reached = roster.count(pos, not_reached).astype(np.int64)
    n_presented = n_answered + n_omitted

    insufficient = n_presented < rules.min_presented
    # Rates against thresholds use integer cross-multiplication, never floats.
    crit = ~insufficient & (100 * n_omitted >= rules.crit_pct * n_presented) & (n_omitted >= rules.min_count)
    warn = ~insufficient & (100 * n_omitted >= rules.warn_pct * n_presented) & (n_omitted >= rules.min_count)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = n_omitted / n_presented
    return DomainResult(
        status=grade(crit, warn, insufficient),
        codes={**highest("OMIT_CRIT", crit, "OMIT_WARN", warn), "INSUFF_OMIT_FEW_ITEMS": insufficient},
        values={
            "n_presented": n_presented,
            "n_omitted": n_omitted,
            "n_not_reached": n_not_reached,
            "omit_rate": nullable(rate, n_presented > 0),
        },
    )
