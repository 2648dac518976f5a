"""Risk thresholds (docs/metrics.md: Profiles, Threshold keys): the `legacy` and `reliable` profiles, every key
overridable."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Gate = Literal["none", "z"]
Percent = int


class _Section(BaseModel):
    # allow_inf_nan=False: `D: .inf` or `z_max: .nan` is a mistake to name here, not a failure later in a run.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


# Ranges (docs/metrics.md: Threshold keys): beyond them a key can never matter or would be a mistake, and the
# counts stay far inside numpy's int64 and R's 32-bit integers.
THETA_SPAN = 12.0  # θ outside [−6, 6] is quarantined (tenants.yaml data_quality), so no change exceeds 12 logits
Z_BOUND = 6.0  # a one-sided test beyond 6 standard errors (p < 1e-9) is no gate
MAX_ITEMS = 10_000  # more items than a student is shown in the 14-day window
MAX_HISTORY = 100_000  # timed answers to one item in 90 days, a whole school included
MAX_RESPONSE_MS = 60_000  # an answer slower than a minute is not a rapid guess
MAX_PRIOR = 100.0  # a Beta prior worth more than ~100 answers would outweigh the student's own 30+
WEEK_DAYS, TWO_WEEK_DAYS, STREAK_DAYS = 7, 14, 28  # school days in the week, the window, the streak look-back


def _require_order(lower_name: str, lower: float, upper_name: str, upper: float, why: str) -> None:
    if not lower <= upper:
        raise ValueError(f"{lower_name} ({lower}) must not be above {upper_name} ({upper}): {why}")


class ThetaThresholds(_Section):
    delta_7d_warn: float = Field(default=-0.15, ge=-THETA_SPAN, lt=0)
    delta_7d_crit: float = Field(default=-0.30, ge=-THETA_SPAN, lt=0)
    delta_14d_warn: float = Field(default=-0.25, ge=-THETA_SPAN, lt=0)
    delta_14d_crit: float = Field(default=-0.50, ge=-THETA_SPAN, lt=0)
    gate: Gate = "none"
    z_max: float = Field(default=-1.645, ge=-Z_BOUND, lt=0, description=(
        "a drop's z is negative, so the gate needs a negative bound (one-sided, e.g. -1.645 for 5 %)"))
    streak_eps: float = Field(default=0.0, ge=0, le=THETA_SPAN)
    streak_gate: Gate = "none"

    @model_validator(mode="after")
    def _crit_beyond_warn(self) -> ThetaThresholds:
        for horizon in ("7d", "14d"):
            warn = getattr(self, f"delta_{horizon}_warn")
            crit = getattr(self, f"delta_{horizon}_crit")
            if not crit < warn < 0:
                raise ValueError(
                    f"theta.delta_{horizon}_crit ({crit}) must be a larger drop than theta.delta_{horizon}_warn "
                    f"({warn}), both negative: e.g. delta_{horizon}_warn: {-0.15 if horizon == '7d' else -0.25}, "
                    f"delta_{horizon}_crit: {-0.30 if horizon == '7d' else -0.50}"
                )
        return self


class OmitThresholds(_Section):
    warn_pct: Percent = Field(default=8, ge=0, le=100)
    crit_pct: Percent = Field(default=15, ge=0, le=100)
    min_count: int = Field(default=0, ge=0, le=MAX_ITEMS)
    min_presented: int = Field(default=20, ge=1, le=MAX_ITEMS)

    @model_validator(mode="after")
    def _warn_below_crit(self) -> OmitThresholds:
        _require_order("omit.warn_pct", self.warn_pct, "omit.crit_pct", self.crit_pct,
                       "WARN fires at a lower omit rate than CRIT; e.g. warn_pct: 8, crit_pct: 15")
        return self


class GuessThresholds(_Section):
    warn: float = Field(default=0.30, gt=0, le=0.5)
    crit: float = Field(default=0.40, gt=0, le=0.5)
    gate: Gate = "none"
    z_min: float = Field(default=1.645, gt=0, le=Z_BOUND, description=(
        "the gate asks whether c_hat is significantly ABOVE the items' c (one-sided, e.g. 1.645 for 5 %)"))
    prior_alpha: float = Field(default=2.0, ge=1, le=MAX_PRIOR)
    prior_beta: float = Field(default=5.0, ge=1, le=MAX_PRIOR)
    min_items: int = Field(default=30, ge=1, le=MAX_ITEMS)
    min_hard_items: int = Field(default=8, ge=0, le=MAX_ITEMS)
    hard_p: float = Field(default=0.35, gt=0, lt=1)

    @model_validator(mode="after")
    def _warn_below_crit(self) -> GuessThresholds:
        _require_order("guess.warn", self.warn, "guess.crit", self.crit,
                       "WARN fires at a lower c_hat than CRIT; e.g. warn: 0.30, crit: 0.40")
        return self


class AttendanceThresholds(_Section):
    week_warn_pct: Percent = Field(default=10, ge=0, le=100)
    week_crit_pct: Percent = Field(default=20, ge=0, le=100)
    two_week_warn_pct: Percent = Field(default=15, ge=0, le=100)
    two_week_crit_pct: Percent = Field(default=30, ge=0, le=100)
    streak_crit_days: int = Field(default=5, ge=1, le=STREAK_DAYS, description=(
        "streaks are looked for in the 28 days before the cut-off"))
    weekly_crit_min_days: int = Field(default=1, ge=0, le=WEEK_DAYS, description="the week has at most 7 school days")
    max_missing_pct: Percent = Field(default=20, ge=0, le=100)
    min_week_days: int = Field(default=3, ge=1, le=WEEK_DAYS, description="the week has at most 7 school days")
    min_two_week_days: int = Field(default=6, ge=1, le=TWO_WEEK_DAYS, description=(
        "the two weeks have at most 14 school days"))

    @model_validator(mode="after")
    def _warn_below_crit(self) -> AttendanceThresholds:
        _require_order("attendance.week_warn_pct", self.week_warn_pct, "attendance.week_crit_pct",
                       self.week_crit_pct, "e.g. week_warn_pct: 10, week_crit_pct: 20")
        _require_order("attendance.two_week_warn_pct", self.two_week_warn_pct, "attendance.two_week_crit_pct",
                       self.two_week_crit_pct, "e.g. two_week_warn_pct: 15, two_week_crit_pct: 30")
        return self


class EngagementThresholds(_Section):
    """Rapid guessing (docs/metrics.md: ENGAGEMENT): an answer faster than the item's threshold was not a real
    attempt."""

    enabled: bool = False
    min_history: int = Field(default=50, ge=1, le=MAX_HISTORY)  # timed answers an item needs for its own threshold
    rt_fraction_pct: Percent = Field(default=10, ge=1, le=100)  # threshold = this % of the item's mean time ...
    rt_cap_ms: int = Field(default=10_000, ge=1, le=MAX_RESPONSE_MS)  # ... but at most this
    default_threshold_ms: int = Field(default=3_000, ge=1, le=MAX_RESPONSE_MS)  # items with too little history
    min_answered: int = Field(default=20, ge=1, le=MAX_ITEMS)  # fewer timed answers → INSUFFICIENT
    warn_pct: Percent = Field(default=10, ge=0, le=100)
    crit_pct: Percent = Field(default=30, ge=0, le=100)

    @model_validator(mode="after")
    def _warn_below_crit(self) -> EngagementThresholds:
        _require_order("engagement.warn_pct", self.warn_pct, "engagement.crit_pct", self.crit_pct,
                       "WARN fires at a lower rapid-guess rate than CRIT; e.g. warn_pct: 10, crit_pct: 30")
        return self


class IrtSettings(_Section):
    D: float = Field(default=1.0, gt=0, le=2.0, description=(
        "the IRT scaling constant is 1.0 (logistic metric) or 1.702 (normal-ogive metric)"))


class Thresholds(_Section):
    profile: Literal["legacy", "reliable"] = "legacy"
    irt: IrtSettings = Field(default_factory=IrtSettings)
    theta: ThetaThresholds = Field(default_factory=ThetaThresholds)
    omit: OmitThresholds = Field(default_factory=OmitThresholds)
    guess: GuessThresholds = Field(default_factory=GuessThresholds)
    attendance: AttendanceThresholds = Field(default_factory=AttendanceThresholds)
    engagement: EngagementThresholds = Field(default_factory=EngagementThresholds)

    def overrides(self) -> dict[str, Any]:
        """`section.key` → value for every threshold that differs from its profile's default."""
        base = Thresholds.from_mapping({"profile": self.profile}).model_dump()
        return {f"{section}.{key}": value
                for section, values in self.model_dump().items() if isinstance(values, dict)
                for key, value in values.items() if base[section][key] != value}

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Thresholds:
        """Profile defaults first, then every key the file sets."""
        profile = raw.get("profile", "legacy")
        base = PROFILE_OVERRIDES.get(profile, {}) if isinstance(profile, str) else {}
        return cls.model_validate(_deep_merge(base, raw))


# `legacy` is the model defaults; `reliable` adds the measurement-error gates of docs/metrics.md: Profiles.
PROFILE_OVERRIDES: dict[str, dict[str, Any]] = {
    "legacy": {},
    "reliable": {
        "theta": {"gate": "z", "streak_eps": 0.05, "streak_gate": "z"},
        "omit": {"min_count": 3},
        "guess": {"gate": "z"},
        "attendance": {"weekly_crit_min_days": 2},
    },
}


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


THRESHOLD_EXAMPLES = {
    "profile": "profile: legacy",
    "warn_pct": "warn_pct: 8",
    "crit_pct": "crit_pct: 15",
    "warn": "warn: 0.30",
    "crit": "crit: 0.40",
    "D": "D: 1.0",
}
