"""Reading metric changes: which way is better for each metric (the ``metrics`` section).

One place decides "better" and "worse" for the PR report, the gate and promotion.
"""

from __future__ import annotations

from typing import Any

from .errors import LockstepError

DIRECTIONS = ("higher", "lower")


def directions(params: dict[str, Any]) -> dict[str, str]:
    """The ``metrics`` section: metric name → 'higher' or 'lower' is better."""
    section = params.get("metrics") or {}
    for name, direction in section.items():
        if direction not in DIRECTIONS:
            raise LockstepError(f"metrics.{name}: '{direction}' must be 'higher' or 'lower'")
    return dict(section)


def improvement(direction: str, base: float, head: float) -> float:
    """Signed change, positive when ``head`` is better than ``base``."""
    if direction not in DIRECTIONS:
        raise LockstepError(f"metric direction '{direction}' must be 'higher' or 'lower'")
    delta = float(head) - float(base)
    return delta if direction == "higher" else -delta


def verdict(
    direction: str | None, base: float | None, head: float | None, eps: float = 1e-12
) -> str:
    """'better', 'worse', 'same', or '' when it cannot be judged."""
    if direction is None or base is None or head is None:
        return ""
    gain = improvement(direction, base, head)
    if abs(gain) <= eps:
        return "same"
    return "better" if gain > 0 else "worse"
