"""Without R, choosing the R engine says exactly what to install."""

from __future__ import annotations

import pytest

from risk_assets.errors import UserError
from risk_assets.metrics import r_engine


def test_missing_rscript_names_the_debian_packages(monkeypatch, tmp_path):
    monkeypatch.delenv("RISK_RSCRIPT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError) as caught:
        r_engine.command(tmp_path, tmp_path / "t.yaml", tmp_path / "out.csv")
    assert str(caught.value) == (
        "metrics_engine is 'r' but Rscript was not found: install R with `apt-get install -y "
        "--no-install-recommends r-base-core r-cran-jsonlite r-cran-yaml r-cran-data.table` (or set RISK_RSCRIPT), "
        "or set `metrics_engine: python` in tenants.yaml"
    )
