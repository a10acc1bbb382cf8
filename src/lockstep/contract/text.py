"""Cutting values for messages and reports: a 30 MB cell must not become a 30 MB error."""

from __future__ import annotations

from typing import Any

LIMIT = 80  # characters of a value shown in a failure table, a report or an error response


def cut(text: str, limit: int = LIMIT) -> str:
    """``text`` itself when short, else its first ``limit`` characters and "…"."""
    return text if len(text) <= limit else text[:limit] + "…"


def cut_repr(value: Any, limit: int = LIMIT) -> str:
    """The repr of ``value``, cut; a long string is sliced before repr (no full copy of it)."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "…"
    return cut(repr(value), limit)
