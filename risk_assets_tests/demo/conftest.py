"""Small demo datasets shared by the demo tests (generated once per test session)."""

from __future__ import annotations

import pytest

from risk_assets.demo import DEFAULT_DEMO_TENANTS, DemoDataset, generate_demo

from .helpers import DST_LAST_WEEK, LAST_WEEK, NEW_YORK, SMALL


@pytest.fixture(scope="session")
def small_demo() -> DemoDataset:
    return generate_demo(DEFAULT_DEMO_TENANTS, LAST_WEEK, **SMALL)


@pytest.fixture(scope="session")
def dst_demo() -> DemoDataset:
    return generate_demo([NEW_YORK], DST_LAST_WEEK, **SMALL)
