"""The one error both rendering paths raise."""

from risk_assets.errors import UserError


class RenderError(UserError):
    """A report could not be rendered; the message names the tenant-week and what to fix."""
