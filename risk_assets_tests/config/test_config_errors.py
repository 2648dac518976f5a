"""Every configuration mistake yields one clear message naming the file, the place and the fix."""

from __future__ import annotations

import datetime as dt
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
        "tenants[0] (key 'seoul-central').timezone: 'Asia/Seul' is not a canonical IANA time zone name; "
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
    assert "guess.prior_alpha: must be from 1 to 100, got 0.5" in message


def test_empty_tenant_list_and_negative_org_id(tmp_path):
    assert "tenants: must not be empty" in tenants_error(tmp_path, "first_week: 2025-09-01\ntenants: []\n")
    message = tenants_error(tmp_path, GOOD_TENANTS.replace("org_id: 101", "org_id: -5"))
    assert f"tenants[0] (key 'seoul-central').org_id: must be above 0 and at most {BIGINT_MAX}, got -5" in message


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
    assert "'Mars/Olympus' is not a canonical IANA time zone name" in result.stderr


def test_report_renderer_and_template(tmp_path):
    from risk_assets.project import Project
    from risk_assets.settings import DEFAULT_REPORT_TEMPLATE, Settings

    assert "report.renderer: must be 'auto', 'quarto' or 'builtin', got 'pandoc'" in tenants_error(
        tmp_path, "report:\n  renderer: pandoc\n" + GOOD_TENANTS)
    assert "is not a Quarto document: give the path of an existing .qmd file" in tenants_error(
        tmp_path, "report:\n  template: report.html\n" + GOOD_TENANTS)

    write(tmp_path, "tenants.yaml", "report:\n  renderer: quarto\n"
          "  template: quarto/examples/custom/custom_report.qmd\n" + GOOD_TENANTS)
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


CRON_FIX = "e.g. '0 6 * * 1' (Monday 06:00)"


@pytest.mark.parametrize(("cron", "expected"), [
    ("0 6 31 2 *", "schedule.cron: '0 6 31 2 *' names no real date: no month in its month field (2) has a day in its "
                   "day-of-month field (31); " + CRON_FIX),
    ("0 6 30 2 *", "schedule.cron: '0 6 30 2 *' names no real date: no month in its month field (2) has a day in its "
                   "day-of-month field (30)"),
    ("0 6 30-31 feb *", "'0 6 30-31 feb *' names no real date"),
    ("0 6 31 4,6,9,11 *", "'0 6 31 4,6,9,11 *' names no real date"),
    ("0 6 31 2 1", "'0 6 31 2 1' names no real date"),
    ("*/0 6 * * 1", "schedule.cron: '*/0 6 * * 1': the minute field has a step of 0; a step is 1 or more (e.g. "
                    "*/15); " + CRON_FIX),
    ("0 6 1-31/0 * *", "'0 6 1-31/0 * *': the day-of-month field has a step of 0"),
    ("0 6 * * 1 2026", "schedule.cron: '0 6 * * 1 2026' is not a cron expression of 5 fields; " + CRON_FIX),
    ("0 6 * *", "'0 6 * *' is not a cron expression of 5 fields"),
    ("0 24 * * 1", "'0 24 * * 1': the hour field allows 0-23, not 24"),
    ("0 6 0 * *", "'0 6 0 * *': the day-of-month field allows 1-31, not 0"),
    ("0 6 * 13 *", "'0 6 * 13 *': the month field allows 1-12, not 13"),
    ("0 6 * * 8", "'0 6 * * 8': the day-of-week field allows 0-7, not 8"),
    ("0 6 * * monday", "'0 6 * * monday': 'monday' is not a valid day-of-week"),
    ("0 6 * * 5-1", "'0 6 * * 5-1': the day-of-week range 5-1 runs backwards; write the smaller end first"),
    ("0 6 L * *", "'0 6 L * *': 'l' is not a valid day-of-month"),
    ("0 6 * * 1#2", "'0 6 * * 1#2': '1#2' is not a valid day-of-week"),
])
def test_a_cron_that_dagster_refuses_or_that_never_fires_is_named(tmp_path, cron, expected):
    assert expected in tenants_error(tmp_path, f'schedule:\n  cron: "{cron}"\n' + GOOD_TENANTS)


