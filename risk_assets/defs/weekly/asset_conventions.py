"""What every weekly asset shares: its group, owners and a code version from its sources.

No asset sets a backfill policy: Dagster's default is one run per partition, tagged `dagster/partition`, so a
partition's checks, hold and failure are its own (docs/orchestration.md). A BackfillPolicy — even multi_run(1) —
would launch ranged runs, in which Dagster records check results without a partition.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable

import dagster as dg

GROUP = "weekly_risk"
OWNERS = ["team:risk-reports"]


def weekly_asset(partitions: dg.PartitionsDefinition, name: str, upstream: str | None = None, **options: Any):
    """`@dg.asset` of the weekly group: week × tenant partitions, its owners, and its one upstream asset."""
    return dg.asset(name=name, partitions_def=partitions, deps=[dg.AssetDep(upstream)] if upstream else None,
                    group_name=GROUP, owners=OWNERS, **options)


def code_version(*sources: Path | str, files: Iterable[Path] = ()) -> str:
    """A short digest of what decides the asset's output: its source files and any extra text (spec version…)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes() if isinstance(source, Path) else source.encode("utf-8"))
    for path in sorted(files):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
