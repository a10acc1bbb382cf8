"""Click options that several commands share, defined once (as iterative/gto's cli.py does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .paths import PARAMS_FILE


def params_option(help: str = "The params file, composed from conf/.") -> Callable[[Any], Any]:
    """``--params PATH`` into the ``params_path`` argument (default params.yaml)."""
    return click.option(
        "--params", "params_path", default=PARAMS_FILE, show_default=True, help=help
    )


artifact_option = click.option(
    "--artifact", default=None, help="Artifact name (default: promote.artifact)."
)
