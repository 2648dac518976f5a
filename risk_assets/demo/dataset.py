"""generate_demo: the whole demo source database as pandas frames, plus its ground truth.

Frames have exactly the columns of sql/source_schema.sql, in order. dtypes:
- ids int64; a, b, c, theta, se float64 (NaN = NULL); n_options and response_time_ms
  nullable Int64;
- presented_at, estimated_at datetime64[ns, UTC];
- enrolled_on, withdrawn_on, school_date: python datetime.date objects (None = NULL), the
  same values psycopg2 returns when reading the tables back;
- text columns python str.

Ids: students org_id * 100_000 + n, sessions and θ estimates org_id * 10^8 + n (an
estimate's id equals the id of the session it follows), presentations org_id * 10^9 + n,
items 1_000_001.. (shared). All rows of one tenant depend only on the seed, the tenant's
org_id and its position in `tenants` (which picks its holiday week).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .attendance import plan_attendance
from .dirty import (
    DIRTY_ORG_ID,
    DIRTY_ROWS,
    dirty_attendance,
    dirty_estimates,
    dirty_presentations,
)
from .groups import GROUP_SPECS, ORDINARY, assign_groups, latent_traits
from .irt import STORED_DECIMALS
from .items import UsableItems, build_item_bank, usable_items
from .local_time import local_midnight_utc, wall_to_utc
from .rng import Stream, stream
from .roster import Roster, build_roster
from .schema import SOURCE_TABLES
from .school_calendar import History, SchoolCalendar, tenant_calendar
from .simulate import OMITTED, OUTCOME_NAMES, Learners, PracticeLog, simulate_practice
from .tenants import DemoTenant
from .truth import ground_truth_frame, legacy_attendance_levels

GENERATOR_VERSION = "demo-4"
DEFAULT_SEED = 20261116
SESSION_ID_BLOCK = 10**8
PRESENTATION_ID_BLOCK = 10**9

NOTES: tuple[str, ...] = (
    "History: local dates [last_week - 7*(weeks-1), last_week + 7); C = last_week + 7.",
    "School days: Mon-Fri minus one Wednesday holiday per tenant, in week weeks-4+index%4.",
    "With the default tenants the third (org 201) has its holiday in the week the absence "
    "streak ends, so its streak is Thu, Fri, Mon, Tue, Thu: across a weekend and a holiday.",
    "True θ is constant within a report week; θ groups step down into each of the final two weeks.",
    "θ estimates are EAP over the trailing 7 days (N(0,1) prior), which shrinks Δθ by about 10 %;",
    "θ and se are stored with 6 decimals.",
    "Guessing (c = 0.5) starts with the evaluation window [C-14 d, C), so θ_ref is uncontaminated.",
    "expected_theta/omit/guess: the scripted truth; expected_attendance: docs/metrics.md: ATTENDANCE legacy rules "
    "applied to the generated rows (dirty ones included), INSUFFICIENT where they imply it.",
)


@dataclass(frozen=True, eq=False)
class DemoDataset:
    organizations: pd.DataFrame
    students: pd.DataFrame
    items: pd.DataFrame
    item_presentations: pd.DataFrame
    theta_estimates: pd.DataFrame
    school_days: pd.DataFrame
    attendance: pd.DataFrame
    ground_truth: pd.DataFrame
    seed: int
    last_week: dt.date
    weeks: int
    generator_version: str = GENERATOR_VERSION

    def source_frames(self) -> dict[str, pd.DataFrame]:
        """The source tables in load order (parents first)."""
        return {table: getattr(self, table) for table in SOURCE_TABLES}

    def write_ground_truth(self, path: str | Path) -> Path:
        """Write the ground truth as UTF-8 CSV at `path` and a JSON sidecar next to it
        (same name, suffix .json); returns the sidecar's path."""
        path = Path(path)
        self.ground_truth.to_csv(path, index=False, encoding="utf-8", float_format="%.17g")
        sidecar = path.with_suffix(".json")
        sidecar.write_text(json.dumps(self._description(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return sidecar

    def _description(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "last_week": self.last_week.isoformat(),
            "weeks": self.weeks,
            "cutoff": (self.last_week + dt.timedelta(days=7)).isoformat(),
            "generator_version": self.generator_version,
            "org_ids": self.organizations["org_id"].tolist(),
            "holidays": self._holidays(),
            "students_per_tenant": int(self.students.groupby("org_id").size().iloc[0]),
            "group_sizes_per_tenant": self.ground_truth.groupby(["org_id", "group"]).size()
            .unstack(fill_value=0).to_dict(orient="index"),
            "groups": [
                {key: value for key, value in vars(spec).items() if key != "fixed_size"} for spec in GROUP_SPECS
            ],
            "dirty_rows": {"org_id": DIRTY_ORG_ID, "rows": list(DIRTY_ROWS)},
            "notes": list(NOTES),
        }

    def _holidays(self) -> dict[int, list[str]]:
        """Weekdays of the history that are not school days, per tenant."""
        start = self.last_week - dt.timedelta(days=7 * (self.weeks - 1))  # a Monday
        weekdays = {start + dt.timedelta(days=d) for d in range(7 * self.weeks) if d % 7 < 5}
        return {
            int(org_id): sorted(day.isoformat() for day in weekdays - set(days))
            for org_id, days in self.school_days.groupby("org_id")["school_date"]
        }


class _TenantFrames(NamedTuple):
    students: pd.DataFrame
    item_presentations: pd.DataFrame
    theta_estimates: pd.DataFrame
    school_days: pd.DataFrame
    attendance: pd.DataFrame
    ground_truth: pd.DataFrame


def generate_demo(
    tenants: Sequence[DemoTenant],
    last_week: dt.date,
    *,
    seed: int = DEFAULT_SEED,
    weeks: int = 6,
    students_per_tenant: int = 300,
    n_items: int = 2000,
) -> DemoDataset:
    """Deterministic demo data: the same arguments always give identical frames."""
    history = History(last_week, weeks)
    _check_tenants(tenants)
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    items = build_item_bank(stream(seed, Stream.ITEMS), n_items)
    usable = usable_items(items)
    parts = [
        _generate_tenant(seed, tenant, index, history, usable, students_per_tenant)
        for index, tenant in enumerate(tenants)
    ]
    return DemoDataset(
        organizations=pd.DataFrame(
            {"org_id": np.array([t.org_id for t in tenants], dtype=np.int64), "name": [t.name for t in tenants]}
        ),
        students=_concat(part.students for part in parts),
        items=items,
        item_presentations=_concat(part.item_presentations for part in parts),
        theta_estimates=_concat(part.theta_estimates for part in parts),
        school_days=_concat(part.school_days for part in parts),
        attendance=_concat(part.attendance for part in parts),
        ground_truth=_concat(part.ground_truth for part in parts),
        seed=seed,
        last_week=last_week,
        weeks=weeks,
    )


def _check_tenants(tenants: Sequence[DemoTenant]) -> None:
    if not tenants:
        raise ValueError("at least one tenant is needed")
    org_ids = [tenant.org_id for tenant in tenants]
    if len(set(org_ids)) != len(org_ids):
        raise ValueError(f"org_ids must be unique, got {org_ids}")


def _generate_tenant(
    seed: int, tenant: DemoTenant, index: int, history: History, usable: UsableItems, n_students: int
) -> _TenantFrames:
    org_id = tenant.org_id
    calendar = tenant_calendar(history, index)
    roster = build_roster(stream(seed, Stream.ROSTER, org_id), tenant, calendar, n_students)
    group_rng = stream(seed, Stream.GROUPS, org_id)
    groups = assign_groups(group_rng, roster)
    traits = latent_traits(group_rng, groups, history.weeks)
    plan = plan_attendance(stream(seed, Stream.ATTENDANCE, org_id), calendar, roster.scheduled(calendar), groups)
    learners = Learners(traits.theta_week, traits.person_c_week, traits.omit_propensity, plan.attends,
                        traits.rapid_share_week, traits.scripted_rapid)
    log = simulate_practice(stream(seed, Stream.PRACTICE, org_id), learners, usable, history.dates)

    students = roster.frame(org_id)
    school_days = _school_days_frame(org_id, calendar)
    presentations = _presentations_frame(log, roster, tenant)
    estimates = _estimates_frame(log, roster, tenant)
    attendance = plan.frame(roster, calendar)
    if org_id == DIRTY_ORG_ID:
        dirty_rng = stream(seed, Stream.DIRTY, org_id)
        ordinary = roster.student_ids[groups == ORDINARY]
        week_start = local_midnight_utc(history.last_week, tenant.zone)
        presentations = dirty_presentations(dirty_rng, presentations, ordinary, week_start)
        attendance = dirty_attendance(dirty_rng, attendance, ordinary, pd.Timestamp(history.cutoff))
        estimates = dirty_estimates(dirty_rng, estimates, ordinary, week_start)
    levels = legacy_attendance_levels(students, school_days, attendance, history.cutoff)
    truth = ground_truth_frame(org_id, roster, groups, traits, levels)
    return _TenantFrames(students, presentations, estimates, school_days, attendance, truth)


def _school_days_frame(org_id: int, calendar: SchoolCalendar) -> pd.DataFrame:
    dates = calendar.school_dates
    return pd.DataFrame(
        {"org_id": np.full(dates.size, org_id, dtype=np.int64), "school_date": dates.astype(object)}
    )


def _presentations_frame(log: PracticeLog, roster: Roster, tenant: DemoTenant) -> pd.DataFrame:
    org_id = tenant.org_id
    n = log.session.size
    omitted = log.outcome == OMITTED
    return pd.DataFrame(
        {
            "presentation_id": org_id * PRESENTATION_ID_BLOCK + 1 + np.arange(n, dtype=np.int64),
            "student_id": roster.student_ids[log.session_student[log.session]],
            "session_id": org_id * SESSION_ID_BLOCK + 1 + log.session.astype(np.int64),
            "item_id": log.item_id,
            "presented_at": wall_to_utc(log.presented_local, tenant.zone),
            "outcome": OUTCOME_NAMES[log.outcome],
            "response_time_ms": pd.arrays.IntegerArray(np.where(omitted, 0, log.response_time_ms), omitted),
        }
    )


def _estimates_frame(log: PracticeLog, roster: Roster, tenant: DemoTenant) -> pd.DataFrame:
    n = log.session_student.size
    return pd.DataFrame(
        {
            "estimate_id": tenant.org_id * SESSION_ID_BLOCK + 1 + np.arange(n, dtype=np.int64),
            "student_id": roster.student_ids[log.session_student],
            "estimated_at": wall_to_utc(log.estimated_local, tenant.zone),
            "theta": np.round(log.theta, STORED_DECIMALS),
            "se": np.round(log.se, STORED_DECIMALS),
        }
    )


def _concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(list(frames), ignore_index=True)

