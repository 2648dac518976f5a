"""Dirty source rows (spec §11 input hygiene): normalised, repaired or quarantined — never silently dropped.

Rows that cannot be used go to a `rejected` table with the reason; values that make a row partly
unusable are set to NULL; every case is counted for the snapshot's data-quality metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

VALID_OUTCOMES = ("correct", "incorrect", "omitted")
VALID_STATUSES = ("present", "late", "absent", "excused")

REJECTED_COLUMNS = ["table", "reason", "row_key", "value"]


@dataclass
class Hygiene:
    """What cleaning found: quarantined rows and counts per kind of problem."""

    rejected: list[pd.DataFrame] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, n: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + int(n)

    def reject(self, table: str, reason: str, keys: pd.Series, values: pd.Series) -> None:
        self.count(f"{table}_{reason}", len(keys))
        if len(keys):
            self.rejected.append(
                pd.DataFrame({"table": table, "reason": reason, "row_key": keys.astype(str).to_numpy(),
                              "value": values.astype(str).to_numpy()})
            )

    def rejected_frame(self) -> pd.DataFrame:
        if not self.rejected:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTED_COLUMNS})
        return pd.concat(self.rejected, ignore_index=True)


def outcome_categories(values) -> pd.Categorical:
    """Valid outcomes as a categorical with fixed categories (compact, and fast to compare)."""
    return pd.Categorical(values, categories=VALID_OUTCOMES)


def status_categories(values) -> pd.Categorical:
    return pd.Categorical(values, categories=VALID_STATUSES)


def _normalise(values: pd.Series, allowed: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Trimmed lower-case values and a mask of the rows whose value is one of `allowed`."""
    normalised = values.astype(str).str.strip().str.lower()
    return normalised, normalised.isin(allowed)


def _drop_duplicate_ids(frame: pd.DataFrame, table: str, key: str, hygiene: Hygiene) -> pd.DataFrame:
    """A row repeated under the same id (a replica without the key) is counted once, and the repeat counted."""
    repeated = frame[key].duplicated(keep="first")
    hygiene.count(f"{table}_duplicate_id", int(repeated.sum()))
    return frame.loc[~repeated].reset_index(drop=True) if repeated.any() else frame


def clean_presentations(frame: pd.DataFrame, hygiene: Hygiene) -> pd.DataFrame:
    frame = _drop_duplicate_ids(frame, "presentations", "presentation_id", hygiene)
    outcome, valid = _normalise(frame["outcome"], VALID_OUTCOMES)
    hygiene.count("presentations_outcome_normalised", int((valid & (outcome != frame["outcome"])).sum()))
    invalid = frame.loc[~valid]
    hygiene.reject("presentations", "unknown_outcome", invalid["presentation_id"], invalid["outcome"])
    out = frame.loc[valid].assign(outcome=outcome_categories(outcome[valid]))
    out = out.reset_index(drop=True)

    negative_rt = out["response_time_ms"].lt(0).fillna(False).astype(bool)
    hygiene.count("presentations_negative_response_time", int(negative_rt.sum()))
    out["response_time_ms"] = out["response_time_ms"].mask(negative_rt)

    hygiene.count("presentations_unknown_item", int((~out["item_known"]).sum()))
    a, b = out["a"].to_numpy(), out["b"].to_numpy()
    unusable = out["item_known"].to_numpy() & ~(np.isfinite(a) & (a > 0) & np.isfinite(b))
    hygiene.count("presentations_unusable_item_params", int(unusable.sum()))
    hygiene.count("items_unusable_params", int(out.loc[unusable, "item_id"].nunique()))
    out.loc[unusable, ["a", "b"]] = np.nan
    return out


def clean_theta(frame: pd.DataFrame, hygiene: Hygiene, plausible: tuple[float, float]) -> pd.DataFrame:
    """θ without a value (NULL, NaN) and θ outside the plausible range (tenants.yaml data_quality; ±inf included)
    are quarantined: a −1e308 estimate is a failed estimation, and as a Δθ it would be a confident CRIT."""
    frame = _drop_duplicate_ids(frame, "theta", "estimate_id", hygiene)
    theta = frame["theta"].to_numpy(dtype=float)
    missing = np.isnan(theta)
    hygiene.reject("theta", "not_finite", frame.loc[missing, "estimate_id"], frame.loc[missing, "theta"])
    low, high = plausible
    with np.errstate(invalid="ignore"):
        outside = ~missing & ~((theta >= low) & (theta <= high))
    hygiene.reject("theta", "out_of_range", frame.loc[outside, "estimate_id"], frame.loc[outside, "theta"])
    out = frame.loc[~missing & ~outside].reset_index(drop=True)
    se = out["se"].to_numpy()
    bad_se = ~(np.isfinite(se) & (se > 0))
    hygiene.count("theta_invalid_se", int(bad_se.sum()))
    out.loc[bad_se, "se"] = np.nan
    return out


def clean_attendance(frame: pd.DataFrame, hygiene: Hygiene) -> pd.DataFrame:
    status, valid = _normalise(frame["status"], VALID_STATUSES)
    hygiene.count("attendance_status_normalised", int((valid & (status != frame["status"])).sum()))
    invalid = frame.loc[~valid]
    keys = invalid["student_id"].astype(str) + "@" + invalid["school_date"].dt.strftime("%Y-%m-%d")
    hygiene.reject("attendance", "unknown_status", keys, invalid["status"])
    cleaned = frame.loc[valid].assign(status=status_categories(status[valid]))
    return cleaned.reset_index(drop=True)
