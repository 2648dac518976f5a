"""Snapshots on disk: one folder of Parquet files per (week, tenant), written atomically.

Each partition owns its folder, so one run may write many partitions side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from risk_assets.files import make_private, unwritable
from risk_assets.snapshot.hygiene import outcome_categories, status_categories
from risk_assets.snapshot.model import Snapshot
from risk_assets.window import ReportWindow

MANIFEST = "manifest.json"
TABLE_FILES = ("students", "presentations", "theta", "school_days", "attendance", "rejected")
# Added to snapshots later: a folder stored before has none (the snapshot then reads it as None).
OPTIONAL_TABLE_FILES = ("item_times",)
# Rows converted to Arrow at a time while writing: one row group, not a second copy of a large table.
ROW_GROUP_ROWS = 1_000_000


class SnapshotStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def folder(self, week: dt.date, tenant: str) -> Path:
        return self.root / f"week={week.isoformat()}" / f"tenant={tenant}"

    def write(self, snapshot: Snapshot) -> Path:
        """The snapshot's folder, replaced whole; a full or read-only disk is a UserError naming it, and the
        earlier snapshot stays."""
        target = self.folder(snapshot.week, snapshot.tenant)
        staging = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{snapshot.tenant}-", dir=target.parent))
            for name, frame in {**snapshot.tables(), "rejected": snapshot.rejected}.items():
                write_parquet(frame, staging / f"{name}.parquet")
                make_private(staging / f"{name}.parquet")
            (staging / MANIFEST).write_text(json.dumps(_manifest(snapshot), ensure_ascii=False, indent=2),
                                            encoding="utf-8")
            make_private(staging / MANIFEST)
            self._replace(staging, target)
        except OSError as error:
            raise unwritable(target, error) from None
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
        return target

    def manifest(self, week: dt.date, tenant: str) -> dict:
        return json.loads((self.folder(week, tenant) / MANIFEST).read_text(encoding="utf-8"))

    def read(self, week: dt.date, tenant: str) -> Snapshot:
        folder = self.folder(week, tenant)
        manifest = self.manifest(week, tenant)
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLE_FILES}
        tables.update({name: pd.read_parquet(folder / f"{name}.parquet") for name in OPTIONAL_TABLE_FILES
                       if (folder / f"{name}.parquet").exists()})
        # Parquet keeps categorical values but not the categories of an empty column: restore them.
        tables["presentations"]["outcome"] = outcome_categories(tables["presentations"]["outcome"])
        tables["attendance"]["status"] = status_categories(tables["attendance"]["status"])
        return Snapshot(
            tenant=manifest["tenant"],
            org_id=manifest["org_id"],
            org_name=manifest["org_name"],
            window=ReportWindow(dt.date.fromisoformat(manifest["week"]), manifest["timezone"]),
            quality=manifest["quality"],
            taken_at=dt.datetime.fromisoformat(manifest["taken_at"]),
            **tables,
        )

    @staticmethod
    def _replace(staging: Path, target: Path) -> None:
        # rename() is atomic; the old folder is moved aside first so readers never see a half-written one.
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """The frame as Parquet in row groups of ROW_GROUP_ROWS, converted one group at a time."""
    chunks = (frame.iloc[start:start + ROW_GROUP_ROWS] for start in range(0, max(len(frame), 1), ROW_GROUP_ROWS))
    first = pa.Table.from_pandas(next(chunks), preserve_index=False)
    with pq.ParquetWriter(path, first.schema) as writer:
        writer.write_table(first)
        for chunk in chunks:
            writer.write_table(pa.Table.from_pandas(chunk, schema=first.schema, preserve_index=False))


def _manifest(snapshot: Snapshot) -> dict:
    return {
        "tenant": snapshot.tenant,
        "org_id": snapshot.org_id,
        "org_name": snapshot.org_name,
        "week": snapshot.week.isoformat(),
        "timezone": snapshot.window.timezone,
        "window": snapshot.window.describe(),
        "rows": snapshot.row_counts(),
        "quality": snapshot.quality,
        "taken_at": snapshot.taken_at.isoformat(),
    }
