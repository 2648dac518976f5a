"""Per-student risk metrics (spec v1): pure pandas/numpy, no Dagster.

One module per domain — theta, omit, guessing, attendance — combined by levels and engine.
"""

from risk_assets.metrics.engine import compute_metrics
from risk_assets.vocabulary import SPEC_VERSION, STUDENT_COLUMNS

__all__ = ["SPEC_VERSION", "STUDENT_COLUMNS", "compute_metrics"]
