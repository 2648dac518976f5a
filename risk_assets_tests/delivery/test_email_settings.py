"""SMTP settings from the environment: None without SMTP_HOST, clear errors that never show the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk_assets.delivery.content import DeliveryError
from risk_assets.delivery.email import SmtpSettings

SECRET = "pa55-w0rd-never-shown"


def environment(**overrides: str) -> dict[str, str]:
    env = {"SMTP_HOST": "smtp.school.example", "SMTP_USER": "reports", "SMTP_PASSWORD": SECRET,
           "SMTP_FROM": "Risk reports <reports@school.example>"}
    env.update(overrides)
    return {name: value for name, value in env.items() if value != "<unset>"}


def settings_error(env: dict[str, str]) -> str:
    with pytest.raises(DeliveryError) as raised:
        SmtpSettings.from_env(env)
    message = str(raised.value)
    assert SECRET not in message
    return message


@pytest.mark.parametrize("env", [{}, {"SMTP_HOST": ""}, {"SMTP_HOST": "  ", "SMTP_PASSWORD": SECRET}])
def test_no_host_means_no_smtp(env: dict[str, str]) -> None:
    assert SmtpSettings.from_env(env) is None


def test_settings_from_the_environment() -> None:
    settings = SmtpSettings.from_env(environment(SMTP_PORT="2525", SMTP_TLS="SSL"))
    assert settings is not None
    assert (settings.host, settings.port, settings.user, settings.sender, settings.tls, settings.ca_file) == (
        "smtp.school.example", 2525, "reports", "Risk reports <reports@school.example>", "ssl", None)
    assert settings.password is not None and settings.password.get_secret_value() == SECRET
    assert SECRET not in repr(settings) and SECRET not in str(settings)
    assert settings.timeout == 30


@pytest.mark.parametrize(("tls", "port"), [("<unset>", 587), ("starttls", 587), ("ssl", 465), ("none", 25)])
def test_default_port_follows_the_tls_mode(tls: str, port: int) -> None:
    settings = SmtpSettings.from_env(environment(SMTP_TLS=tls))
    assert settings is not None and settings.port == port


def test_a_server_without_login() -> None:
    settings = SmtpSettings.from_env(environment(SMTP_USER="<unset>", SMTP_PASSWORD="<unset>"))
    assert settings is not None and settings.user is None and settings.password is None


def test_a_ca_file_is_kept(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = SmtpSettings.from_env(environment(SMTP_CA_FILE=str(ca)))
    assert settings is not None and settings.ca_file == str(ca)


@pytest.mark.parametrize("port", ["abc", "0", "70000", "58 7", "-25", "²", "５８７", "٥٨٧"])
def test_bad_port(port: str) -> None:
    """"²" passes str.isdigit() and fails int(); full-width and Arabic-Indic digits pass int(): both are refused."""
    message = settings_error(environment(SMTP_PORT=port))
    assert message == (f"SMTP_PORT={port!r} is not a port number: write a port number 1-65535, ASCII digits, "
                       "e.g. SMTP_PORT=587 for SMTP_TLS=starttls")


@pytest.mark.parametrize("host", ["smtp.school.example:587", "smtp://smtp.school.example", "smtps://mail.example:465",
                                  "smtp.school.example/", "smtp school.example"])
def test_host_with_a_port_or_a_scheme(host: str) -> None:
    assert settings_error(environment(SMTP_HOST=host)) == (
        f"SMTP_HOST={host!r} is not a host name: write the name or address alone, e.g. SMTP_HOST=smtp.school.example, "
        "with the port in SMTP_PORT and the encryption in SMTP_TLS (starttls, ssl or none), not in a URL")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "fe80::1", "smtp.school.example"])
def test_host_names_and_addresses_are_accepted(host: str) -> None:
    settings = SmtpSettings.from_env(environment(SMTP_HOST=host))
    assert settings is not None and settings.host == host


def test_a_login_that_is_not_ascii() -> None:
    assert settings_error(environment(SMTP_USER="교사")) == (
        "SMTP_USER='교사' is not ASCII: smtplib can send only ASCII login names; use the account's ASCII login")
    assert settings_error(environment(SMTP_PASSWORD=SECRET + "é")) == (
        "SMTP_PASSWORD is not ASCII: smtplib can send only ASCII passwords; give the account an ASCII password "
        "(or an app password)")


def test_bad_tls_mode() -> None:
    message = settings_error(environment(SMTP_TLS="tls"))
    assert message.startswith("SMTP_TLS='tls' is not one of starttls, ssl, none")
    assert "SMTP_TLS=starttls" in message


def test_missing_sender() -> None:
    message = settings_error(environment(SMTP_FROM="<unset>"))
    assert message.startswith("SMTP_HOST is set but SMTP_FROM is not")
    assert "SMTP_FROM=reports@school.example" in message


@pytest.mark.parametrize("sender", ["reports", "Risk reports <reports>", "@school.example", "a@b\nBcc: x@y.example"])
def test_sender_that_is_no_address(sender: str) -> None:
    message = settings_error(environment(SMTP_FROM=sender))
    assert f"SMTP_FROM={sender!r} is not an e-mail address" in message


def test_password_without_user() -> None:
    message = settings_error(environment(SMTP_USER="<unset>"))
    assert message.startswith("SMTP_PASSWORD is set but SMTP_USER is not")


def test_user_without_password() -> None:
    message = settings_error(environment(SMTP_PASSWORD="<unset>"))
    assert message.startswith("SMTP_USER is set ('reports') but SMTP_PASSWORD is not")


def test_missing_ca_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    message = settings_error(environment(SMTP_CA_FILE=str(missing)))
    assert message.startswith(f"SMTP_CA_FILE={str(missing)!r} is not a file")
