"""Time zone names a tenant may give: the IANA database's zones for a place (Area/City), and UTC.

ZoneInfo also opens names that are no such zone — `localtime` (whatever /etc/localtime is on the machine that runs
the pipeline), `posixrules`, `Factory`, old aliases such as `US/Eastern` or `ROK` — so opening a name is no check.
The list is the one the `tzdata` package ships (zone.tab and zone1970.tab: every zone used in a country, the
pre-2022 per-country zones such as Europe/Amsterdam included); its aliases (tzdata.zi's links) give the suggestion.
"""

from __future__ import annotations

import difflib
import functools
from importlib import resources

UTC = "UTC"
_TABLES = ("zone.tab", "zone1970.tab")


def _tzdata_text(name: str) -> str:
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


@functools.cache
def place_zones() -> frozenset[str]:
    """Every zone name of zone.tab and zone1970.tab (third column), and UTC."""
    names = {UTC}
    for table in _TABLES:
        for line in _tzdata_text(table).splitlines():
            if line and not line.startswith("#"):
                names.add(line.split("\t")[2])
    return frozenset(names)


@functools.cache
def _aliases() -> dict[str, str]:
    """Alias → the zone it stands for, from tzdata.zi's link lines (`L <target> <alias>`)."""
    links = (line.split() for line in _tzdata_text("tzdata.zi").splitlines() if line.startswith("L "))
    return {alias: target for _, target, alias in links}


def known_timezone(value: str) -> str:
    if value in place_zones():
        return value
    hint = _suggestion(value)
    raise ValueError(f"'{value}' is not a canonical IANA time zone name; {f'did you mean {hint!r}? ' if hint else ''}"
                     "write the school's zone as Area/City, e.g. 'Asia/Seoul' or 'America/New_York' (or 'UTC')")


def _suggestion(value: str) -> str | None:
    target = _aliases().get(value)
    if target in place_zones():
        return target
    matches = difflib.get_close_matches(value, sorted(place_zones()), n=1, cutoff=0.75)
    return matches[0] if matches else None
