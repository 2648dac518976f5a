"""Tenants (schools): who gets a weekly report, in which time zone and language, delivered where."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from risk_assets.config.cron import checked_cron
from risk_assets.config.zones import known_timezone
from risk_assets.errors import UserError
from risk_assets.settings import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, PROJECT_DIR, ReportRenderer

TENANT_KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
# The key names files: the longest is reports/<week>/.staging/<key>/<run id>_<key>_report.html, 49 bytes plus the
# key, and a file name has at most 255 bytes (206 for the key); 100 leaves room and fits run tags and partition keys.
MAX_TENANT_KEY_LENGTH = 100
BIGINT_MAX = 2**63 - 1  # organizations.org_id is a PostgreSQL bigint
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EMAIL_PATTERN = re.compile(r"[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
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
    webhook_env: EnvVarName | None = None
    bot_token_env: EnvVarName | None = None
    channel: str | None = None


class Delivery(StrictModel):
    email: EmailDelivery = Field(default_factory=EmailDelivery)
    slack: SlackDelivery = Field(default_factory=SlackDelivery)
    include_student_names: bool = False


class Tenant(StrictModel):
    key: str
    org_id: int = Field(gt=0, le=BIGINT_MAX, description=(
        "organizations.org_id in the source database (a PostgreSQL bigint): give the organisation's id as the "
        "source has it"))
    name: str
    timezone: str = "Asia/Seoul"
    locale: Literal["ko", "en"] = "ko"
    enabled: bool = True
    delivery: Delivery = Field(default_factory=Delivery)

    @field_validator("key")
    @classmethod
    def _key_is_partition_safe(cls, value: str) -> str:
        if len(value) > MAX_TENANT_KEY_LENGTH:
            raise ValueError(f"is {len(value)} characters long; a tenant key has at most {MAX_TENANT_KEY_LENGTH} (it "
                             "names files such as <run id>_<key>_report.html, which must stay under 255 bytes): "
                             f"shorten it, e.g. '{value[:MAX_TENANT_KEY_LENGTH].rstrip('-')}'")
        if not TENANT_KEY_PATTERN.fullmatch(value):
            suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "my-school"
            raise ValueError(
                f"'{value}' is not a valid tenant key: use lower-case letters, digits and '-', "
                f"starting with a letter or digit (e.g. '{suggestion}')"
            )
        return value

    @field_validator("name")
    @classmethod
    def _one_line_of_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank; write the school's name as reports and e-mail subjects show it, "
                             "e.g. `name: 서울중앙중학교`")
        if _CONTROL_CHARACTER.search(value):
            raise ValueError("must be one line of text without control characters (it is an e-mail subject); "
                             "remove the line break or tab")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ScheduleSettings(StrictModel):
    """When the weekly schedules tick: `cron` in each tenant's own time zone (one schedule per zone)."""

    cron: str = "0 6 * * 1"  # Monday 06:00

    @field_validator("cron")
    @classmethod
    def _dagster_schedules_it(cls, value: str) -> str:
        return checked_cron(value)


def _iso_date(value: Any) -> Any:
    """A YAML date, or text written YYYY-MM-DD; never a number (pydantic would read 345600 as seconds since 1970)
    or a date with a time."""
    if type(value) is dt.date or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError(f"must be a date written YYYY-MM-DD, got {value!r}; e.g. `first_week: 2025-09-01`")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date), Field(strict=False)]
EARLIEST_FIRST_WEEK = dt.date(2000, 1, 3)  # a Monday; no source holds practice data from before it
FIRST_WEEK_AHEAD = dt.timedelta(days=366)  # further ahead is a typo in the year: no week would ever be a partition


class ReportSettings(StrictModel):
    """How reports are rendered: `renderer` (auto: Quarto when it and its Jupyter side can run the template,
    else the built-in renderer) and `template` (a .qmd; a relative path is read from the project folder; default
    quarto/weekly_report.qmd)."""

    renderer: ReportRenderer = "auto"
    template: str | None = None

    @field_validator("template")
    @classmethod
    def _a_qmd_file(cls, value: str | None) -> str | None:
        if value is None:
            return value
        fix = "give the path of an existing .qmd file, e.g. template: quarto/examples/custom/custom_report.qmd"
        if not value.endswith(".qmd"):
            raise ValueError(f"'{value}' is not a Quarto document: {fix}")
        path = template_path(value)
        if not path.exists():
            raise ValueError(f"'{value}' does not exist (read as {path}; a relative path is read from the project "
                             f"folder): {fix}")
        if not path.is_file():
            raise ValueError(f"'{value}' is not a file (read as {path}): {fix}")
        return value


def template_path(template: str) -> Path:
    """Where the renderer reads `report.template` from: a relative path is read from the project folder."""
    return PROJECT_DIR / template


class BatchSettings(StrictModel):
    """How many partitions one run of a backfill materialises (Dagster's BackfillPolicy.multi_run): one week × up to
    `size` schools, or one school × up to `size` weeks. Larger batches pay a run's fixed cost over more schools;
    a batch's materializations are recorded when it ends (docs/orchestration.md)."""

    size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1, le=MAX_BATCH_SIZE)


class DataQuality(StrictModel):
    """Source values outside these bounds are quarantined (counted and left out), never turned into flags."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True, allow_inf_nan=False)

    theta_min: float = -6.0  # θ is on a logit scale: |θ| > 6 is an estimation failure, not a student
    theta_max: float = 6.0

    @model_validator(mode="after")
    def _min_below_max(self) -> DataQuality:
        if not self.theta_min < self.theta_max:
            raise ValueError(f"data_quality.theta_min ({self.theta_min}) must be below theta_max ({self.theta_max}), "
                             "e.g. theta_min: -6, theta_max: 6")
        return self

    @property
    def theta_range(self) -> tuple[float, float]:
        return self.theta_min, self.theta_max


class TenantsFile(StrictModel):
    first_week: IsoDate  # YAML gives a date; a quoted "2025-09-01" is fine too
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)
    metrics_engine: Literal["python", "r"] = "python"
    data_quality: DataQuality = Field(default_factory=DataQuality)
    # Weeks shown as partitions: the newest complete week and the N-1 before it (not before first_week); older
    # weeks stay in the results database and reports/. Unset: every week since first_week (docs/scale.md).
    partition_weeks: int | None = Field(default=None, ge=1, le=520)
    tenants: list[Tenant] = Field(min_length=1)

    @field_validator("first_week")
    @classmethod
    def _first_week_is_monday(cls, value: dt.date) -> dt.date:
        fix = "give the Monday of the first week the source has data for, e.g. `first_week: 2025-09-01`"
        if value < EARLIEST_FIRST_WEEK:
            raise ValueError(f"{value} is before {EARLIEST_FIRST_WEEK}; {fix}")
        if value > dt.date.today() + FIRST_WEEK_AHEAD:
            raise ValueError(f"{value} is more than a year ahead; {fix}")
        if value.weekday() != 0:
            monday = value - dt.timedelta(days=value.weekday())
            raise ValueError(f"{value} is a {value:%A}; report weeks start on a Monday (e.g. {monday})")
        return value

    @model_validator(mode="after")
    def _unique_keys_and_orgs(self) -> TenantsFile:
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
