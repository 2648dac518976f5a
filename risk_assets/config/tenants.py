"""Tenants (schools): who gets a weekly report, in which time zone and language, delivered where."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Annotated, Literal, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from risk_assets.errors import UserError
from risk_assets.settings import ReportRenderer

TENANT_KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
_EMAIL_PATTERN = re.compile(r"[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_ENV_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _email_address(value: str) -> str:
    if not _EMAIL_PATTERN.fullmatch(value):
        raise ValueError(f"'{value}' is not an e-mail address; write it as name@school.example")
    return value


EmailAddress = Annotated[str, AfterValidator(_email_address)]


def _env_var_name(value: str) -> str:
    if value.startswith(("http://", "https://")) or not _ENV_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            "must be the NAME of an environment variable that holds the secret, not the secret itself; "
            "write e.g. `webhook_env: SLACK_WEBHOOK_SEOUL` and export SLACK_WEBHOOK_SEOUL=<url>"
        )
    return value


EnvVarName = Annotated[str, AfterValidator(_env_var_name)]


class EmailDelivery(StrictModel):
    enabled: bool = True  # false: this tenant gets no e-mail (recorded as `skipped` in the ledger)
    to: list[EmailAddress] = Field(default_factory=list)
    cc: list[EmailAddress] = Field(default_factory=list)
    bcc: list[EmailAddress] = Field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


class SlackDelivery(StrictModel):
    webhook_env: Optional[EnvVarName] = None
    bot_token_env: Optional[EnvVarName] = None
    channel: Optional[str] = None


class Delivery(StrictModel):
    email: EmailDelivery = Field(default_factory=EmailDelivery)
    slack: SlackDelivery = Field(default_factory=SlackDelivery)
    include_student_names: bool = False


class Tenant(StrictModel):
    key: str
    org_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    timezone: str = "Asia/Seoul"
    locale: Literal["ko", "en"] = "ko"
    enabled: bool = True
    delivery: Delivery = Field(default_factory=Delivery)

    @field_validator("key")
    @classmethod
    def _key_is_partition_safe(cls, value: str) -> str:
        if not TENANT_KEY_PATTERN.fullmatch(value):
            suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "my-school"
            raise ValueError(
                f"'{value}' is not a valid tenant key: use lower-case letters, digits and '-', "
                f"starting with a letter or digit (e.g. '{suggestion}')"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        close = _closest_timezone(value)
        hint = f"did you mean '{close}'? " if close else ""
        raise ValueError(f"'{value}' is not a known IANA time zone; {hint}write e.g. 'Asia/Seoul' or 'America/New_York'") from None
    return value


def _closest_timezone(value: str) -> Optional[str]:
    matches = difflib.get_close_matches(value, sorted(available_timezones()), n=1, cutoff=0.75)
    return matches[0] if matches else None


class ScheduleSettings(StrictModel):
    """When the weekly schedules tick: `cron` in each tenant's own time zone (one schedule per zone)."""

    cron: str = "0 6 * * 1"  # Monday 06:00

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5:
            raise ValueError(f"'{value}' is not a cron expression of 5 fields; e.g. '0 6 * * 1' (Monday 06:00)")
        for text, (name, low, high) in zip(fields, CRON_FIELDS):
            for number in _cron_numbers(text, value, name):
                if not low <= number <= high:
                    raise ValueError(f"'{value}': the {name} field allows {low}-{high}, not {number}; "
                                     "e.g. '0 6 * * 1' (Monday 06:00)")
        return value


CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 7))
_CRON_NAMES = {name: number for number, name in enumerate(
    ["sun", "mon", "tue", "wed", "thu", "fri", "sat"])} | {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_CRON_PART = re.compile(r"(\*|\w+)(?:-(\w+))?(?:/(\d+))?")


def _cron_numbers(text: str, expression: str, name: str) -> list[int]:
    """The numbers a cron field names (ranges' ends, list items); `*` and steps name none to check."""
    numbers = []
    for part in text.split(","):
        match = _CRON_PART.fullmatch(part.lower())
        if not match:
            raise ValueError(f"'{expression}': '{part}' is not a valid {name} (use a number, a range a-b, a list "
                             "a,b, a step */n or *)")
        for token in filter(None, match.group(1, 2)):
            if token == "*":
                continue
            if token.isdigit():
                numbers.append(int(token))
            elif token in _CRON_NAMES:
                numbers.append(_CRON_NAMES[token])
            else:
                raise ValueError(f"'{expression}': '{token}' is not a valid {name}")
    return numbers


class ReportSettings(StrictModel):
    """How reports are rendered: `renderer` (auto: Quarto when it and its Jupyter side can run the template,
    else the built-in renderer) and `template` (a .qmd; a relative path is read from the project folder; default quarto/weekly_report.qmd)."""

    renderer: ReportRenderer = "auto"
    template: Optional[str] = None

    @field_validator("template")
    @classmethod
    def _a_qmd_file(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.endswith(".qmd"):
            raise ValueError(f"'{value}' is not a Quarto document: give the path of a .qmd file, "
                             "e.g. template: quarto/examples/custom_report.qmd")
        return value


class DataQuality(StrictModel):
    """Source values outside these bounds are quarantined (counted and left out), never turned into flags."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True, allow_inf_nan=False)

    theta_min: float = -6.0  # θ is on a logit scale: |θ| > 6 is an estimation failure, not a student
    theta_max: float = 6.0

    @model_validator(mode="after")
    def _min_below_max(self) -> "DataQuality":
        if not self.theta_min < self.theta_max:
            raise ValueError(f"data_quality.theta_min ({self.theta_min}) must be below theta_max ({self.theta_max}), "
                             "e.g. theta_min: -6, theta_max: 6")
        return self

    @property
    def theta_range(self) -> tuple[float, float]:
        return self.theta_min, self.theta_max


class TenantsFile(StrictModel):
    first_week: dt.date = Field(strict=False)  # YAML gives a date; a quoted "2025-09-01" is fine too
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    metrics_engine: Literal["python", "r"] = "python"
    data_quality: DataQuality = Field(default_factory=DataQuality)
    # Weeks shown as partitions: the newest complete week and the N-1 before it (not before first_week); older
    # weeks stay in the results database and reports/. Unset: every week since first_week (docs/scale.md).
    partition_weeks: Optional[int] = Field(default=None, ge=1, le=520)
    tenants: list[Tenant] = Field(min_length=1)

    @field_validator("first_week")
    @classmethod
    def _first_week_is_monday(cls, value: dt.date) -> dt.date:
        if value.weekday() != 0:
            monday = value - dt.timedelta(days=value.weekday())
            raise ValueError(f"{value} is a {value:%A}; report weeks start on a Monday (e.g. {monday})")
        return value

    @model_validator(mode="after")
    def _unique_keys_and_orgs(self) -> "TenantsFile":
        for attribute in ("key", "org_id"):
            seen: dict[object, int] = {}
            for index, tenant in enumerate(self.tenants):
                value = getattr(tenant, attribute)
                if value in seen:
                    raise ValueError(
                        f"tenants[{index}] repeats {attribute} {value!r} of tenants[{seen[value]}]; "
                        f"every tenant needs its own {attribute}"
                    )
                seen[value] = index
        return self

    def get(self, key: str) -> Tenant:
        for tenant in self.tenants:
            if tenant.key == key:
                return tenant
        known = ", ".join(t.key for t in self.tenants)
        raise UserError(f"unknown tenant '{key}'; configured tenants: {known}")

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.tenants]

    @property
    def enabled(self) -> list[Tenant]:
        return [t for t in self.tenants if t.enabled]


TENANT_EXAMPLES = {
    "first_week": "first_week: 2025-09-01",
    "tenants": "tenants: [{key: seoul-central, org_id: 101, name: 서울중앙중학교}]",
    "key": "key: seoul-central",
    "org_id": "org_id: 101",
    "name": "name: 서울중앙중학교",
    "timezone": "timezone: Asia/Seoul",
    "locale": "locale: ko",
}
