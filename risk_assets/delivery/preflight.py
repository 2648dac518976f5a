"""Delivery settings checked before anything runs, so that a typo is one clear error at the start instead of a
failure after the reports are made: the SMTP variables, every tenant's recipients, the Slack variables
tenants.yaml names, and in production a configured channel for every tenant's e-mail (the outbox is for local)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from risk_assets.config import Tenant
from risk_assets.delivery.content import DeliveryError
from risk_assets.delivery.email import SmtpSettings
from risk_assets.delivery.slack import check_api_url, resolve_bot, resolve_webhook, timeout_from_env
from risk_assets.errors import UserError
from risk_assets.settings import Settings


def no_recipient(tenant: Tenant) -> str:
    return (f"tenant '{tenant.key}' has no e-mail recipient while SMTP_HOST is set: add delivery.email.to (or cc, "
            "bcc) in tenants.yaml, or set delivery.email.enabled: false")


def no_outbox(tenant: Tenant) -> str:
    return (f"tenant '{tenant.key}' has e-mail on (delivery.email in tenants.yaml) but SMTP_HOST is not set, and "
            "RISK_DEPLOYMENT=production writes no outbox (it is for RISK_DEPLOYMENT=local): export SMTP_HOST and "
            "SMTP_FROM (with SMTP_PORT, SMTP_USER, SMTP_PASSWORD as the server needs), or set "
            "delivery.email.enabled: false for this tenant")


def _slack_problems(env: Mapping[str, str]) -> list[str]:
    problems = []
    for check in (timeout_from_env, check_api_url):
        try:
            check(env)
        except DeliveryError as exc:
            problems.append(str(exc))
    return problems


def delivery_problems(tenants: Iterable[Tenant], env: Mapping[str, str] = os.environ) -> list[str]:
    """Every problem, each naming the variable or the tenant and how to fix it; [] when delivery can start."""
    problems = []
    try:
        smtp = SmtpSettings.from_env(env)
    except DeliveryError as exc:
        problems.append(str(exc))
        smtp = None
    problems += _slack_problems(env)
    production = Settings.from_env(env).deployment == "production"
    for tenant in tenants:
        email = tenant.delivery.email
        if smtp is not None and email.enabled and not email.recipients:
            problems.append(no_recipient(tenant))
        if production and email.enabled and not env.get("SMTP_HOST", "").strip():
            problems.append(no_outbox(tenant))
        for resolve in (resolve_webhook, resolve_bot):
            try:
                resolve(tenant.delivery.slack, env)
            except DeliveryError as exc:
                problems.append(f"tenant '{tenant.key}': {exc}")
    return problems


def check_delivery_settings(tenants: Iterable[Tenant], env: Mapping[str, str] = os.environ) -> None:
    problems = delivery_problems(tenants, env)
    if problems:
        raise UserError("delivery settings:\n" + "\n".join(f"  - {problem}" for problem in problems))
