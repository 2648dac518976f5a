"""The weekly schedules' cron expression: five fields that Dagster accepts and that name a real date.

Dagster accepts more than this (croniter's `L`, `#`, `?`, `@weekly`, ranges that wrap around) and refuses, when the
code location loads, what croniter cannot expand or the 30th and 31st of February. Only the plain forms are allowed
here — numbers, names, `*`, ranges a-b, lists a,b and steps /n — so every expression this accepts is one Dagster
schedules, and one whose day-of-month and month name a date that occurs (else the schedule never ticks).
"""

from __future__ import annotations

import calendar
import re

EXAMPLE = "e.g. '0 6 * * 1' (Monday 06:00)"
_MONTHS = {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_WEEKDAYS = {name: number for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (name, lowest, highest, the names it takes)
FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day-of-month", 1, 31, {}), ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _WEEKDAYS))
_PART = re.compile(r"(?:\*|(\w+)(?:-(\w+))?)(?:/(\d+))?", re.ASCII)  # `*` or a or a-b, then an optional /step
_LEAP_YEAR = 2000  # February has 29 days in some year: the 29th occurs


def checked_cron(expression: str) -> str:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"'{expression}' is not a cron expression of 5 fields; {EXAMPLE}")
    values = [_field_values(text, expression, *field) for text, field in zip(fields, FIELDS)]
    days, months = values[2], values[3]
    if not any(day <= calendar.monthrange(_LEAP_YEAR, month)[1] for day in days for month in months):
        raise ValueError(f"'{expression}' names no real date: no month in its month field ({fields[3]}) has a day "
                         f"in its day-of-month field ({fields[2]}); {EXAMPLE}")
    return expression


def _field_values(text: str, expression: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """The numbers one field selects; a mistake in it is a ValueError naming the field and the fix."""
    values: set[int] = set()
    for part in text.split(","):
        match = _PART.fullmatch(part.lower())
        if not match:
            raise ValueError(f"'{expression}': '{part}' is not a valid {name} (use a number, a range a-b, a list "
                             f"a,b, a step */n or *); {EXAMPLE}")
        start_text, end_text, step_text = match.groups()
        field = (expression, name, low, high, names)
        start = _number(start_text, *field) if start_text else low
        end = _number(end_text, *field) if end_text else (start if start_text and not step_text else high)
        step = int(step_text) if step_text else 1
        if step == 0:
            raise ValueError(f"'{expression}': the {name} field has a step of 0; a step is 1 or more (e.g. */15); "
                             f"{EXAMPLE}")
        if end < start:
            raise ValueError(f"'{expression}': the {name} range {start_text}-{end_text} runs backwards; write the "
                             f"smaller end first (or a list, e.g. 0,5,6); {EXAMPLE}")
        values.update(range(start, end + 1, step))
    return values


def _number(token: str, expression: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    if token.isascii() and token.isdigit():
        number = int(token)
    elif token in names:
        number = names[token]
    else:
        raise ValueError(f"'{expression}': '{token}' is not a valid {name}; {EXAMPLE}")
    if not low <= number <= high:
        raise ValueError(f"'{expression}': the {name} field allows {low}-{high}, not {number}; {EXAMPLE}")
    return number
