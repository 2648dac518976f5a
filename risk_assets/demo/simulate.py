"""Daily practice simulation: sessions, 3PL responses and θ estimates for one tenant.

The loop runs over the days of the history; everything within a day is vectorised over
the students in school that day (present or late), so cost grows with students × days,
never with a Python loop per student or per response.

Per session: 12-18 items, the first at a local time in [09:00, 16:00), each next one
20-90 s later. Each item is the usable item whose b is nearest to a target drawn around
the student's latest θ estimate, N(θ̂, 0.7²), skipping items the student saw in the last
7 days. The spread gives every student some easy and some hard items: with targets at θ̂
exactly, about 80 % of ordinary students see fewer than 8 hard items in two weeks, so
c_hat (docs/metrics.md: GUESS) would be INSUFFICIENT for them; with it, about 4 %.

Responses follow the 3PL with the item's c, or the student's scripted asymptote. Omissions
use systematic sampling: each student carries an "omission debt" that grows by their
propensity with every item outside a trailing run and triggers an omit at 1, so the
realised rate tracks the propensity within one item instead of scattering binomially
around it. In 10 % of sessions the last 1-3 items are additionally not reached (a
trailing run of omits). Omitted items have no response time; answered ones take a
log-normal time around 20 s, a share of them (3 %, or the rapid guessers' scripted share) a
rapid 0.5-3 s. A scripted rapid guesser's rapid answer is right with the item's c only, drawn
from the same uniform that decided the 3PL response, so nobody else's data changes.

After each session one θ estimate is made a few seconds after its last item: EAP over the
student's answered responses of the trailing 7 calendar days (this session included),
scored with the items' own 3PL parameters. Each item's log-likelihood on the grid is
tabulated once (wrong and right), so scoring a response is a row lookup; per-day sums are
kept in a 7-slot ring, so the window sum is one vector operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .irt import GRID, eap, p_correct, response_loglik
from .items import UsableItems
from .school_calendar import DAYS_PER_WEEK

SESSION_LENGTH = (12, 18)
TRAILING_RUN_SHARE = 0.10
TRAILING_RUN_LENGTH = (1, 3)
TARGET_JITTER_SD = 0.7
SESSION_START_MS = (9 * 3_600_000, 16 * 3_600_000)
ITEM_GAP_MS = (20_000, 90_000)
ESTIMATE_DELAY_MS = (2_000, 8_000)
RT_MEDIAN_MS = 20_000
RT_LOG_SD = 0.5
RAPID_RT_MS = (500, 3_000)
NO_REPEAT_DAYS = 7
EAP_WINDOW_DAYS = 7
# Candidates examined around the target difficulty before falling back to the whole bank.
SELECTION_WINDOW = 32

INCORRECT, CORRECT, OMITTED = 0, 1, 2
OUTCOME_NAMES = np.array(["incorrect", "correct", "omitted"], dtype=object)

_NEVER = np.iinfo(np.int16).min
_OFFSETS = np.arange(SELECTION_WINDOW) - SELECTION_WINDOW // 2


@dataclass(frozen=True)
class Learners:
    theta_week: np.ndarray  # (students, weeks) true θ
    person_c_week: np.ndarray  # (students, weeks) asymptote override, NaN = item c
    omit_propensity: np.ndarray  # (students,)
    attends: np.ndarray  # (students, days) bool: in school, so one session that day
    rapid_share_week: np.ndarray  # (students, weeks) share of rapid answers
    scripted_rapid: np.ndarray  # (students,) bool: rapid answers are guesses (right with the item's c)


@dataclass(frozen=True)
class PracticeLog:
    """Sessions in order; presentations ordered by (session, position). Times are local."""

    session: np.ndarray  # per presentation: session ordinal 0..sessions-1
    item_id: np.ndarray
    presented_local: np.ndarray  # datetime64[ms], tenant wall-clock time
    outcome: np.ndarray  # int8 INCORRECT / CORRECT / OMITTED
    response_time_ms: np.ndarray  # int64, meaningless where omitted
    session_student: np.ndarray  # per session: roster row
    estimated_local: np.ndarray  # per session: datetime64[ms] of its θ estimate
    theta: np.ndarray  # per session
    se: np.ndarray  # per session


class _ItemPicker:
    """Nearest-difficulty item selection with a per-student 7-day no-repeat rule."""

    def __init__(self, items: UsableItems, n_students: int) -> None:
        if items.size <= DAYS_PER_WEEK * SESSION_LENGTH[1]:
            raise ValueError(f"only {items.size} usable items: too few for the 7-day no-repeat rule")
        self._b = items.b
        self._last_used = np.full((n_students, items.size), _NEVER, dtype=np.int16)

    def pick(self, students: np.ndarray, targets: np.ndarray, day: int) -> np.ndarray:
        """Position (in the sorted usable bank) of one fresh item per student."""
        centre = np.searchsorted(self._b, targets)
        window = np.clip(centre[:, None] + _OFFSETS, 0, self._b.size - 1)
        fresh = self._last_used[students[:, None], window] <= day - NO_REPEAT_DAYS
        distance = np.where(fresh, np.abs(self._b[window] - targets[:, None]), np.inf)
        best = distance.argmin(axis=1)
        rows = np.arange(students.size)
        chosen = window[rows, best]
        crowded = ~fresh[rows, best]
        if crowded.any():
            chosen[crowded] = self._nearest_anywhere(students[crowded], targets[crowded], day)
        self._last_used[students, chosen] = day
        return chosen

    def _nearest_anywhere(self, students: np.ndarray, targets: np.ndarray, day: int) -> np.ndarray:
        fresh = self._last_used[students] <= day - NO_REPEAT_DAYS
        distance = np.where(fresh, np.abs(self._b - targets[:, None]), np.inf)
        return distance.argmin(axis=1)


class _AbilityTracker:
    """Trailing-7-day grid log-likelihoods per student, as a ring of daily slots."""

    def __init__(self, n_students: int) -> None:
        self._ring = np.zeros((EAP_WINDOW_DAYS, n_students, GRID.size))

    def start_day(self, day: int) -> None:
        self._ring[day % EAP_WINDOW_DAYS] = 0.0

    def estimate(self, day: int, students: np.ndarray, loglik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._ring[day % EAP_WINDOW_DAYS, students] = loglik
        return eap(self._ring[:, students].sum(axis=0))


@dataclass(frozen=True)
class _DayLog:
    """One day's sessions; presentations ordered by position, then session row."""

    row: np.ndarray  # session row 0..m-1 within the day
    position: np.ndarray  # 0-based position within the session
    item_pos: np.ndarray  # position in the sorted usable bank
    clock_ms: np.ndarray  # ms after local midnight
    outcome: np.ndarray
    response_time_ms: np.ndarray
    loglik: np.ndarray  # (m, grid) of the day's answered responses
    last_shown_ms: np.ndarray  # (m,) clock of each session's last presentation


