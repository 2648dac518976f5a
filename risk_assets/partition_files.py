"""A partition's files in reports/<week>/: the students CSV, the summary JSON and the report HTML.

The steps that make them write into reports/<week>/.staging/<tenant>/; tenant_report publishes the three together
(renames on one file system, which need no space), so the folder never shows one run's figures with another
run's report. A full disk or a read-only folder fails the step that met it, names the path, and leaves the
published files as they were.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from risk_assets.files import unwritable

STAGING = ".staging"
STUDENTS, SUMMARY, REPORT = "students.csv", "summary.json", "report.html"  # <tenant>_<kind>
PUBLISHED_TOGETHER = (STUDENTS, SUMMARY)  # with the report, when a new tenant_summary staged them


@dataclass(frozen=True)
class PartitionFiles:
    reports_dir: Path
    week: dt.date
    tenant: str

    @property
    def folder(self) -> Path:
        return Path(self.reports_dir) / self.week.isoformat()

    def published(self, kind: str) -> Path:
        """What users, summary.csv and delivery read."""
        return self.folder / f"{self.tenant}_{kind}"

    def staged(self, kind: str) -> Path:
        """What the steps write and the next step reads."""
        return self.folder / STAGING / self.tenant / f"{self.tenant}_{kind}"

    def rendered_report(self, run_id: str) -> Path:
        """Where one run renders the report before publishing it: two runs of the partition at once never
        share it."""
        return self.staged(REPORT).with_name(f"{run_id}_{self.tenant}_{REPORT}")

    def _staged_pair(self) -> bool:
        return all(self.staged(kind).exists() for kind in PUBLISHED_TOGETHER)

    def report_inputs(self) -> tuple[Path, Path] | None:
        """(summary JSON, students CSV) to render the report from: the staged pair after a new tenant_summary, else
        the published pair (the report alone rendered again, e.g. with a new template); None without either."""
        if self._staged_pair():
            return self.staged(SUMMARY), self.staged(STUDENTS)
        if all(self.published(kind).exists() for kind in PUBLISHED_TOGETHER):
            return self.published(SUMMARY), self.published(STUDENTS)
        return None

    def publish(self, rendered_report: Path) -> None:
        """Move the staged summary and students files (when staged) and the rendered report into the week's
        folder. Callers serialise publishing: a concurrent run of the partition may have published the staged
        pair already."""
        pair = [(self.staged(kind), self.published(kind)) for kind in PUBLISHED_TOGETHER] if self._staged_pair() else []
        for source, target in [*pair, (rendered_report, self.published(REPORT))]:
            try:
                os.replace(source, target)
            except OSError as error:
                raise unwritable(target, error) from None
