"""The report's branding, read from the template folder's `_brand.yml` with the `brand-yml` package: the file
Quarto applies by itself, and the built-in renderer reads the same way, so both show the same colours and logo.

Statuses take Quarto's theme colours: CRIT `danger`, WARN `warning`, OK `success`, not evaluated
`secondary`; the header and charts use `primary`. Each may name a `palette` entry.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from brand_yml import Brand
from pydantic import ValidationError

from risk_assets.errors import UserError
from risk_assets.vocabulary import CRIT, INSUFFICIENT, OK, WARN

BRAND_FILE = "_brand.yml"
THEME_COLOURS = ("foreground", "background", "primary", "secondary", "tertiary", "success", "info", "warning",
                 "danger", "light", "dark")
STATUS_THEME = {CRIT: "danger", WARN: "warning", OK: "success", INSUFFICIENT: "secondary"}
# Bootstrap's defaults, which Quarto uses for a theme colour the brand file leaves out.
THEME_DEFAULTS = {"primary": "#0d6efd", "secondary": "#6c757d", "success": "#198754", "warning": "#ffc107",
                  "danger": "#dc3545"}
_CSS_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|(?:rgb|rgba|hsl|hsla)\([^()]*\)")


class BrandError(UserError):
    """The brand file is not one Quarto (and brand-yml) accepts; the message names the key and the valid names."""


@dataclass(frozen=True)
class ReportBrand:
    colours: Mapping[str, str]  # primary, and one per status (CRIT, WARN, OK, INSUFFICIENT)
    logo_data_uri: str | None

    @property
    def css_variables(self) -> Mapping[str, str]:
        """The stylesheet's custom properties: --primary, --crit, --warn, --ok, --insufficient."""
        return {"primary": self.colours["primary"], **{s.lower(): self.colours[s] for s in STATUS_THEME}}


def load_brand(template_dir: Path) -> ReportBrand:
    """The template folder's brand, validated; defaults when the folder has no `_brand.yml`."""
    path = Path(template_dir) / BRAND_FILE
    if not path.is_file():
        return ReportBrand(_theme_colours({}, path), None)
    return _read_brand(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_brand(path: Path, modified_ns: int) -> ReportBrand:
    """Read once per version of the file: definitions load validates it, then every report of the run uses it."""
    try:
        brand = Brand.from_yaml(path)
    except ValidationError as error:
        raise BrandError(_explain(error, path)) from None
    except Exception as error:  # ruamel's parse errors and brand-yml's own ValueErrors
        raise BrandError(f"{path} is not a valid brand file: {error}") from None
    colours = brand.color.to_dict() if brand.color else {}
    return ReportBrand(_theme_colours(colours, path), _logo(brand, path))


def _theme_colours(colours: Mapping[str, str], path: Path) -> dict[str, str]:
    wanted = {"primary": "primary", **STATUS_THEME}
    resolved = {}
    for name, theme in wanted.items():
        value = str(colours.get(theme) or THEME_DEFAULTS[theme])
        if not _CSS_COLOUR.fullmatch(value.strip()):
            raise BrandError(f"{path}: color.{theme} is {value!r}, which is neither a colour (#rrggbb) nor the "
                             "name of a color.palette entry")
        resolved[name] = value.strip()
    return resolved


def _logo(brand: Brand, path: Path) -> str | None:
    logo = brand.logo
    resource = getattr(logo, "small", None) or getattr(logo, "medium", None) or getattr(logo, "large", None)
    if resource is None:
        return None
    file = path.parent / str(getattr(resource, "path", resource))
    if not file.is_file():
        raise BrandError(f"{path}: logo file {file.name} does not exist next to the brand file")
    mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


def _explain(error: ValidationError, path: Path) -> str:
    unknown_colours = [str(item["loc"][-1]) for item in error.errors()
                       if item["type"] == "extra_forbidden" and item["loc"][:1] == ("color",)]
    problems = []
    if unknown_colours:
        problems.append(f"color.{', color.'.join(unknown_colours)} {'is' if len(unknown_colours) == 1 else 'are'} "
                        f"not brand colours: use {', '.join(THEME_COLOURS)}, or define the colour under "
                        "color.palette and name it from one of those (e.g. `danger: red`)")
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        if item["type"] == "extra_forbidden" and item["loc"][:1] != ("color",):
            problems.append(f"{key} is not a brand.yml key")
        elif item["type"] != "extra_forbidden":
            problems.append(f"{key}: {item['msg']}")
    return f"{path} is not a valid brand file (https://posit-dev.github.io/brand-yml/): " + "; ".join(problems)
