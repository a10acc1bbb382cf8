"""The source's columns against the contract: ``data.rename`` and ``data.extra_columns``.

Each works on a pandas or a Dask DataFrame alike (both engines of ingest and validate use them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import LockstepError
from .dataconfig import DataConfig
from .text import cut


def rename_columns(frame: Any, rename: Mapping[str, str]) -> Any:
    """``frame`` with the ``data.rename`` renames applied; every column renamed must exist."""
    missing = [c for c in rename if c not in frame.columns]
    if missing:
        raise LockstepError(
            f"data.rename: the source has no column '{cut(missing[0])}' (it has: "
            f"{cut(', '.join(map(str, frame.columns)), 400)})"
        )
    return frame.rename(columns=dict(rename))


def split_extra_columns(frame: Any, cfg: DataConfig) -> tuple[Any, list[str]]:
    """With policy 'drop', drop columns the contract does not list; return what was dropped."""
    extra = [c for c in frame.columns if c not in cfg.columns]
    if extra and cfg.extra_columns == "drop":
        return frame.drop(columns=extra), extra
    return frame, []
