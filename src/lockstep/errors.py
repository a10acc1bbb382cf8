"""The one exception type that user-facing code raises for bad input or bad config."""

import click


class LockstepError(click.ClickException):
    """An error a person can act on: what went wrong, where, and how to fix it.

    click prints it as ``Error: <message>`` and exits with status 1.
    """
