"""Delivery settings checked before anything runs, so that a typo is one clear error at the start instead of a
failure after the reports are made: the SMTP variables, every tenant's recipients, the Slack variables
tenants.yaml names."""

from __future__ import annotations

import os
from typing import Iterable, Mapping

from risk_assets.config import Tenant
from risk_assets.delivery.content import DeliveryError
from risk_assets.delivery.email import SmtpSettings
from risk_assets.delivery.slack import resolve_bot, resolve_webhook
from risk_assets.errors import UserError


def no_recipient(tenant: Tenant) -> str:
    return (f"tenant '{tenant.key}' has no e-mail recipient while SMTP_HOST is set: add delivery.email.to (or cc, "
            "bcc) in tenants.yaml, or set delivery.email.enabled: false")


def delivery_problems(tenants: Iterable[Tenant], env: Mapping[str, str] = os.environ) -> list[str]:
    """Every problem, each naming the variable or the tenant and how to fix it; [] when delivery can start."""
    problems = []
    try:
        smtp = SmtpSettings.from_env(env)
    except DeliveryError as exc:
        problems.append(str(exc))
        smtp = None
    for tenant in tenants:
        email = tenant.delivery.email
        if smtp is not None and email.enabled and not email.recipients:
            problems.append(no_recipient(tenant))
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
