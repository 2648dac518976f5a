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
from typing import Optional

from risk_assets.files import unwritable

STAGING = ".staging"


@dataclass(frozen=True)
class PartitionFiles:
    reports_dir: Path
    week: dt.date
    tenant: str

    @property
    def names(self) -> tuple[str, str, str]:
        return (f"{self.tenant}_students.csv", f"{self.tenant}_summary.json", f"{self.tenant}_report.html")

    @property
    def folder(self) -> Path:
        return Path(self.reports_dir) / self.week.isoformat()

    @property
    def staging(self) -> Path:
        return self.folder / STAGING / self.tenant

    # published: what users, summary.csv and delivery read
    @property
    def students_csv(self) -> Path:
        return self.folder / self.names[0]

    @property
    def summary_json(self) -> Path:
        return self.folder / self.names[1]

    @property
    def report_html(self) -> Path:
        return self.folder / self.names[2]

    # staged: what the steps write and the next step reads
    @property
    def staged_students_csv(self) -> Path:
        return self.staging / self.names[0]

    @property
    def staged_summary_json(self) -> Path:
        return self.staging / self.names[1]

    def rendered_report_html(self, run_id: str) -> Path:
        """Where one run renders the report before publishing it: two runs of the partition at once never
        share it."""
        return self.staging / f"{run_id}_{self.names[2]}"

    def report_inputs(self) -> Optional[tuple[Path, Path]]:
        """(summary JSON, students CSV) to render the report from: the staged pair after a new tenant_summary, else
        the published pair (the report alone rendered again, e.g. with a new template); None without either."""
        if self.staged_summary_json.exists() and self.staged_students_csv.exists():
            return self.staged_summary_json, self.staged_students_csv
        if self.summary_json.exists() and self.students_csv.exists():
            return self.summary_json, self.students_csv
        return None

    def publish(self, rendered_html: Path) -> list[Path]:
        """Move the staged summary and students files (when staged) and the rendered report into the week's
        folder. Callers serialise publishing: a concurrent run of the partition may have published the staged
        pair already."""
        moves = [(rendered_html, self.report_html)]
        if self.staged_summary_json.exists() and self.staged_students_csv.exists():
            moves = [(self.staged_students_csv, self.students_csv), (self.staged_summary_json, self.summary_json),
                     *moves]
        published = []
        for source, target in moves:
            try:
                os.replace(source, target)
            except OSError as error:
                raise unwritable(target, error) from None
            published.append(target)
        return published
