"""The R engine's side of the exchange: its command line, its thresholds file and reading its result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from risk_assets.config import Thresholds
from risk_assets.errors import UserError
from risk_assets.settings import PROJECT_DIR
from risk_assets.vocabulary import (
    INTEGER,
    NULLABLE_INTEGER,
    NUMBER,
    OPTIONAL_DOMAINS,
    STUDENT_COLUMNS,
    TEXT,
    columns_of_kind,
)

R_SCRIPT = PROJECT_DIR / "r" / "compute_metrics.R"
DEBIAN_PACKAGES = "r-base-core r-cran-jsonlite r-cran-yaml r-cran-data.table"


def rscript() -> str:
    """Path of Rscript (RISK_RSCRIPT or PATH), or a clear error saying what to install."""
    chosen = os.environ.get("RISK_RSCRIPT", "").strip()
    if chosen and not (os.path.isfile(chosen) and os.access(chosen, os.X_OK)):
        raise UserError(f"RISK_RSCRIPT={chosen!r} is not an executable file: point it at R's Rscript "
                        f"(e.g. RISK_RSCRIPT={shutil.which('Rscript') or '/usr/bin/Rscript'}), or unset it to use the "
                        "Rscript on PATH")
    found = chosen or shutil.which("Rscript")
    if not found:
        raise UserError(
            "metrics_engine is 'r' but Rscript was not found: install R with "
            f"`apt-get install -y --no-install-recommends {DEBIAN_PACKAGES}` (or set RISK_RSCRIPT), "
            "or set `metrics_engine: python` in tenants.yaml"
        )
    return found


def command(snapshot_dir: Path, thresholds_file: Path, out_csv: Path) -> list[str]:
    return [rscript(), "--vanilla", str(R_SCRIPT), str(snapshot_dir), str(thresholds_file), str(out_csv)]


def write_thresholds(thresholds: Thresholds, path: Path) -> Path:
    """Every key spelled out, so the R script needs no knowledge of profile defaults."""
    path.write_text(yaml.safe_dump(thresholds.model_dump(), sort_keys=True), encoding="utf-8")
    return path


def read_result(path: Path) -> pd.DataFrame:
    """R's CSV as the same typed frame the Python engine returns."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in columns_of_kind(TEXT)},
                        float_precision="round_trip")
    missing = [c for c in STUDENT_COLUMNS if c not in frame.columns]
    if missing:
        raise UserError(f"the R engine's output {path} lacks column(s) {', '.join(missing)}")
    frame["reason_codes"] = frame["reason_codes"].fillna("")
    frame["display_name"] = frame["display_name"].fillna("")
    for column in ("class_name", *(f"{domain}_status" for domain in OPTIONAL_DOMAINS)):  # empty: None
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    for column in columns_of_kind(INTEGER):
        frame[column] = frame[column].astype(np.int64)
    for column in columns_of_kind(NULLABLE_INTEGER):
        frame[column] = frame[column].astype("Int64")
    for column in columns_of_kind(NUMBER):
        frame[column] = frame[column].astype(float)
    return frame[STUDENT_COLUMNS]
