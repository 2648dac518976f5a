"""Errors a user can fix. The CLI prints them without a traceback."""


class UserError(Exception):
    """A mistake in input or environment, explained in words the user can act on."""