@pytest.mark.parametrize("cron", ["0 6 * * 1", "30 7 * * mon-fri", "0 6 29 2 *", "0 6 31 * *", "*/15 8-17 * * 1-5",
                                  "0 6 1 jan,jul *", "0 6 29,31 2 *", "0 0 * * 7", "00 06 * * MON", "0 6 1/2 * *"])
def test_a_cron_that_fires_is_accepted_and_dagster_schedules_it(tmp_path, cron):
    import dagster as dg

    tenants = load_tenants(write(tmp_path, "tenants.yaml", f'schedule:\n  cron: "{cron}"\n' + GOOD_TENANTS))
    schedule = dg.ScheduleDefinition(name="weekly", cron_schedule=tenants.schedule.cron, job_name="weekly_risk",
                                     execution_timezone="Asia/Seoul")
    assert schedule.cron_schedule == cron


BIGINT_MAX = 2**63 - 1


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("org_id: 101", f"org_id: {BIGINT_MAX + 1}",
     f"tenants[0] (key 'seoul-central').org_id: must be above 0 and at most {BIGINT_MAX}, got {BIGINT_MAX + 1}; "
     "organizations.org_id in the source database (a PostgreSQL bigint): give the organisation's id as the source "
     "has it"),
    ("org_id: 101", "org_id: 99999999999999999999999999",
     f"org_id: must be above 0 and at most {BIGINT_MAX}, got 99999999999999999999999999"),
    ("org_id: 101", "org_id: 0",
     f"tenants[0] (key 'seoul-central').org_id: must be above 0 and at most {BIGINT_MAX}, got 0"),
    ("org_id: 101", "org_id: 1.0e+3", "tenants[0] (key 'seoul-central').org_id: must be a whole number, got 1000.0"),
    ("key: seoul-central", "key: " + "s" * 101,
     f"tenants[0] (key '{'s' * 101}').key: is 101 characters long; a tenant key has at most 100 (it names files "
     "such as <run id>_<key>_report.html, which must stay under 255 bytes): shorten it, e.g. '" + "s" * 100 + "'"),
    ("name: 서울중앙중학교", "name: ''", "tenants[0] (key 'seoul-central').name: must not be blank; write the "
     "school's name as reports and e-mail subjects show it, e.g. `name: 서울중앙중학교`"),
    ("name: 서울중앙중학교", "name: '   '", "tenants[0] (key 'seoul-central').name: must not be blank"),
    ("name: 서울중앙중학교", 'name: "Seoul\\nBcc: x@evil.example"',
     "tenants[0] (key 'seoul-central').name: must be one line of text without control characters"),
    ("timezone: Asia/Seoul", "timezone: localtime",
     "tenants[0] (key 'seoul-central').timezone: 'localtime' is not a canonical IANA time zone name; write the "
     "school's zone as Area/City, e.g. 'Asia/Seoul' or 'America/New_York' (or 'UTC')"),
    ("timezone: Asia/Seoul", "timezone: posixrules", "'posixrules' is not a canonical IANA time zone name"),
    ("timezone: Asia/Seoul", "timezone: Factory", "'Factory' is not a canonical IANA time zone name"),
    ("timezone: Asia/Seoul", "timezone: ROK", "'ROK' is not a canonical IANA time zone name; did you mean "
     "'Asia/Seoul'?"),
    ("timezone: Asia/Seoul", "timezone: US/Eastern", "'US/Eastern' is not a canonical IANA time zone name; did "
     "you mean 'America/New_York'?"),
    ("timezone: Asia/Seoul", "timezone: /etc/localtime", "'/etc/localtime' is not a canonical IANA time zone name"),
])
def test_tenant_values_out_of_range_are_named_with_the_fix(tmp_path, old, new, expected):
    assert expected in tenants_error(tmp_path, GOOD_TENANTS.replace(old, new, 1))


@pytest.mark.parametrize("zone", ["UTC", "Asia/Seoul", "America/Argentina/Buenos_Aires", "Europe/Kyiv"])
def test_canonical_zones_are_accepted(tmp_path, zone):
    tenants = load_tenants(write(tmp_path, "tenants.yaml", GOOD_TENANTS.replace("Asia/Seoul", zone)))
    assert tenants.get("seoul-central").timezone == zone


