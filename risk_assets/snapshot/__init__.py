"""The `snapshot` step: exactly the source rows the metrics need for one tenant-week."""

from risk_assets.snapshot.build import take_snapshot
from risk_assets.snapshot.model import Snapshot
from risk_assets.snapshot.store import SnapshotStore

__all__ = ["Snapshot", "SnapshotStore", "take_snapshot"]
