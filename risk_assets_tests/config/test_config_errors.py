"""Every configuration mistake yields one clear message naming the file, the place and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from risk_assets.config import ConfigError, load_config, load_tenants, load_thresholds
from risk_assets.settings import PROJECT_DIR

GOOD_TENANTS = textwrap.dedent(
    """\
    first_week: 2025-09-01
    tenants:
      - key: seoul-central
        org_id: 101
        name: 서울중앙중학교
        timezone: Asia/Seoul
        locale: ko
        delivery:
          email:
            to: [principal@seoul.example.kr]
          slack:
            webhook_env: SLACK_WEBHOOK_SEOUL
      - key: nyc-bridge
        org_id: 201
        name: Bridge Academy
        timezone: America/New_York
        locale: en
    """
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def tenants_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, "tenants.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_tenants(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def thresholds_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, "thresholds.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_thresholds(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_good_files_parse_into_typed_objects(tmp_path):
    tenants = load_tenants(write(tmp_path, "tenants.yaml", GOOD_TENANTS))
    assert tenants.keys == ["seoul-central", "nyc-bridge"]
    seoul = tenants.get("seoul-central")
    assert seoul.org_id == 101 and seoul.name == "서울중앙중학교" and seoul.enabled is True
    assert seoul.delivery.email.to == ["principal@seoul.example.kr"]
    assert seoul.delivery.slack.webhook_env == "SLACK_WEBHOOK_SEOUL"
    assert tenants.get("nyc-bridge").locale == "en"
    assert str(tenants.get("nyc-bridge").zone) == "America/New_York"


def test_examples_are_valid_and_legacy_is_the_default():
    config = load_config(PROJECT_DIR / "config")
    assert config.tenants_path.name == "tenants.yaml.example" or config.tenants_path.name == "tenants.yaml"
    legacy = load_thresholds(PROJECT_DIR / "config" / "thresholds.yaml.example")
    assert legacy.profile == "legacy"
    assert (legacy.theta.delta_7d_warn, legacy.theta.delta_7d_crit) == (-0.15, -0.30)
    assert (legacy.theta.delta_14d_warn, legacy.theta.delta_14d_crit) == (-0.25, -0.50)
    assert (legacy.omit.warn_pct, legacy.omit.crit_pct, legacy.omit.min_count) == (8, 15, 0)
    assert (legacy.guess.warn, legacy.guess.crit, legacy.guess.gate) == (0.30, 0.40, "none")
    assert legacy.attendance.weekly_crit_min_days == 1
    assert legacy.irt.D == 1.0


def test_reliable_profile_adds_gates_and_single_keys_override(tmp_path):
    reliable = load_thresholds(write(tmp_path, "thresholds.yaml", "profile: reliable\nomit:\n  min_count: 5\n"))
    assert reliable.theta.gate == "z" and reliable.theta.streak_gate == "z" and reliable.theta.streak_eps == 0.05
    assert reliable.guess.gate == "z"
    assert reliable.attendance.weekly_crit_min_days == 2
    assert reliable.omit.min_count == 5  # the file wins over the profile
    assert reliable.omit.warn_pct == 8


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("    locale: en", "    locael: en"))
    assert "tenants[1] (key 'nyc-bridge'): unknown key 'locael'; did you mean 'locale'?" in message


def test_unknown_threshold_key(tmp_path):
    message = thresholds_error(tmp_path, "omit:\n  warn_percent: 8\n")
    assert "omit: unknown key 'warn_percent'; did you mean 'warn_pct'?" in message


def test_missing_field_says_what_to_add(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("    org_id: 201\n", ""))
    assert "tenants[1] (key 'nyc-bridge'): missing required field 'org_id'; add e.g. `org_id: 101`" in message


def test_missing_first_week(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("first_week: 2025-09-01\n", ""))
    assert "top level: missing required field 'first_week'; add e.g. `first_week: 2025-09-01`" in message


def test_duplicate_tenant_key(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("key: nyc-bridge", "key: seoul-central"))
    assert "tenants[1] repeats key 'seoul-central' of tenants[0]; every tenant needs its own key" in message


def test_duplicate_org_id(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("org_id: 201", "org_id: 101"))
    assert "tenants[1] repeats org_id 101 of tenants[0]; every tenant needs its own org_id" in message


def test_duplicate_yaml_key_is_not_silently_overwritten(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("    locale: ko\n", "    locale: ko\n    locale: en\n"))
    assert "line 8, column 5: duplicate key 'locale' (first written on line 7); keep only one" in message


def test_bad_timezone_suggests_the_closest(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("timezone: Asia/Seoul", "timezone: Asia/Seul"))
    assert (
        "tenants[0] (key 'seoul-central').timezone: 'Asia/Seul' is not a known IANA time zone; "
        "did you mean 'Asia/Seoul'?" in message
    )


def test_malformed_email(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("principal@seoul.example.kr", "principal.seoul.example.kr"))
    assert (
        "tenants[0] (key 'seoul-central').delivery.email.to[0]: 'principal.seoul.example.kr' is not an e-mail "
        "address; write it as name@school.example" in message
    )


def test_webhook_url_in_yaml_is_refused_without_echoing_it(tmp_path):
    secret = "https://hooks.slack.example/services/T000/B000/XXXXSECRET"
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("SLACK_WEBHOOK_SEOUL", secret))
    assert "must be the NAME of an environment variable that holds the secret" in message
    assert "XXXXSECRET" not in message


def test_bad_tenant_key(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("key: nyc-bridge", "key: NYC Bridge"))
    assert "'NYC Bridge' is not a valid tenant key" in message and "(e.g. 'nyc-bridge')" in message


def test_first_week_must_be_a_monday(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("2025-09-01", "2025-09-03"))
    assert "first_week: 2025-09-03 is a Wednesday; report weeks start on a Monday (e.g. 2025-09-01)" in message


def test_non_number_org_id(tmp_path):
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("org_id: 101", "org_id: one-oh-one"))
    assert "tenants[0] (key 'seoul-central').org_id: must be a whole number, got 'one-oh-one'" in message


def test_non_number_threshold(tmp_path):
    message = thresholds_error(tmp_path, "guess:\n  warn: high\n")
    assert "guess.warn: must be a number, got 'high'; e.g. `warn: 0.30`" in message


def test_fractional_percent(tmp_path):
    message = thresholds_error(tmp_path, "omit:\n  warn_pct: 8.5\n")
    assert "omit.warn_pct: must be a whole number, got 8.5" in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("theta:\n  delta_7d_warn: -0.40\n",
         "theta.delta_7d_crit (-0.3) must be a larger drop than theta.delta_7d_warn (-0.4), both negative"),
        ("theta:\n  delta_14d_crit: -0.20\n",
         "theta.delta_14d_crit (-0.2) must be a larger drop than theta.delta_14d_warn (-0.25), both negative"),
        ("omit:\n  warn_pct: 20\n",
         "omit.warn_pct (20) must not be above omit.crit_pct (15): WARN fires at a lower omit rate than CRIT"),
        ("guess:\n  warn: 0.45\n",
         "guess.warn (0.45) must not be above guess.crit (0.4): WARN fires at a lower c_hat than CRIT"),
        ("attendance:\n  week_warn_pct: 25\n",
         "attendance.week_warn_pct (25) must not be above attendance.week_crit_pct (20)"),
        ("attendance:\n  two_week_crit_pct: 10\n",
         "attendance.two_week_warn_pct (15) must not be above attendance.two_week_crit_pct (10)"),
    ],
)
def test_warn_and_crit_in_the_wrong_order(tmp_path, text, expected):
    assert expected in thresholds_error(tmp_path, text)


def test_unknown_gate_value(tmp_path):
    message = thresholds_error(tmp_path, "theta:\n  gate: sigma\n")
    assert "theta.gate: must be 'none' or 'z', got 'sigma'" in message


def test_prior_alpha_below_one(tmp_path):
    message = thresholds_error(tmp_path, "guess:\n  prior_alpha: 0.5\n")
    assert "guess.prior_alpha: must be at least 1.0, got 0.5" in message


def test_empty_tenant_list_and_negative_org_id(tmp_path):
    assert "tenants: must not be empty" in tenants_error(tmp_path, "first_week: 2025-09-01\ntenants: []\n")
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("org_id: 101", "org_id: -5"))
    assert "tenants[0] (key 'seoul-central').org_id: must be greater than 0, got -5" in message


def test_unknown_profile(tmp_path):
    message = thresholds_error(tmp_path, "profile: strict\n")
    assert "profile: must be 'legacy' or 'reliable', got 'strict'" in message


def test_yaml_syntax_error_names_the_line(tmp_path):
    message = tenants_error(tmp_path, "first_week: 2025-09-01\ntenants:\n  - key: [unclosed\n")
    assert "line 4" in message or "line 3" in message


def test_cli_prints_config_errors_without_traceback(tmp_path):
    write(tmp_path, "tenants.yaml", GOOD_TENANTS.replace("timezone: Asia/Seoul", "timezone: Mars/Olympus"))
    write(tmp_path, "thresholds.yaml", "profile: legacy\n")
    result = subprocess.run(
        [sys.executable, "-m", "risk_assets.cli.main", "run", "--week", "2025-09-01"],
        env={**os.environ, "RISK_CONFIG_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"risk-report: error: invalid configuration in {tmp_path / 'tenants.yaml'}:" in result.stderr
    assert "'Mars/Olympus' is not a known IANA time zone" in result.stderr


def test_report_renderer_and_template(tmp_path):
    from risk_assets.project import Project
    from risk_assets.settings import DEFAULT_REPORT_TEMPLATE, Settings

    assert "report.renderer: must be 'auto', 'quarto' or 'builtin', got 'pandoc'" in tenants_error(
        tmp_path, "report:\n  renderer: pandoc\n" + GOOD_TENANTS)
    assert "is not a Quarto document: give the path of a .qmd file" in tenants_error(
        tmp_path, "report:\n  template: report.html\n" + GOOD_TENANTS)

    write(tmp_path, "tenants.yaml", "report:\n  renderer: quarto\n  template: quarto/examples/custom/custom_report.qmd\n"
          + GOOD_TENANTS)
    write(tmp_path, "thresholds.yaml", "profile: legacy\n")
    config = load_config(tmp_path)
    project = Project(config, Settings.from_env({"RISK_CONFIG_DIR": str(tmp_path)}))
    assert project.report_renderer == "quarto"
    assert project.report_template == PROJECT_DIR / "quarto" / "examples" / "custom" / "custom_report.qmd"
    overridden = Project(config, Settings.from_env({"RISK_REPORT_RENDERER": "builtin"}))
    assert overridden.report_renderer == "builtin"
    default = Project(load_config(PROJECT_DIR / "config"), Settings.from_env({}))
    assert (default.report_renderer, default.report_template) == ("auto", DEFAULT_REPORT_TEMPLATE)


def test_a_bad_renderer_override_is_refused():
    from risk_assets.errors import UserError
    from risk_assets.settings import Settings

    with pytest.raises(UserError, match="RISK_REPORT_RENDERER='fast' is not auto, quarto or builtin"):
        Settings.from_env({"RISK_REPORT_RENDERER": "fast"})
