"""How a step reports a problem to Dagster: a user's mistake fails its partition for good, a database that cannot
be reached is retried by the step's RetryPolicy, anything else is a crash (the run fails, run retries apply)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from dagster import Failure

from risk_assets.database.connection import DatabaseUnavailable
from risk_assets.errors import UserError


@contextmanager
def reported_to_dagster() -> Iterator[None]:
    try:
        yield
    except DatabaseUnavailable as exc:
        raise Failure(description=str(exc), allow_retries=True) from None
    except UserError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
