"""Scripted groups with known truth, and every student's latent traits.

Each tenant gets disjoint groups drawn from the students enrolled from the start who do not
withdraw. Latent groups have max(2, students // 30) members (10 at the default
300 students); the attendance scripts have 1, 3 and 1 members.

True ability is constant within a report week (steps at each Monday): θ for week w is
θ0 plus the sum of the weekly steps so far. Ordinary students step by their own drift
~ N(0, 0.02) every week. The θ groups instead step by -0.22 (theta_warn) or -0.45
(theta_crit) into each of the final two weeks. Weekly steps, not a continuous slope, make
the end-of-week estimates (EAP over the trailing 7 days, i.e. that week's sessions) differ
by the scripted amounts: Δθ_7 ≈ -0.22 / -0.45 and Δθ_14 ≈ -0.44 / -0.90. (A continuous
decline starting at C - 14 d would reach the estimates averaged over each week, leaving
Δθ_14 near -0.28 for theta_warn, too close to -0.25.) The N(0, 1) prior shrinks estimated
differences by about 10 % (I/(I+1), I ≈ 10 from ~70 targeted items): over five seeds the
theta_warn means were Δθ_7 -0.21, Δθ_14 -0.39 and the theta_crit means -0.44, -0.82, so
the bands hold on average; single students scatter with SD ≈ 0.4 (se ≈ 0.29 per estimate).

The guessing group's person-level asymptote c = 0.5 (P = 0.5 + 0.5·p) starts with the
evaluation window [C - 14 d, C): θ_ref, the estimate just before the window, is then still
clean, which is the situation docs/metrics.md: GUESS's c_hat is built to detect. Omission propensities are
realised by systematic sampling (simulate.py), so the omit groups land in their bands.

The rapid guessers answer 60 % of their items in the final two weeks as fast as everyone's occasional rapid answer
(0.5-3 s; the ENGAGEMENT item thresholds of docs/metrics.md are about 2.3 s here) and get those right only with the
item's c: their true ability does not change, their estimates fall. Everyone else answers 3 % of items fast, which
leaves ordinary students' rapid-guess rates near 2 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risk_assets.vocabulary import CRIT, OK, WARN

from .roster import Roster

FROM_RECORDS = "from records"

ORDINARY = "ordinary"
THETA_WARN = "theta_warn"
THETA_CRIT = "theta_crit"
GUESSING = "guessing"
OMIT_WARN = "omit_warn"
OMIT_CRIT = "omit_crit"
ABSENCE_STREAK = "absence_streak"
ABSENCE_2DAYS = "absence_2days"
MISSING_RECORD = "missing_record"
RAPID_GUESSING = "rapid_guessing"

THETA0_SD = 1.0
DRIFT_SD = 0.02
ORDINARY_OMIT = (0.0, 0.04)  # uniform, mean 0.02
ORDINARY_RAPID_SHARE = 0.03  # answers given in 0.5-3 s by anyone
SCRIPTED_WEEKS = 2  # the θ and guessing scripts act in the final two weeks


@dataclass(frozen=True)
class GroupSpec:
    name: str
    description: str
    theta_step_per_week: float | None = None  # into each of the final two weeks; None: own drift
    person_c: float | None = None  # person-level asymptote in the final two weeks
    omit_propensity: float | None = None  # None: ordinary draw
    rapid_share: float | None = None  # share of rapid guesses in the final two weeks; None: ordinary
    expected_theta: str = OK
    expected_omit: str = OK
    expected_guess: str = OK
    expected_attendance: str = FROM_RECORDS
    expected_engagement: str = OK
    fixed_size: int | None = None  # None: the latent-group size


GROUP_SPECS: tuple[GroupSpec, ...] = (
    GroupSpec(ORDINARY, "θ0 ~ N(0,1), drift ~ N(0,0.02)/week, omit ~ U(0,0.04), item c applies"),
    GroupSpec(THETA_WARN, "θ steps -0.22 into each of the final two weeks", theta_step_per_week=-0.22,
              expected_theta=WARN),
    GroupSpec(THETA_CRIT, "θ steps -0.45 into each of the final two weeks", theta_step_per_week=-0.45,
              expected_theta=CRIT),
    GroupSpec(GUESSING, "person asymptote c = 0.5 in the final two weeks: P = 0.5 + 0.5·p",
              person_c=0.5, expected_guess=CRIT),
    GroupSpec(OMIT_WARN, "omit propensity 0.12 (WARN at 8 %)", omit_propensity=0.12, expected_omit=WARN),
    GroupSpec(OMIT_CRIT, "omit propensity 0.25 (CRIT at 15 %)", omit_propensity=0.25, expected_omit=CRIT),
    GroupSpec(ABSENCE_STREAK, "absent 5 consecutive school days Thu-Fri + Mon-Wed ending in the "
              "final two weeks (across the holiday for the tenant whose holiday falls there); "
              "present on every other day", expected_attendance=CRIT, fixed_size=1),
    GroupSpec(ABSENCE_2DAYS, "absent exactly 2 school days of the final week, present otherwise",
              expected_attendance=CRIT, fixed_size=3),
    GroupSpec(MISSING_RECORD, "one final-week school day has no attendance row (attended and "
              "practised that day); present otherwise", expected_attendance=OK, fixed_size=1),
    # Last, so that adding it left every earlier group's members (and so the earlier demo data) as they were.
    GroupSpec(RAPID_GUESSING, "60 % of the answers of the final two weeks are rapid guesses (0.5-3 s, right with "
              "the item's c)", rapid_share=0.6, expected_engagement=CRIT),
)
SPECS_BY_NAME = {spec.name: spec for spec in GROUP_SPECS}
ATTENDANCE_GROUPS = (ABSENCE_STREAK, ABSENCE_2DAYS, MISSING_RECORD)


@dataclass(frozen=True)
class LatentTraits:
    theta_week: np.ndarray  # (students, weeks) true θ per report week
    person_c_week: np.ndarray  # (students, weeks) person asymptote, NaN where item c applies
    omit_propensity: np.ndarray  # (students,)
    theta_step: np.ndarray  # (students,) θ change per week over the final two weeks
    person_c: np.ndarray  # (students,) the scripted asymptote, NaN when none
    rapid_share_week: np.ndarray  # (students, weeks) share of answers given as rapid guesses
    scripted_rapid: np.ndarray  # (students,) bool: a scripted rapid guesser (right only with the item's c)


def latent_group_size(n_students: int) -> int:
    return max(2, n_students // 30)


def group_sizes(n_students: int) -> dict[str, int]:
    """Members per scripted group (ordinary excluded)."""
    latent = latent_group_size(n_students)
    return {
        spec.name: spec.fixed_size if spec.fixed_size is not None else latent
        for spec in GROUP_SPECS
        if spec.name != ORDINARY
    }


def assign_groups(rng: np.random.Generator, roster: Roster) -> np.ndarray:
    """Group name per student (object array), scripted groups disjoint."""
    groups = np.full(roster.size, ORDINARY, dtype=object)
    pool = rng.permutation(np.flatnonzero(~roster.mid_period & ~roster.withdrawn))
    sizes = group_sizes(roster.size)
    if sum(sizes.values()) > pool.size:
        raise ValueError(f"{roster.size} students are too few for the scripted groups")
    bounds = np.cumsum([0, *sizes.values()])
    for name, lo, hi in zip(sizes, bounds[:-1], bounds[1:]):
        groups[pool[lo:hi]] = name
    return groups


def latent_traits(rng: np.random.Generator, groups: np.ndarray, weeks: int) -> LatentTraits:
    n = groups.size
    theta0 = rng.normal(0.0, THETA0_SD, n)
    drift = rng.normal(0.0, DRIFT_SD, n)
    omit = rng.uniform(*ORDINARY_OMIT, n)
    step = drift.copy()
    person_c = np.full(n, np.nan)
    rapid_share = np.full(n, ORDINARY_RAPID_SHARE)
    for spec in GROUP_SPECS:
        members = groups == spec.name
        if spec.theta_step_per_week is not None:
            step[members] = spec.theta_step_per_week
        if spec.person_c is not None:
            person_c[members] = spec.person_c
        if spec.omit_propensity is not None:
            omit[members] = spec.omit_propensity
        if spec.rapid_share is not None:
            rapid_share[members] = spec.rapid_share

    steps = np.repeat(drift[:, None], weeks, axis=1)
    steps[:, 0] = 0.0
    steps[:, -SCRIPTED_WEEKS:] = step[:, None]
    person_c_week = np.full((n, weeks), np.nan)
    person_c_week[:, -SCRIPTED_WEEKS:] = person_c[:, None]
    rapid_share_week = np.full((n, weeks), ORDINARY_RAPID_SHARE)
    rapid_share_week[:, -SCRIPTED_WEEKS:] = rapid_share[:, None]
    return LatentTraits(
        theta_week=theta0[:, None] + np.cumsum(steps, axis=1),
        person_c_week=person_c_week,
        omit_propensity=omit,
        theta_step=step,
        person_c=person_c,
        rapid_share_week=rapid_share_week,
        scripted_rapid=rapid_share != ORDINARY_RAPID_SHARE,
    )
