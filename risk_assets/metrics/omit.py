"""OMIT domain (docs/metrics.md: OMIT): omitted items, with trailing omits of a session counted as not reached."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk_assets.config.thresholds import OmitThresholds
from risk_assets.metrics.domain import DomainResult, Roster, grade, highest, nullable
from risk_assets.metrics.presentations import OMITTED, Presentations
from risk_assets.vocabulary import Reason


def classify_omits(presentations: Presentations) -> tuple[np.ndarray, np.ndarray]:
    """Masks (omitted, not_reached): an omitted presentation is OMITTED when a later answered
    presentation exists in its session (rows are in the metrics' order: student, presented_at, item_id,
    presentation_id), otherwise NOT_REACHED."""
    answered = presentations.answered
    omitted = presentations.outcome == OMITTED
    session_code, sessions = pd.factorize(presentations.session)
    group = presentations.pos.astype(np.int64) * max(len(sessions), 1) + session_code
    rank = np.arange(len(presentations))
    last_answered = pd.Series(np.where(answered, rank, -1)).groupby(group).transform("max").to_numpy()
    reached = rank < last_answered
    return omitted & reached, omitted & ~reached


def compute_omit(presentations: Presentations, roster: Roster, rules: OmitThresholds) -> DomainResult:
    omitted, not_reached = classify_omits(presentations)
    pos = presentations.pos
    n_answered = roster.count(pos, presentations.answered).astype(np.int64)
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
        codes={**highest(Reason.OMIT_CRIT, crit, Reason.OMIT_WARN, warn), Reason.INSUFF_OMIT_FEW_ITEMS: insufficient},
        values={
            "n_presented": n_presented,
            "n_omitted": n_omitted,
            "n_not_reached": n_not_reached,
            "omit_rate": nullable(rate, n_presented > 0),
        },
    )
