"""What every weekly asset shares: its group, owners, one run per partition, and a code version from its sources."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from dagster import BackfillPolicy

GROUP = "weekly_risk"
OWNERS = ["team:risk-reports"]
# One run per (week, tenant): a partition's checks, hold and failure are its own (docs/orchestration.md).
ONE_RUN_PER_PARTITION = BackfillPolicy.multi_run(max_partitions_per_run=1)


def code_version(*sources: Path | str, files: Iterable[Path] = ()) -> str:
    """A short digest of what decides the asset's output: its source files and any extra text (spec version…)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes() if isinstance(source, Path) else source.encode("utf-8"))
    for path in sorted(files):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