def test_a_key_of_the_longest_length_names_files_the_file_system_takes(tmp_path):
    from risk_assets.config.tenants import MAX_TENANT_KEY_LENGTH
    from risk_assets.partition_files import REPORT, PartitionFiles

    key = "k" * MAX_TENANT_KEY_LENGTH
    tenants = load_tenants(write(tmp_path, "tenants.yaml", GOOD_TENANTS.replace("seoul-central", key)))
    files = PartitionFiles(tmp_path / "reports", dt.date(2025, 9, 1), tenants.tenants[0].key)
    rendered = files.rendered_report("0123abcd-0123-4567-89ab-0123456789ab")
    rendered.parent.mkdir(parents=True)
    rendered.write_text("ok", encoding="utf-8")
    assert len(rendered.name.encode()) < 255 and rendered.name.endswith(f"_{key}_{REPORT}")


@pytest.mark.parametrize(("first_week", "expected"), [
    ("345600", "first_week: must be a date written YYYY-MM-DD, got 345600; e.g. `first_week: 2025-09-01`"),
    ("'1757289600'", "first_week: must be a date written YYYY-MM-DD, got '1757289600'"),
    ("2025-09-01 06:00:00", "first_week: must be a date written YYYY-MM-DD, got datetime.datetime(2025, 9, 1, 6, 0)"),
    ("1999-12-27", "first_week: 1999-12-27 is before 2000-01-03; give the Monday of the first week the source "
                   "has data for, e.g. `first_week: 2025-09-01`"),
    ("2205-09-07", "first_week: 2205-09-07 is more than a year ahead"),
])
def test_first_week_must_be_an_iso_date_in_a_sensible_range(tmp_path, first_week, expected):
    assert expected in tenants_error(tmp_path, GOOD_TENANTS.replace("2025-09-01", first_week))


def test_first_week_quoted_is_still_a_date(tmp_path):
    assert load_tenants(write(tmp_path, "tenants.yaml", GOOD_TENANTS.replace("2025-09-01", "'2025-09-01'"))
                        ).first_week == dt.date(2025, 9, 1)


