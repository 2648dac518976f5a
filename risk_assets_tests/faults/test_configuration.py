"""Configuration gives the right result or a clear error, never a silent one (issue 12, item 8)."""

from __future__ import annotations

from risk_assets.config import load_thresholds
from risk_assets.report.brand import load_brand
from risk_assets.report.fragments import render_fragment
from risk_assets.report.strings import STRINGS
from risk_assets.settings import PROJECT_DIR

EXAMPLE = PROJECT_DIR / "config" / "thresholds.yaml.example"


def test_profile_reliable_in_a_copy_of_the_example_takes_effect(tmp_path):
    path = tmp_path / "thresholds.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace("profile: legacy", "profile: reliable"),
                    encoding="utf-8")

    thresholds = load_thresholds(path)

    assert (thresholds.theta.gate, thresholds.theta.streak_eps, thresholds.theta.streak_gate) == ("z", 0.05, "z")
    assert (thresholds.omit.min_count, thresholds.guess.gate, thresholds.attendance.weekly_crit_min_days) == (3, "z", 2)
    assert thresholds.overrides() == {}
    assert load_thresholds(EXAMPLE).overrides() == {}


def test_the_report_names_every_override_in_force(tmp_path):
    path = tmp_path / "thresholds.yaml"
    path.write_text("profile: reliable\ntheta:\n  gate: none\nomit:\n  warn_pct: 10\n", encoding="utf-8")
    thresholds = load_thresholds(path)
    assert thresholds.overrides() == {"theta.gate": "none", "omit.warn_pct": 10}

    html = render_fragment(PROJECT_DIR / "quarto" / "templates", "methodology.html.j2", words=STRINGS["en"],
                           brand=load_brand(PROJECT_DIR / "quarto"),
                           summary={"spec_version": "v1", "profile": "reliable"},
                           thresholds=[("theta.gate", "none"), ("omit.warn_pct", 10), ("omit.crit_pct", 15)],
                           overrides=thresholds.overrides())

    assert ('<p id="threshold-overrides">Settings that differ from the profile: <code>theta.gate</code> = none, '
            '<code>omit.warn_pct</code> = 10</p>') in html
    assert html.count('<tr class="override">') == 2
