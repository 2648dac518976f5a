"""The one error both rendering paths raise, and how both name a failing cell."""


from risk_assets.errors import UserError


class RenderError(UserError):
    """A report could not be rendered; the message names the tenant-week and what to fix."""


def cell_failure(label: str, cell: str, template: str, line: int | None, error: str, message: str,
                 fix: str | None = None) -> str:
    """How both renderers report a template cell that raised: the cell's label, the .qmd line, the exception."""
    where = f" at line {line}" if line is not None else ""
    return f"{label}: cell '{cell}' of {template} failed{where}: {error}: {message}" + (f" ({fix})" if fix else "")
