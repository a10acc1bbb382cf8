"""Run a `lockstep` command the way a user does: through the command group, in-process."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner, Result

from lockstep.cli import main


def invoke(name: str, args: list[str] | tuple[str, ...] = (), **kwargs: Any) -> Result:
    """`lockstep NAME ARGS...`; a LockstepError shows as ``Error: ...`` with its exit status."""
    return CliRunner().invoke(main, [name, *args], **kwargs)
