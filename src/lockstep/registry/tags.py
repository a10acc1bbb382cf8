"""Writing registry tags: annotated, never moved or overwritten, numbered as GTO numbers them.

Tags are written with gitpython as annotated tags, so the tagger time and the message (the
promotion decision) travel with them.
"""

from __future__ import annotations

from typing import Any

from ..errors import LockstepError
from .events import parse_tag


def create_tag(repo: Any, name: str, commit: str, message: str) -> None:
    """An annotated tag; refuses to move or overwrite an existing one."""
    if name in {t.name for t in repo.tags}:
        raise LockstepError(f"tag {name} already exists; registry history is never rewritten")
    repo.create_tag(name, ref=commit, message=message)


def next_counter(repo: Any, artifact: str) -> int:
    """GTO's counter: one more than the highest on any of the artifact's tags (lightweight too)."""
    counters = [
        e.counter or 0 for ref in repo.tags if (e := parse_tag(ref.name)) and e.artifact == artifact
    ]
    return max(counters, default=0) + 1
