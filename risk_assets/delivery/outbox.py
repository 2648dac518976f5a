"""The outbox: what would have been sent, written as files, for every channel that is not configured."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from risk_assets.delivery.content import DeliveryError, ReportDelivery
from risk_assets.errors import UserError
from risk_assets.files import write_atomically


class Outbox:
    def __init__(self, root: Path):
        self.root = Path(root)

    def folder(self, delivery: ReportDelivery) -> Path:
        return self.root / delivery.week.isoformat() / delivery.tenant

    def put_email(self, delivery: ReportDelivery, message: EmailMessage) -> Path:
        """The exact message as an .eml file (open it with any mail client)."""
        return self._put(self.folder(delivery) / "email.eml", message.as_bytes())

    def put_slack(self, delivery: ReportDelivery, payload: dict) -> Path:
        """The exact webhook payload as JSON."""
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        return self._put(self.folder(delivery) / "slack.json", text.encode("utf-8"))

    @staticmethod
    def _put(path: Path, data: bytes) -> Path:
        try:
            return write_atomically(path, data)
        except UserError as exc:  # a full or read-only outbox fails this channel, not the run
            raise DeliveryError(str(exc)) from None
