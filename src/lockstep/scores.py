"""Reading a revision's scored test rows (data/scores/test.parquet) through DVC.

The file is a DVC-cached output of the ``evaluate`` stage, so at a past commit it is read from
the DVC cache (or the default remote) by the hash that commit's dvc.lock records, as
``dvc.api.open`` does; ``workspace`` reads the working tree's file.
"""

from __future__ import annotations

import io
from pathlib import Path

from .errors import LockstepError
from .paths import SCORES_FILE
from .significance import Scores

WORKSPACE = "workspace"


def bytes_at(rev: str, root: str, path: str, stage: str = "evaluate") -> bytes:
    """A DVC-tracked output at ``rev`` (or ``workspace``); a clear error when unreadable."""
    try:
        if rev == WORKSPACE:
            return (Path(root) / path).read_bytes()
        import dvc.api

        with dvc.api.open(path, repo=root, rev=rev, mode="rb") as handle:
            return handle.read()
    except Exception as exc:  # DVC raises many types: missing file, cache or remote, bad rev
        raise LockstepError(
            f"{path} is not readable at {rev} ({type(exc).__name__}: {exc}). It is written by "
            f"`dvc repro` ({stage}); at an older commit, or when the cache lacks it, run "
            "`dvc pull` or reproduce that commit"
        ) from exc


def read_at(rev: str, root: str = ".", path: str = SCORES_FILE) -> Scores:
    """The scored rows at ``rev`` (a Git revision or ``workspace``); a clear error if absent."""
    import pandas as pd

    data = bytes_at(rev, root, path)
    try:
        frame = pd.read_parquet(io.BytesIO(data))
        return Scores.from_frame(frame)
    except Exception as exc:  # pyarrow or a missing column
        raise LockstepError(f"{path} at {rev} is not a scores table ({exc})") from exc


def try_read(rev: str, root: str = ".") -> tuple[Scores | None, str]:
    """(scores, '') or (None, why not): for reports, which show raw numbers without them."""
    try:
        return read_at(rev, root), ""
    except LockstepError as exc:
        return None, str(exc)
