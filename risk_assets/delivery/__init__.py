"""Delivery of finished reports: e-mail (SMTP), Slack, or the outbox; recorded in a ledger."""