def test_a_template_that_does_not_exist_is_named_at_load(tmp_path):
    message = tenants_error(tmp_path, "report:\n  template: quarto/examples/missing.qmd\n" + GOOD_TENANTS)
    assert (f"report.template: 'quarto/examples/missing.qmd' does not exist (read as {PROJECT_DIR}/quarto/examples/"
            "missing.qmd; a relative path is read from the project folder): give the path of an existing .qmd "
            "file, e.g. template: quarto/examples/custom/custom_report.qmd") in message
    (tmp_path / "folder.qmd").mkdir()
    message = tenants_error(tmp_path, f"report:\n  template: {tmp_path / 'folder.qmd'}\n" + GOOD_TENANTS)
    assert f"report.template: '{tmp_path / 'folder.qmd'}' is not a file" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("irt:\n  D: 1.0e+308\n", "irt.D: must be above 0 and at most 2, got 1e+308; the IRT scaling constant is 1.0 "
                             "(logistic metric) or 1.702 (normal-ogive metric)"),
    ("irt:\n  D: 0\n", "irt.D: must be above 0 and at most 2, got 0"),
    ("guess:\n  min_items: 1.0e+25\n", "guess.min_items: must be a whole number, got 1e+25"),
    ("guess:\n  min_items: 10000000000000000000000000\n",
     "guess.min_items: must be from 1 to 10000, got 10000000000000000000000000"),
    ("guess:\n  min_hard_items: 10001\n", "guess.min_hard_items: must be from 0 to 10000, got 10001"),
    ("guess:\n  z_min: -1.645\n", "guess.z_min: must be above 0 and at most 6, got -1.645; the gate asks "
                                  "whether c_hat is significantly ABOVE the items' c (one-sided, e.g. 1.645 for 5 %)"),
    ("guess:\n  z_min: 7\n", "guess.z_min: must be above 0 and at most 6, got 7"),
    ("guess:\n  prior_beta: 101\n", "guess.prior_beta: must be from 1 to 100, got 101"),
    ("guess:\n  hard_p: 1\n", "guess.hard_p: must be above 0 and below 1, got 1"),
    ("theta:\n  z_max: 1.645\n", "theta.z_max: must be at least -6 and below 0, got 1.645; a drop's z is "
                                 "negative, so the gate needs a negative bound (one-sided, e.g. -1.645 for 5 %)"),
    ("theta:\n  z_max: -7\n", "theta.z_max: must be at least -6 and below 0, got -7"),
    ("theta:\n  delta_14d_crit: -13\n", "theta.delta_14d_crit: must be at least -12 and below 0, got -13"),
    ("theta:\n  streak_eps: 13\n", "theta.streak_eps: must be from 0 to 12, got 13"),
    ("omit:\n  min_count: 10001\n", "omit.min_count: must be from 0 to 10000, got 10001"),
    ("omit:\n  min_presented: 0\n", "omit.min_presented: must be from 1 to 10000, got 0"),
    ("omit:\n  crit_pct: 101\n", "omit.crit_pct: must be from 0 to 100, got 101"),
    ("attendance:\n  min_week_days: 8\n", "attendance.min_week_days: must be from 1 to 7, got 8; the week has at "
                                          "most 7 school days"),
    ("attendance:\n  min_two_week_days: 15\n", "attendance.min_two_week_days: must be from 1 to 14, got 15"),
    ("attendance:\n  weekly_crit_min_days: 8\n", "attendance.weekly_crit_min_days: must be from 0 to 7, got 8"),
    ("attendance:\n  streak_crit_days: 29\n", "attendance.streak_crit_days: must be from 1 to 28, got 29; streaks "
                                              "are looked for in the 28 days before the cut-off"),
    ("attendance:\n  max_missing_pct: 101\n", "attendance.max_missing_pct: must be from 0 to 100, got 101"),
    ("engagement:\n  min_history: 100001\n", "engagement.min_history: must be from 1 to 100000, got 100001"),
    ("engagement:\n  rt_cap_ms: 60001\n", "engagement.rt_cap_ms: must be from 1 to 60000, got 60001"),
    ("engagement:\n  default_threshold_ms: 0\n", "engagement.default_threshold_ms: must be from 1 to 60000, got 0"),
    ("engagement:\n  min_answered: 10001\n", "engagement.min_answered: must be from 1 to 10000, got 10001"),
    ("engagement:\n  rt_fraction_pct: 0\n", "engagement.rt_fraction_pct: must be from 1 to 100, got 0"),
])
def test_every_threshold_has_a_range_and_the_message_gives_it(tmp_path, text, expected):
    assert expected in thresholds_error(tmp_path, text)


@pytest.mark.parametrize("size", ["0", "1001", "ten", "2.5", "-3"])
def test_a_batch_size_dagster_cannot_use_is_named(tmp_path, size):
    message = tenants_error(tmp_path, f"batch:\n  size: {size}\n" + GOOD_TENANTS)
    assert "batch.size:" in message


@pytest.mark.parametrize("size", ["0", "1001", "ten", "２", " "])
def test_a_bad_batch_size_override_is_refused_or_ignored_when_blank(size):
    from risk_assets.errors import UserError
    from risk_assets.settings import Settings

    if not size.strip():
        assert Settings.from_env({"RISK_BATCH_SIZE": size}).batch_size is None
        return
    with pytest.raises(UserError, match=r"RISK_BATCH_SIZE=.* is not a whole number from 1 to 1000"):
        Settings.from_env({"RISK_BATCH_SIZE": size})


def test_the_batch_size_comes_from_tenants_yaml_unless_overridden(tmp_path):
    from risk_assets.project import Project
    from risk_assets.settings import Settings

    write(tmp_path, "tenants.yaml", "batch:\n  size: 7\n" + GOOD_TENANTS)
    write(tmp_path, "thresholds.yaml", "profile: legacy\n")
    config = load_config(tmp_path)
    assert Project(config, Settings.from_env({})).batch_size == 7
    assert Project(config, Settings.from_env({"RISK_BATCH_SIZE": "20"})).batch_size == 20
    assert Project(load_config(PROJECT_DIR / "config"), Settings.from_env({})).batch_size == 50
