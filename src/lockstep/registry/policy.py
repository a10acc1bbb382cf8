"""The promotion policy (params section ``promote``) and the champion/challenger decision.

Pure functions: metrics, params and directions in, a Decision out. "Better" and "worse" come
from lockstep.metric_rules, i.e. from the ``metrics`` section of params.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import LockstepError
from ..fairness_checks import breaches, check_limits
from ..metric_rules import improvement
from ..paired import Comparison
from . import promote_stats

# params.yaml sections that describe reporting and promotion, not the model itself.
NOT_MODEL = ("promote", "gate", "metrics", "report")


class Refused(LockstepError):
    """The candidate was judged and not promoted (exit status 3, unlike errors' 1)."""

    exit_code = 3


@dataclass(frozen=True)
class Policy:
    SECTION: ClassVar[str] = "promote"
    artifact: str = "churn-model"
    primary_metric: str = "roc_auc"
    min_improvement: float = 0.0
    guardrails: dict[str, float] = field(default_factory=dict)
    floors: dict[str, float] = field(default_factory=dict)
    require_validation: bool = True
    model_card: dict[str, Any] = field(default_factory=dict)
    # disparity -> limit for every sensitive column (lockstep.fairness_checks)
    fairness_limits: dict[str, float] = field(default_factory=dict)
    # A monitoring.json from `lockstep monitor`: its canary A/B verdict becomes evidence, and a
    # canary judged "worse" than prod is not promoted. None: live evidence is not used.
    ab_evidence: str | None = None
    # judged by intervals (lockstep.promote_stats)
    mode: str = "tolerance"
    require_significant_gain: tuple[str, ...] = ()
    confidence: float = 0.95
    bootstrap_samples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        error = promote_stats.check_settings(
            self.mode, self.require_significant_gain, ("staging", "prod")
        )
        if error:
            raise LockstepError(error)


@dataclass
class Decision:
    promote: bool
    reasons: list[str]
    lines: list[str]

    def message(self, header: str) -> str:
        verdict = "promoted" if self.promote else "refused"
        body = "\n".join([f"{header}: {verdict}", "", *self.lines, "", *self.reasons])
        return body.strip() + "\n"


def _mark(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def _direction(directions: dict[str, str], metric: str) -> str:
    if metric not in directions:
        raise LockstepError(
            f"promote: metric '{metric}' has no direction in the metrics section of params.yaml"
        )
    return directions[metric]


def _value(metrics: dict[str, Any], metric: str, who: str) -> float:
    if metric not in metrics:
        raise LockstepError(f"{who} metrics have no '{metric}' (reports/metrics.json)")
    return float(metrics[metric])


def _floors(policy: Policy, directions: dict[str, str], candidate: dict[str, Any]) -> Decision:
    out = Decision(True, [], [])
    for metric, limit in sorted(policy.floors.items()):
        direction = _direction(directions, metric)
        value = _value(candidate, metric, "candidate")
        holds = value >= limit if direction == "higher" else value <= limit
        bound = ">=" if direction == "higher" else "<="
        out.lines.append(f"floor {metric}: {value:.6f} {bound} {limit} {_mark(holds)}")
        if not holds:
            out.reasons.append(f"{metric} {value:.6f} misses the absolute floor {bound} {limit}")
    return out


def _primary(policy: Policy, directions, candidate, champion, evidence, stage, out) -> None:
    primary = policy.primary_metric
    direction = _direction(directions, primary)
    head, base = _value(candidate, primary, "candidate"), _value(champion, primary, "champion")
    if stage in policy.require_significant_gain:
        ok, line = promote_stats.primary(
            _evidence(evidence, primary), direction, policy.min_improvement
        )
        out.lines.append(f"{line} {_mark(ok)}")
        if not ok:
            out.reasons.append(f"{primary} is not significantly better than the champion's")
        return
    gain = improvement(direction, base, head)
    ok = gain > 1e-12 and gain >= policy.min_improvement - 1e-12
    out.lines.append(
        f"primary {primary}: candidate {head:.6f} vs champion {base:.6f} "
        f"(gain {gain:+.6f}, needs > 0 and >= {policy.min_improvement}) {_mark(ok)}"
    )
    if not ok:
        out.reasons.append(
            f"{primary} did not improve enough: {head:.6f} vs champion {base:.6f} "
            f"(gain {gain:+.6f}, required >= {policy.min_improvement} and > 0)"
        )


def _guardrails(policy: Policy, directions, candidate, champion, evidence, out) -> None:
    for metric, allowed in sorted(policy.guardrails.items()):
        direction = _direction(directions, metric)
        if policy.mode != "tolerance":
            ok, line = promote_stats.guardrail(
                policy.mode, _evidence(evidence, metric), direction, allowed
            )
            out.lines.append(f"{line} {_mark(ok)}")
            if not ok:
                out.reasons.append(line)
            continue
        head, base = _value(candidate, metric, "candidate"), _value(champion, metric, "champion")
        regression = -improvement(direction, base, head)
        ok = regression <= allowed + 1e-12
        out.lines.append(
            f"guardrail {metric}: candidate {head:.6f} vs champion {base:.6f} "
            f"(regression {regression:+.6f}, allowed {allowed}) {_mark(ok)}"
        )
        if not ok:
            out.reasons.append(
                f"guardrail {metric} regressed by {regression:.6f} "
                f"({head:.6f} vs champion {base:.6f}; allowed {allowed})"
            )


def _evidence(evidence: dict[str, Comparison] | None, metric: str) -> Comparison:
    if not evidence or metric not in evidence:
        raise LockstepError(
            f"promote: judging '{metric}' by its interval needs both commits' scored test rows "
            "(data/scores/test.parquet); none were compared"
        )
    return evidence[metric]


def decide(
    policy: Policy,
    directions: dict[str, str],
    candidate: dict[str, Any],
    champion: dict[str, Any] | None,
    validation_passed: bool,
    fairness: dict[str, Any] | None = None,
    evidence: dict[str, Comparison] | None = None,
    stage: str = "",
) -> Decision:
    """Promote ``candidate`` over ``champion`` (None: no champion yet) under ``policy``?

    ``fairness`` is the candidate's reports/fairness.json, judged by ``policy.fairness_limits``.
    ``evidence`` holds the interval of each metric's change (needed when ``policy.mode`` is not
    ``tolerance`` or ``stage`` requires a significant gain).
    """
    limits = check_limits(policy.fairness_limits, "promote")
    lines, reasons = breaches(fairness, limits)
    out = Decision(True, reasons, lines)
    if policy.require_validation and not validation_passed:
        out.reasons.append("data validation did not pass (reports/validation.json)")
    floors = _floors(policy, directions, candidate)
    out.lines += floors.lines
    out.reasons += floors.reasons
    if champion is not None:
        _primary(policy, directions, candidate, champion, evidence, stage, out)
        _guardrails(policy, directions, candidate, champion, evidence, out)
    else:
        out.lines.append("no champion in this stage yet: only the absolute floors apply")
    out.promote = not out.reasons
    return out


def with_ab_evidence(decision: Decision, ab: dict[str, Any] | None, where: str) -> Decision:
    """``decision`` with the canary's live A/B verdict added; "worse" refuses the promotion."""
    if not ab or "difference" not in ab:
        verdict = (ab or {}).get("verdict", "no canary outcomes")
        decision.lines.append(f"live A/B ({where}): {verdict}; not used")
        return decision
    low, high = ab["interval"]
    worse = ab["verdict"] == "worse"
    decision.lines.append(
        f"live A/B {ab['metric']} ({where}): canary {ab['canary']:.6f} vs prod {ab['prod']:.6f} "
        f"(difference {ab['difference']:+.6f}, interval {low:+.6f} to {high:+.6f}, "
        f"p {ab['p_value']:.3g}): {ab['verdict']} {_mark(not worse)}"
    )
    if worse:
        decision.reasons.append(f"live A/B: the canary is worse than prod on {ab['metric']}")
    return Decision(not decision.reasons, decision.reasons, decision.lines)


def change_level(
    candidate_params: dict[str, Any],
    reference_params: dict[str, Any] | None,
    candidate_data_hash: str | None,
    reference_data_hash: str | None,
) -> str:
    """'major' when the model family changed, 'minor' for params or data, else 'patch'."""
    if reference_params is None:
        return "minor"
    family = (candidate_params.get("model") or {}).get("family")
    if family != (reference_params.get("model") or {}).get("family"):
        return "major"
    sections = (set(candidate_params) | set(reference_params)) - set(NOT_MODEL)
    if any(candidate_params.get(s) != reference_params.get(s) for s in sections):
        return "minor"
    if candidate_data_hash != reference_data_hash:
        return "minor"
    return "patch"
