"""The demo tenants: which schools the generator fabricates data for."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCALES = ("ko", "en")


@dataclass(frozen=True)
class DemoTenant:
    """One school. `locale` picks Korean or English display and class names."""

    org_id: int
    name: str
    timezone: str
    locale: str

    def __post_init__(self) -> None:
        if self.org_id <= 0:
            raise ValueError(f"org_id must be positive, got {self.org_id}")
        if self.locale not in LOCALES:
            raise ValueError(f"locale must be one of {LOCALES}, got {self.locale!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {self.timezone!r}") from error

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# Mirrors config/tenants.yaml.example so the demo database matches the example config.
DEFAULT_DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant(org_id=101, name="서울중앙중학교", timezone="Asia/Seoul", locale="ko"),
    DemoTenant(org_id=102, name="부산해양고등학교", timezone="Asia/Seoul", locale="ko"),
    DemoTenant(org_id=201, name="Bridge Academy NYC", timezone="America/New_York", locale="en"),
)