@dataclass(frozen=True)
class _Day:
    midnight: np.datetime64  # datetime64[ms] local midnight
    students: np.ndarray  # roster rows with a session, in session order
    log: _DayLog
    estimated_ms: np.ndarray  # per session: clock of its θ estimate
    theta: np.ndarray
    se: np.ndarray


def simulate_practice(
    rng: np.random.Generator, learners: Learners, items: UsableItems, dates: np.ndarray
) -> PracticeLog:
    n_students: int
    n_days: int
    n_students, n_days = learners.attends.shape
    picker = _ItemPicker(items, n_students)
    tracker = _AbilityTracker(n_students)
    scores = _score_table(items)
    theta_hat = np.zeros(n_students)
    omit_debt = rng.random(n_students)
    days: list[_Day] = []
    for day in range(n_days):
        tracker.start_day(day)
        students = np.flatnonzero(learners.attends[:, day])
        if students.size == 0:
            continue
        log = _practice_day(rng, day, students, learners, items, scores, picker, theta_hat, omit_debt)
        theta, se = tracker.estimate(day, students, log.loglik)
        theta_hat[students] = theta
        estimated_ms = log.last_shown_ms + rng.integers(ESTIMATE_DELAY_MS[0], ESTIMATE_DELAY_MS[1] + 1, students.size)
        days.append(_Day(dates[day].astype("datetime64[ms]"), students, log, estimated_ms, theta, se))
    return _assemble(days, items)


