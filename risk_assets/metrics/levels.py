"""Student level, coverage and reason codes from the domains judged (docs/metrics.md: Student level)."""

from __future__ import annotations

import numpy as np

from risk_assets.metrics.domain import DomainResult
from risk_assets.vocabulary import CRIT, INSUFFICIENT, LEVEL_INSUFFICIENT, WARN, Reason
from risk_assets.vocabulary import OK as LEVEL_OK


def student_level(domains: list[DomainResult]) -> tuple[np.ndarray, np.ndarray]:
    """(level, coverage): the worst domain status; OK needs at least one evaluated domain; coverage is out of
    the domains judged (4, or 5 with ENGAGEMENT)."""
    statuses = np.stack([d.status for d in domains])
    evaluated = statuses != INSUFFICIENT
    level = np.select(
        [(statuses == CRIT).any(axis=0), (statuses == WARN).any(axis=0), evaluated.any(axis=0)],
        [CRIT, WARN, LEVEL_OK],
        default=LEVEL_INSUFFICIENT,
    ).astype(object)
    return level, evaluated.sum(axis=0) / len(domains)


def join_codes(codes: dict[Reason, np.ndarray], n: int) -> np.ndarray:
    """Per student: the codes that hold, sorted by code point, joined with ';' (empty when none).

    Each student's set of codes is one bit pattern; each distinct pattern (a few hundred at most) is joined once.
    """
    ordered = sorted(codes)
    if len(ordered) > 63:
        raise ValueError(f"{len(ordered)} reason codes do not fit a 64-bit pattern")
    pattern = np.zeros(n, dtype=np.int64)
    for bit, code in enumerate(ordered):
        pattern |= np.asarray(codes[code], dtype=np.int64) << bit
    distinct, which = np.unique(pattern, return_inverse=True)
    texts = [";".join(code.value for bit, code in enumerate(ordered) if int(value) >> bit & 1) for value in distinct]
    return np.array(texts, dtype=object)[which]
