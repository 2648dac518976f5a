"""Dirty source rows (docs/snapshot.md: Dirty rows): normalised, repaired or quarantined — never silently dropped.

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


@dataclass(frozen=True)
class Normalised:
    """A coded column tidied (trimmed, lower-cased): the values as a categorical of the allowed ones."""

    values: pd.Categorical  # NaN where the value is none of the allowed ones
    valid: np.ndarray  # bool per row
    tidied: np.ndarray  # bool per row: valid only once trimmed or lower-cased


def _normalise(values: pd.Series, allowed: tuple[str, ...]) -> Normalised:
    """Each distinct value is tidied once, then mapped onto the rows through its code: no string work per row."""
    codes, uniques = _codes(values)
    raw = pd.Index(uniques).astype(str)
    tidy = raw.str.strip().str.lower()
    allowed_code = np.append(pd.Index(allowed).get_indexer(tidy), -1).astype(np.int8)  # last slot: NULL's (-1)
    tidied = np.append(np.asarray(tidy != raw), False)
    row_code = allowed_code[codes]
    return Normalised(pd.Categorical.from_codes(row_code, categories=allowed), row_code >= 0, tidied[codes])


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's code into the distinct values (-1 for NULL): a categorical's own one-byte codes as they are."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories
    codes, uniques = pd.factorize(values)
    return codes, pd.Index(uniques)


def _rows(frame: pd.DataFrame, selected: np.ndarray) -> pd.DataFrame:
    """The selected rows, column by column: a frame-wide selection would first merge the columns of one dtype
    into one block, a copy of the whole frame (millions of rows)."""
    return pd.DataFrame({name: frame[name].array[selected] for name in frame.columns}, copy=False)


def _valid_rows(frame: pd.DataFrame, valid: np.ndarray) -> pd.DataFrame:
    """The frame itself when every row is valid (the usual case: no copy of millions of rows)."""
    return frame if valid.all() else _rows(frame, valid)


def _drop_duplicate_ids(frame: pd.DataFrame, table: str, key: str, hygiene: Hygiene) -> pd.DataFrame:
    """A row repeated under the same id (a replica without the key) is counted once, and the repeat counted."""
    repeated = _repeated(frame[key])
    hygiene.count(f"{table}_duplicate_id", 0 if repeated is None else int(repeated.sum()))
    return frame if repeated is None else _rows(frame, ~repeated)


def _repeated(ids: pd.Series) -> np.ndarray | None:
    """Which rows repeat an earlier row's id, or None when no id repeats. Sorting a copy of the ids shows the
    usual case (none) with one array of memory; pandas' hash table for 15 million ids takes half a gigabyte."""
    ordered = np.sort(ids.to_numpy())
    if not (ordered[1:] == ordered[:-1]).any():
        return None
    return ids.duplicated(keep="first").to_numpy()


def clean_presentations(frame: pd.DataFrame, hygiene: Hygiene) -> pd.DataFrame:
    frame = _drop_duplicate_ids(frame, "presentations", "presentation_id", hygiene)
    outcome = _normalise(frame["outcome"], VALID_OUTCOMES)
    hygiene.count("presentations_outcome_normalised", int((outcome.valid & outcome.tidied).sum()))
    invalid = ~outcome.valid
    hygiene.reject("presentations", "unknown_outcome", frame["presentation_id"][invalid], frame["outcome"][invalid])
    out = _valid_rows(frame, outcome.valid)
    out["outcome"] = outcome.values[outcome.valid]

    negative_rt = out["response_time_ms"].lt(0).fillna(False).to_numpy(dtype=bool)
    hygiene.count("presentations_negative_response_time", int(negative_rt.sum()))
    if negative_rt.any():
        out["response_time_ms"] = out["response_time_ms"].mask(negative_rt)

    item_known = out["item_known"].to_numpy()
    hygiene.count("presentations_unknown_item", int((~item_known).sum()))
    a, b = out["a"].to_numpy(), out["b"].to_numpy()
    unusable = item_known & ~(np.isfinite(a) & (a > 0) & np.isfinite(b))
    hygiene.count("presentations_unusable_item_params", int(unusable.sum()))
    hygiene.count("items_unusable_params", int(out["item_id"][unusable].nunique()))
    if unusable.any():  # new columns (the Arrow-backed ones are read-only), only when something changes
        out["a"], out["b"] = np.where(unusable, np.nan, a), np.where(unusable, np.nan, b)
    return _blank_invalid_item_c(out, hygiene)


