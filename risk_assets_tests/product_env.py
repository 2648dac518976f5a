"""The environment a test gives the product: its source and results databases, its folders, and no SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest


def point_product_at(monkeypatch: pytest.MonkeyPatch, source_url: str, risk_url: str, folder: Path) -> None:
    """The product reads `source_url`, writes results to `risk_url` and files (data, reports, outbox) under
    `folder`; e-mail goes to the outbox unless the test sets SMTP_* itself."""
    for name in ("SMTP_HOST", "SMTP_PASSWORD", "SMTP_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOURCE_DATABASE_URL", source_url)
    monkeypatch.setenv("RISK_DATABASE_URL", risk_url)
    for name in ("data", "reports", "outbox"):
        monkeypatch.setenv(f"RISK_{name.upper()}_DIR", str(folder / name))
