"""summary.csv: one row per school of a week whose report landed, from the published summaries (pure pandas)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from risk_assets.vocabulary import CRIT, LEVEL_INSUFFICIENT, LEVEL_OK_PARTIAL, OK, WARN

SUMMARY_CSV_COLUMNS = ["tenant", "org_name", "total_students", "crit_count", "crit_pct", "warn_count", "warn_pct",
                       "ok_count", "insufficient_count", "new_warn_or_crit", "generated_at"]


def school_counts(summary: Mapping) -> dict:
    """A school's counts as risk.tenant_weeks and summary.csv report them (OK includes OK_PARTIAL)."""
    levels, wow = summary["levels"], summary["week_over_week"]
    return {
        "total_students": summary["total_students"],
        "crit_count": levels[CRIT]["count"],
        "warn_count": levels[WARN]["count"],
        "ok_count": levels[OK]["count"] + levels[LEVEL_OK_PARTIAL]["count"],
        "ok_partial_count": levels[LEVEL_OK_PARTIAL]["count"],
        "insufficient_count": levels[LEVEL_INSUFFICIENT]["count"],
        "new_warn_or_crit": wow.get("new_warn_or_crit") if wow["available"] else None,
    }


def _percent(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None


def _row(summary: Mapping) -> dict:
    counts = school_counts(summary)
    total = counts["total_students"]
    return {**counts, "tenant": summary["tenant"], "org_name": summary["org_name"],
            "crit_pct": _percent(counts["crit_count"], total), "warn_pct": _percent(counts["warn_count"], total),
            "generated_at": summary["generated_at"]}


def week_table(summaries: Iterable[Mapping]) -> pd.DataFrame:
    """The rows of summary.csv, ordered by tenant."""
    frame = pd.DataFrame([_row(s) for s in summaries], columns=SUMMARY_CSV_COLUMNS)
    frame["new_warn_or_crit"] = frame["new_warn_or_crit"].astype("Int64")
    return frame.sort_values("tenant", ignore_index=True)
