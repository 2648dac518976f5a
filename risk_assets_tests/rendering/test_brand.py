"""The brand file: validated with brand-yml as Quarto reads it, one source of colours for both renderers."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from risk_assets.report.brand import BrandError, load_brand
from risk_assets.settings import PROJECT_DIR

QUARTO_DIR = PROJECT_DIR / "quarto"


def test_the_shipped_brand_file():
    brand = load_brand(QUARTO_DIR)

    assert brand.colours == {"primary": "#1f3a5f", "CRIT": "#b03a2e", "WARN": "#b9770e", "OK": "#1e8449",
                             "INSUFFICIENT": "#7f8c8d"}
    assert brand.logo_data_uri.startswith("data:image/svg+xml;base64,")
    assert brand.css_variables == {"primary": "#1f3a5f", "crit": "#b03a2e", "warn": "#b9770e", "ok": "#1e8449",
                                   "insufficient": "#7f8c8d"}


def test_the_old_brand_file_is_a_clear_error(tmp_path):
    """The file of earlier releases put crit/warn/ok/insufficient under color, which Quarto rejects."""
    old = subprocess.run(["git", "show", "fead95c:quarto/_brand.yml"], cwd=PROJECT_DIR, capture_output=True,
                         text=True, check=False).stdout
    if not old:  # a shallow clone: the same file, as it was
        old = ("color:\n  palette: {navy: '#1f3a5f', red: '#b03a2e', amber: '#b9770e', green: '#1e8449', "
               "grey: '#7f8c8d'}\n  primary: navy\n  crit: red\n  warn: amber\n  ok: green\n  insufficient: grey\n")
    (tmp_path / "_brand.yml").write_text(old, encoding="utf-8")
    shutil.copy(QUARTO_DIR / "logo.svg", tmp_path / "logo.svg")

    with pytest.raises(BrandError) as raised:
        load_brand(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / '_brand.yml'} is not a valid brand file (https://posit-dev.github.io/brand-yml/): "
        "color.crit, color.warn, color.ok, color.insufficient are not brand colours: use foreground, background, "
        "primary, secondary, tertiary, success, info, warning, danger, light, dark, or define the colour under "
        "color.palette and name it from one of those (e.g. `danger: red`)")


@pytest.mark.parametrize(("text", "message"), [
    ("color:\n  danger: blood-red\n", "color.danger is 'blood-red', which is neither a colour (#rrggbb) nor the "
                                      "name of a color.palette entry"),
    ("logo:\n  small: missing.svg\n", "logo file missing.svg does not exist next to the brand file"),
    ("colour:\n  primary: '#000'\n", "colour is not a brand.yml key"),
])
def test_brand_mistakes_name_the_key(tmp_path, text, message):
    (tmp_path / "_brand.yml").write_text(text, encoding="utf-8")

    with pytest.raises(BrandError, match=re.escape(message)):
        load_brand(tmp_path)


def test_theme_defaults_when_there_is_no_brand_file(tmp_path):
    assert load_brand(tmp_path).colours["CRIT"] == "#dc3545"
