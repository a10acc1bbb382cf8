"""Promotion judged by intervals: significant superiority of the primary metric, guardrail modes.

``promote.require_significant_gain`` lists the stages (e.g. ``[prod]``) where the candidate's
primary metric must be *significantly* better than the champion's: the whole interval of the
gain above 0, and the gain itself at least ``min_improvement``. ``promote.mode`` judges the
guardrails as ``gate.mode`` judges the gate (lockstep.gate_modes): ``tolerance`` by the point
change, ``significance`` fails a significant regression beyond the guardrail, ``non_inferiority``
needs the whole interval within it. Each line records the test, the interval and the verdict,
and goes into the tag message.
"""

from __future__ import annotations

from typing import Any

from ..paired import Comparison
from ..significance import MODES, Settings, describe, gains, interval_text, judge


def check_settings(mode: str, stages: tuple[str, ...], known: tuple[str, ...]) -> str | None:
    """An error message for a bad ``promote`` statistics setting, or None."""
    if mode not in MODES:
        return f"promote.mode: '{mode}' must be one of {', '.join(MODES)}"
    unknown = sorted(set(stages) - set(known))
    if unknown:
        return f"promote.require_significant_gain: unknown stage '{unknown[0]}' ({known})"
    return None


def needs_scores(mode: str, stages: tuple[str, ...], stage: str) -> bool:
    return mode != "tolerance" or stage in stages


def primary(cmp: Comparison, direction: str, min_improvement: float) -> tuple[bool, str]:
    """(ok, line): significantly better, and by at least ``min_improvement`` on the point."""
    worst, _ = gains(direction, cmp)
    gain = cmp.diff if direction == "higher" else -cmp.diff
    ok = worst > 0 and gain >= min_improvement - 1e-12
    line = (
        f"primary {cmp.metric} (significant gain required): {interval_text(cmp, direction)} "
        f"({describe(cmp)}; needs the interval above 0 and a gain >= {min_improvement})"
    )
    return ok, line


def guardrail(mode: str, cmp: Comparison, direction: str, allowed: float) -> tuple[bool, str]:
    failed, reason = judge(mode, direction, cmp, allowed)
    return not failed, f"guardrail {cmp.metric} ({mode}, allowed {allowed}): {reason}"


def evidence(
    candidate_rev: str, champion_rev: str, rules: dict[str, Any], settings: Settings
) -> dict[str, Comparison]:
    """Comparisons of the candidate with the champion from both commits' scored test rows."""
    from ..metric_rules import directions
    from ..scores import read_at
    from ..significance import compare_all

    base, head = read_at(champion_rev), read_at(candidate_rev)
    return compare_all(base, head, directions(rules), settings)
