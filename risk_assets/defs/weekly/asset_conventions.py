"""What every weekly asset shares: its group, owners, its one upstream asset and a code version from its sources.

The four assets are specs of one step, `weekly_risk` (`pipeline.py`), which materialises many partitions per run
and records each partition's materialisation and check evaluations on their own (docs/orchestration.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg

GROUP = "weekly_risk"
OWNERS = ["team:risk-reports"]
SNAPSHOT, METRICS, SUMMARY, REPORT = "snapshot", "metrics", "tenant_summary", "tenant_report"
ASSETS = (SNAPSHOT, METRICS, SUMMARY, REPORT)  # in the order a partition goes through them
FAILED_PARTITIONS = "failed_partitions"  # the failure metadata of a weekly run: partition → why it was held or failed
# The catalog's column schema and row count: Dagster's documented metadata keys (dagster 1.13.27 does not export the
# TableMetadataSet class that writes them).
COLUMN_SCHEMA, ROW_COUNT = "dagster/column_schema", "dagster/row_count"


def weekly_spec(name: str, upstream: str | None = None, **options: Any) -> dg.AssetSpec:
    """An asset of the weekly group: its owners and its one upstream asset. Skippable: a partition held by a
    blocking check or failed is left out of a run's materializations while the others are recorded."""
    return dg.AssetSpec(name, deps=[upstream] if upstream else [], group_name=GROUP, owners=OWNERS, skippable=True,
                        **options)


def code_version(*sources: Path | str, files: Iterable[Path] = ()) -> str:
    """A short digest of what decides the asset's output: its source files and any extra text (spec version…)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes() if isinstance(source, Path) else source.encode("utf-8"))
    for path in sorted(files):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def column_schema(columns: Iterable[tuple[str, str, str, bool]]) -> dg.TableSchema:
    """The catalog's column schema from (name, type, description, nullable) of each column."""
    return dg.TableSchema(columns=[
        dg.TableColumn(name, type=kind, description=description or None,
                       constraints=dg.TableColumnConstraints(nullable=nullable))
        for name, kind, description, nullable in columns])