def _blank_invalid_item_c(out: pd.DataFrame, hygiene: Hygiene) -> pd.DataFrame:
    """An item's c is a probability: one outside [0, 1] (±inf included) is set to NULL, so c_ref (the mean of the c
    of the items used, docs/metrics.md: GUESS) leaves it out. The item's a and b stay usable; a NULL c is a gap, not
    counted."""
    c = out["c"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        invalid = ~np.isnan(c) & ~((c >= 0) & (c <= 1))
    hygiene.count("presentations_invalid_item_c", int(invalid.sum()))
    hygiene.count("items_invalid_c", int(out["item_id"][invalid].nunique()))
    if invalid.any():
        out["c"] = np.where(invalid, np.nan, c)
    return out


def clean_theta(frame: pd.DataFrame, hygiene: Hygiene, plausible: tuple[float, float]) -> pd.DataFrame:
    """θ without a value (NULL, NaN) and θ outside the plausible range (tenants.yaml data_quality; ±inf included)
    are quarantined: a −1e308 estimate is a failed estimation, and as a Δθ it would be a confident CRIT."""
    frame = _drop_duplicate_ids(frame, "theta", "estimate_id", hygiene)
    theta = frame["theta"].to_numpy(dtype=float)
    missing = np.isnan(theta)
    hygiene.reject("theta", "not_finite", frame["estimate_id"][missing], frame["theta"][missing])
    low, high = plausible
    with np.errstate(invalid="ignore"):
        outside = ~missing & ~((theta >= low) & (theta <= high))
    hygiene.reject("theta", "out_of_range", frame["estimate_id"][outside], frame["theta"][outside])
    out = _valid_rows(frame, ~missing & ~outside)
    se = out["se"].to_numpy()
    bad_se = ~(np.isfinite(se) & (se > 0))
    hygiene.count("theta_invalid_se", int(bad_se.sum()))
    if bad_se.any():
        out["se"] = np.where(bad_se, np.nan, se)
    hygiene.count("theta_conflicting_same_instant", _overruled_by_another_theta(out))
    return out


def _overruled_by_another_theta(theta: pd.DataFrame) -> int:
    """Estimates of a student that another estimate at the same instant, with a different θ, overrules by the
    tie rule (the larger estimate_id wins, docs/metrics.md: THETA). They are kept and the rule applied as written;
    counting them tells the school's data team that their estimator disagrees with itself. Equal θ at one instant is
    a repeat."""
    student = theta["student_id"].to_numpy()
    at = theta["estimated_at"].to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((theta["estimate_id"].to_numpy(), at, student))
    student, at, value = student[order], at[order], theta["theta"].to_numpy(dtype=float)[order]
    same_instant = (student[1:] == student[:-1]) & (at[1:] == at[:-1])
    if not same_instant.any():
        return 0
    last = np.append(~same_instant, True)  # the tie's winner: the last row of each (student, instant)
    instant = np.cumsum(np.insert(~same_instant, 0, True)) - 1
    winner = value[last][instant]
    return int((~last & (value != winner)).sum())


def clean_attendance(frame: pd.DataFrame, school_days: pd.DataFrame, hygiene: Hygiene) -> pd.DataFrame:
    status = _normalise(frame["status"], VALID_STATUSES)
    hygiene.count("attendance_status_normalised", int((status.valid & status.tidied).sum()))
    invalid = _rows(frame, ~status.valid)
    keys = invalid["student_id"].astype(str) + "@" + invalid["school_date"].dt.strftime("%Y-%m-%d")
    hygiene.reject("attendance", "unknown_status", keys, invalid["status"])
    cleaned = _valid_rows(frame, status.valid)
    cleaned["status"] = status.values[status.valid]
    # Kept: the metrics ignore a record on a day that is not scheduled (docs/metrics.md: ATTENDANCE), but an absence
    # on a Saturday that is no school day says the calendar or the attendance feed is wrong.
    off_days = ~cleaned["school_date"].isin(school_days["school_date"]).to_numpy()
    hygiene.count("attendance_not_school_day", int(off_days.sum()))
    return cleaned
