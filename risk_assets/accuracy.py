"""Detection accuracy against the demo generator's ground truth (precision, recall, false flags)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk_assets.vocabulary import CRIT, active_domains
from risk_assets.vocabulary import FLAGGED_LEVELS as FLAGGED


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def detection_table(metrics: pd.DataFrame, truth: pd.DataFrame, profile: str) -> pd.DataFrame:
    """Per domain and severity (WARN+ and CRIT): precision and recall of the flags, and the share of
    ordinary students (truth OK) flagged WARN+ — the false-flag rate. ENGAGEMENT is scored when it was on."""
    joined = metrics.merge(truth, on="student_id", how="inner", validate="one_to_one")
    rows = []
    for domain in active_domains(metrics):
        status = joined[f"{domain}_status"]
        expected = joined[f"expected_{domain}"]
        ordinary = (joined["group"] == "ordinary") & (expected == "OK")
        false_flags = int(status[ordinary].isin(FLAGGED).sum())
        for severity, levels in (("WARN+", FLAGGED), ("CRIT", (CRIT,))):
            predicted = status.isin(levels).to_numpy()
            actual = expected.isin(levels).to_numpy()
            hits = int((predicted & actual).sum())
            rows.append({
                "profile": profile,
                "domain": domain,
                "severity": severity,
                "true": int(actual.sum()),
                "flagged": int(predicted.sum()),
                "precision": _ratio(hits, int(predicted.sum())),
                "recall": _ratio(hits, int(actual.sum())),
                "ordinary": int(ordinary.sum()),
                "false_flag_rate": _ratio(false_flags, int(ordinary.sum())) if severity == "WARN+" else np.nan,
            })
    return pd.DataFrame(rows)


def format_detection_table(table: pd.DataFrame) -> str:
    """Markdown table, numbers to three decimals, '—' where undefined."""
    def cell(value) -> str:
        if isinstance(value, float):
            return "—" if np.isnan(value) else f"{value:.3f}"
        return str(value)

    columns = ["profile", "domain", "severity", "true", "flagged", "precision", "recall", "false_flag_rate"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for _, row in table.iterrows()]
    return "\n".join(lines)
