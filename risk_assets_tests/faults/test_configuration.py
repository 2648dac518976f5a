"""Configuration gives the right result or a clear error, never a silent one
(docs/reliability.md, "Configuration mistakes")."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from risk_assets.config import ConfigError, load_config, load_thresholds
from risk_assets.config.yaml_files import MAX_CONFIG_BYTES
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
                           overrides=thresholds.overrides(), engagement_on=False)

    assert ('<p id="threshold-overrides">Settings that differ from the profile: <code>theta.gate</code> = none, '
            '<code>omit.warn_pct</code> = 10</p>') in html
    assert html.count('<tr class="override">') == 2


GOOD_TENANTS = ("first_week: 2026-10-19\ntenants:\n  - key: seoul-central\n    org_id: 101\n"
                "    name: 서울중앙중학교\n")
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(20))


@pytest.mark.parametrize(("file", "text", "message"), [
    ("tenants.yaml", 'schedule:\n  cron: "99 6 * * 1"\n' + GOOD_TENANTS,
     "schedule.cron: '99 6 * * 1': the minute field allows 0-59, not 99; e.g. '0 6 * * 1' (Monday 06:00)"),
    ("thresholds.yaml", "irt:\n  D: .inf\n", "irt.D: must be a finite number, got inf; e.g. `D: 1.0`"),
    ("thresholds.yaml", "theta:\n  z_max: .nan\n", "theta.z_max: must be a finite number, got nan"),
    ("thresholds.yaml", BOMB, "line 2, column 8: YAML aliases (*a) are not allowed in configuration files; "
                              "write the value out"),
])
def test_mistakes_are_one_clear_message_with_exit_2(tmp_path, file, text, message):
    (tmp_path / "tenants.yaml").write_text(GOOD_TENANTS, encoding="utf-8")
    (tmp_path / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")
    (tmp_path / file).write_text(text, encoding="utf-8")

    done = subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "validate"], capture_output=True, text=True,
                          env={**os.environ, "RISK_CONFIG_DIR": str(tmp_path)}, timeout=120, check=False)

    assert done.returncode == 2, done.stderr
    assert message in done.stderr and str(tmp_path / file) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_directory_or_a_dangling_link_is_an_error_not_the_example(tmp_path):
    (tmp_path / "tenants.yaml.example").write_text(GOOD_TENANTS, encoding="utf-8")
    (tmp_path / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")
    (tmp_path / "tenants.yaml").symlink_to(tmp_path / "moved-away.yaml")
    with pytest.raises(ConfigError, match="is a symbolic link to .*moved-away.yaml, which does not exist"):
        load_config(tmp_path)

    (tmp_path / "tenants.yaml").unlink()
    (tmp_path / "tenants.yaml").mkdir()
    with pytest.raises(ConfigError, match="is a directory, not a file: put the YAML file at this path"):
        load_config(tmp_path)


def test_a_file_just_over_the_limit_is_refused_before_parsing_and_one_at_the_limit_is_read(tmp_path):
    """The limit is 16,000,000 bytes: a tenants.yaml for 10,000 schools with four recipients and Slack each is
    5.7 MB, with fourteen recipients 9.8 MB."""
    path = tmp_path / "thresholds.yaml"
    setting = "\nprofile: reliable\n"
    path.write_text("#" * (MAX_CONFIG_BYTES - len(setting)) + setting, encoding="utf-8")
    assert path.stat().st_size == MAX_CONFIG_BYTES
    assert load_thresholds(path).profile == "reliable"

    path.write_text("#" * (MAX_CONFIG_BYTES + 1 - len(setting)) + setting, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"16,000,001 bytes is too large for a configuration file \(at most "
                                          r"16,000,000\); is this the right file\?"):
        load_thresholds(path)


SLACK_TENANTS = GOOD_TENANTS + "    delivery:\n      slack:\n        webhook_env: SLACK_HOOK_SEOUL\n"
SMTP = {"SMTP_HOST": "127.0.0.1", "SMTP_FROM": "reports@school.example"}


@pytest.mark.parametrize(("tenants", "variables", "message"), [
    (GOOD_TENANTS, {**SMTP, "SMTP_PORT": "abc"}, "SMTP_PORT='abc' is not a port number"),
    (GOOD_TENANTS, {**SMTP, "SMTP_TLS": "tls"}, "SMTP_TLS='tls' is not one of starttls, ssl, none"),
    (GOOD_TENANTS, {"SMTP_HOST": "127.0.0.1"}, "SMTP_HOST is set but SMTP_FROM is not"),
    (GOOD_TENANTS, {**SMTP, "SMTP_USER": "reports"}, "SMTP_USER is set ('reports') but SMTP_PASSWORD is not"),
    (SLACK_TENANTS, {},
     "tenant 'seoul-central': environment variable SLACK_HOOK_SEOUL named in tenants.yaml is not set"),
    (GOOD_TENANTS.replace("first_week", "metrics_engine: r\nfirst_week"), {"RISK_RSCRIPT": "/nonexistent"},
     "RISK_RSCRIPT='/nonexistent' is not an executable file"),
])
def test_run_checks_delivery_and_engine_settings_before_it_starts(tmp_path, tenants, variables, message):
    """Delivery and engine settings that cannot work: exit 2 at the start, not exit 1 after the reports were made."""
    (tmp_path / "tenants.yaml").write_text(tenants, encoding="utf-8")
    (tmp_path / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SMTP_", "SLACK_", "RISK_R"))}

    done = subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "run", "--week", "2026-11-16"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**env, "RISK_CONFIG_DIR": str(tmp_path), **variables})

    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and "embedded PostgreSQL" not in done.stdout + done.stderr


BIGINT_MAX = 2**63 - 1
LONG_KEY = "s" * 300


@pytest.mark.parametrize(("old", "new", "message"), [
    ("first_week:", 'schedule:\n  cron: "0 6 31 2 *"\nfirst_week:',
     "schedule.cron: '0 6 31 2 *' names no real date: no month in its month field (2) has a day in its day-of-month "
     "field (31); e.g. '0 6 * * 1' (Monday 06:00)"),
    ("first_week:", 'schedule:\n  cron: "*/0 6 * * 1"\nfirst_week:',
     "schedule.cron: '*/0 6 * * 1': the minute field has a step of 0; a step is 1 or more (e.g. */15)"),
    ("org_id: 101", f"org_id: {BIGINT_MAX + 1}",
     f"tenants[0] (key 'seoul-central').org_id: must be above 0 and at most {BIGINT_MAX}, got {BIGINT_MAX + 1}; "
     "organizations.org_id in the source database (a PostgreSQL bigint)"),
    ("key: seoul-central", f"key: {LONG_KEY}",
     f"tenants[0] (key '{LONG_KEY}').key: is 300 characters long; a tenant key has at most 100"),
])
def test_run_refuses_a_configuration_dagster_would_fail_on_before_it_starts(tmp_path, old, new, message):
    """A cron that never fires, an org_id PostgreSQL cannot hold, a key too long for a file name: exit 2 naming
    the file, the tenant and the fix, before the database or Dagster starts."""
    (tmp_path / "tenants.yaml").write_text(GOOD_TENANTS.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "thresholds.yaml").write_text("profile: legacy\n", encoding="utf-8")

    done = subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "run", "--week", "2026-11-16"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "RISK_CONFIG_DIR": str(tmp_path)})

    assert done.returncode == 2, done.stderr
    assert f"risk-report: error: invalid configuration in {tmp_path / 'tenants.yaml'}:\n  - {message}" in done.stderr
    assert "Traceback" not in done.stderr and "embedded PostgreSQL" not in done.stdout + done.stderr


@pytest.mark.parametrize("port", ["²", "abc", "70000"])
def test_a_ui_port_that_is_not_a_port_is_named_not_a_traceback(tmp_path, port):
    """DAGSTER_PORT was read with int() while the command line was built, so any command crashed on it."""
    env = {**os.environ, "DAGSTER_PORT": port, "DAGSTER_HOME": str(tmp_path)}
    for command in (["deliveries", "--help"], ["ui"]):
        done = subprocess.run([sys.executable, "-m", "risk_assets.cli.main", *command], capture_output=True,
                              text=True, env=env, cwd=PROJECT_DIR, timeout=120)
        assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2
    assert done.stderr.strip() == (f"risk-report: error: DAGSTER_PORT={port!r} is not a port number: write a port "
                                   "number 1-65535 in ASCII digits, e.g. DAGSTER_PORT=3000, or unset it")
    flag = subprocess.run([sys.executable, "-m", "risk_assets.cli.main", "ui", "--port", port], capture_output=True,
                          text=True, env={**os.environ, "DAGSTER_HOME": str(tmp_path)}, cwd=PROJECT_DIR, timeout=120)
    assert flag.returncode == 2 and f"argument --port: {port!r} is not a port number" in flag.stderr
