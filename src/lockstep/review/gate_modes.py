"""The gate's statistical modes: judge a regression by the interval of the difference.

``gate.mode`` (read from the base revision, like the tolerances):
- ``tolerance``: the point change must not regress past the tolerance (no statistics);
- ``significance``: fail only when the regression is significant *and* beyond the tolerance, i.e.
  when even the most favourable end of the interval regresses by more than the tolerance;
- ``non_inferiority``: pass only when the interval shows the head is no worse than the base by
  more than the margin (``gate.tolerances.<metric>.margin``, else the tolerance): even the least
  favourable end of the interval must regress by less than the margin.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from ..config import build
from ..errors import LockstepError
from ..significance import MODES, Settings, gains, judge

__all__ = ["MODES", "GateStats", "gains", "gate_stats", "judge", "restate"]


@dataclass(frozen=True)
class GateStats:
    """The statistical part of the ``gate`` section."""

    mode: str = "tolerance"
    confidence: float = 0.95
    bootstrap_samples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise LockstepError(f"gate.mode: '{self.mode}' must be one of {', '.join(MODES)}")
        if not 0.5 <= self.confidence < 1:
            raise LockstepError(f"gate.confidence must be in [0.5, 1), got {self.confidence}")
        if self.bootstrap_samples < 100:
            raise LockstepError("gate.bootstrap_samples must be at least 100")

    def settings(self, threshold: float) -> Settings:
        return Settings(threshold, self.confidence, self.bootstrap_samples, self.seed)


@dataclass(frozen=True)
class GateSection(GateStats):
    """The whole ``gate`` section: a misspelt key (``mdoe``) is refused, never ignored. The
    non-statistical keys are checked where they are used (lockstep.review.gate)."""

    tolerances: Any = None
    fairness_limits: Any = None
    require_fresh_lock: Any = False


def gate_stats(params: dict[str, Any]) -> GateStats:
    """The statistical settings of ``params["gate"]``, after refusing any key it does not know."""
    whole = build(GateSection, params.get("gate") or {}, "params.yaml:gate")
    return GateStats(**{f.name: getattr(whole, f.name) for f in fields(GateStats)})


def restate(
    checks: list, directions: dict[str, str], tols: dict, mode: str, comparisons: dict
) -> list:
    """The gate's checks judged by ``mode``; a metric with no test keeps its tolerance check."""
    if mode == "tolerance":
        return list(checks)
    out = []
    for c in checks:
        cmp = comparisons.get(c.metric)
        if c.base is None or c.head is None or cmp is None:
            note = "" if cmp or c.base is None or c.head is None else " (no test: by tolerance)"
            out.append(replace(c, reason=c.reason + note))
            continue
        margin = getattr(tols.get(c.metric), "margin", None)
        limit = margin if mode == "non_inferiority" and margin is not None else c.allowed
        failed, reason = judge(mode, directions[c.metric], cmp, limit)
        out.append(replace(c, failed=failed, reason=reason))
    return out
