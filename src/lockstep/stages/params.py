"""Stage params: conf/ → nothing; `lockstep params --check`, the first stage of `dvc repro`.

DVC reads params.yaml and never composes conf/ itself (except for `dvc exp run -S`), so an edit to
conf/ without `lockstep params` would pass through `dvc repro` unnoticed. This stage depends on
conf/, so it runs whenever conf/ changes, and stops the pipeline with "conf/ changed since
params.yaml was composed: run `lockstep params`" before any other stage runs. The command itself
is `lockstep params` (lockstep.compose).
"""

from __future__ import annotations

from ..compose import command

__all__ = ["command"]
