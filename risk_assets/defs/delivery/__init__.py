"""Delivery: the report_delivery sensor and the delivery job it launches."""