def _practice_day(
    rng: np.random.Generator,
    day: int,
    students: np.ndarray,
    learners: Learners,
    items: UsableItems,
    scores: np.ndarray,
    picker: _ItemPicker,
    theta_hat: np.ndarray,
    omit_debt: np.ndarray,
) -> _DayLog:
    m = students.size
    week = day // DAYS_PER_WEEK
    length = rng.integers(SESSION_LENGTH[0], SESSION_LENGTH[1] + 1, m)
    trailing = rng.random(m) < TRAILING_RUN_SHARE
    run = rng.integers(TRAILING_RUN_LENGTH[0], TRAILING_RUN_LENGTH[1] + 1, m)
    first_not_reached = np.where(trailing, length - run, length)
    clock = rng.integers(*SESSION_START_MS, m)
    last_shown = clock.copy()
    theta = learners.theta_week[students, week]
    person_c = learners.person_c_week[students, week]
    propensity = learners.omit_propensity[students]
    rapid_share = learners.rapid_share_week[students, week]
    guesser = learners.scripted_rapid[students]
    loglik = np.zeros((m, GRID.size))
    shown: list[tuple[np.ndarray, ...]] = []

    for position in range(SESSION_LENGTH[1]):
        rows = np.flatnonzero(position < length)
        who = students[rows]
        item = picker.pick(who, theta_hat[who] + rng.normal(0.0, TARGET_JITTER_SD, rows.size), day)
        c = items.c[item]
        asymptote = np.where(np.isnan(person_c[rows]), c, person_c[rows])
        draw = rng.random(rows.size)
        correct = draw < p_correct(theta[rows], items.a[item], items.b[item], asymptote)

        not_reached = position >= first_not_reached[rows]
        omit_debt[who] += np.where(not_reached, 0.0, propensity[rows])
        skipped = omit_debt[who] >= 1.0
        omit_debt[who] -= skipped
        omitted = not_reached | skipped

        response_time, rapid = _response_times(rng, rapid_share[rows])
        correct = np.where(rapid & guesser[rows], draw < c, correct)

        answered = ~omitted
        loglik[rows[answered]] += scores[correct[answered].astype(np.intp), item[answered]]
        outcome = np.where(omitted, OMITTED, correct).astype(np.int8)
        shown.append((rows, np.full(rows.size, position), item, clock[rows], outcome, response_time))
        last_shown[rows] = clock[rows]
        clock[rows] += rng.integers(ITEM_GAP_MS[0], ITEM_GAP_MS[1] + 1, rows.size)

    row, positions, item_pos, clock_ms, outcome, response_time = (np.concatenate(column) for column in zip(*shown))
    return _DayLog(row, positions, item_pos, clock_ms, outcome, response_time, loglik, last_shown)


def _score_table(items: UsableItems) -> np.ndarray:
    """(2, items, grid) log-likelihood of a wrong [0] and a right [1] answer to each item."""
    wrong, right = (np.full(items.size, outcome) for outcome in (False, True))
    return np.stack(
        [response_loglik(items.a, items.b, items.c, wrong), response_loglik(items.a, items.b, items.c, right)]
    )


def _response_times(rng: np.random.Generator, rapid_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time in ms, whether it was a rapid answer) per presentation."""
    n = rapid_share.size
    rapid = rng.random(n) < rapid_share
    fast = rng.integers(RAPID_RT_MS[0], RAPID_RT_MS[1] + 1, n)
    typical = np.rint(rng.lognormal(np.log(RT_MEDIAN_MS), RT_LOG_SD, n)).astype(np.int64)
    return np.where(rapid, fast, typical), rapid


def _assemble(days: list[_Day], items: UsableItems) -> PracticeLog:
    if not days:
        raise ValueError("nobody attended school on any day of the history")
    first_session = np.cumsum([0] + [day.students.size for day in days])
    session = np.concatenate([first + day.log.row for first, day in zip(first_session, days)])
    position = np.concatenate([day.log.position for day in days])
    order = np.lexsort((position, session))

    def presentations(field: str) -> np.ndarray:
        return np.concatenate([getattr(day.log, field) for day in days])[order]

    def per_session(field: str) -> np.ndarray:
        return np.concatenate([getattr(day, field) for day in days])

    presented = [day.midnight + day.log.clock_ms.astype("timedelta64[ms]") for day in days]
    estimated = [day.midnight + day.estimated_ms.astype("timedelta64[ms]") for day in days]
    return PracticeLog(
        session=session[order],
        item_id=items.item_id[presentations("item_pos")],
        presented_local=np.concatenate(presented)[order],
        outcome=presentations("outcome"),
        response_time_ms=presentations("response_time_ms"),
        session_student=per_session("students"),
        estimated_local=np.concatenate(estimated),
        theta=per_session("theta"),
        se=per_session("se"),
    )
