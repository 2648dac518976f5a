"""Fixtures the fault batteries share with the delivery tests."""

from risk_assets_tests.delivery.test_delivery_flow import env  # noqa: F401 — a source, databases and folders
