"""lockstep.registry.policy: the champion/challenger decision and the semver change level."""

from __future__ import annotations

import pytest

from lockstep.errors import LockstepError
from lockstep.registry.policy import Policy, change_level, decide

DIRECTIONS = {"roc_auc": "higher", "pr_auc": "higher", "log_loss": "lower", "brier": "lower"}


def test_change_level_from_what_changed():
    base = {"model": {"family": "logistic_regression", "C": 1.0}, "promote": {"x": 1}}
    family = {"model": {"family": "random_forest"}, "promote": {"x": 1}}
    params = {"model": {"family": "logistic_regression", "C": 0.5}, "promote": {"x": 1}}
    policy_only = {"model": {"family": "logistic_regression", "C": 1.0}, "promote": {"x": 2}}
    assert change_level(family, base, "h", "h") == "major"
    assert change_level(params, base, "h", "h") == "minor"
    assert change_level(policy_only, base, "h2", "h") == "minor"
    assert change_level(policy_only, base, "h", "h") == "patch"
    assert change_level(base, None, "h", None) == "minor"


CHAMPION = {"roc_auc": 0.84, "pr_auc": 0.65, "log_loss": 0.42, "brier": 0.137}
POLICY = Policy(
    guardrails={"log_loss": 0.01, "pr_auc": 0.01},
    floors={"roc_auc": 0.8, "log_loss": 0.5},
    min_improvement=0.001,
)


def test_better_candidate_is_promoted():
    better = {**CHAMPION, "roc_auc": 0.845}
    decision = decide(POLICY, DIRECTIONS, better, CHAMPION, True)
    assert decision.promote, decision.reasons
    assert "0.845000 vs champion 0.840000" in decision.message("x")


def test_worse_or_too_small_gain_is_refused_with_the_reason():
    for value in (0.83, 0.8405):
        decision = decide(POLICY, DIRECTIONS, {**CHAMPION, "roc_auc": value}, CHAMPION, True)
        assert not decision.promote
        assert "roc_auc did not improve enough" in decision.reasons[0]


def test_guardrail_regression_is_refused():
    candidate = {**CHAMPION, "roc_auc": 0.85, "log_loss": 0.45}
    decision = decide(POLICY, DIRECTIONS, candidate, CHAMPION, True)
    assert not decision.promote
    assert decision.reasons == [
        "guardrail log_loss regressed by 0.030000 (0.450000 vs champion 0.420000; allowed 0.01)"
    ]


def test_no_champion_uses_floors_and_validation():
    assert decide(POLICY, DIRECTIONS, CHAMPION, None, True).promote
    low = decide(POLICY, DIRECTIONS, {**CHAMPION, "log_loss": 0.6}, None, True)
    assert "log_loss 0.600000 misses the absolute floor <= 0.5" in low.reasons
    invalid = decide(POLICY, DIRECTIONS, CHAMPION, None, False)
    assert invalid.reasons == ["data validation did not pass (reports/validation.json)"]


def test_metric_without_direction_is_a_config_error():
    with pytest.raises(LockstepError, match="no direction"):
        decide(Policy(primary_metric="auc"), DIRECTIONS, CHAMPION, CHAMPION, True)


def test_live_ab_verdict_is_evidence_and_a_worse_canary_is_refused():
    from lockstep.registry.policy import Decision, with_ab_evidence

    ab = {
        "metric": "roc_auc",
        "prod": 0.84,
        "canary": 0.80,
        "difference": -0.04,
        "interval": [-0.06, -0.02],
        "p_value": 0.001,
        "verdict": "worse",
    }
    refused = with_ab_evidence(Decision(True, [], []), ab, "monitoring.json")
    assert not refused.promote and "canary is worse" in refused.reasons[0]
    kept = with_ab_evidence(Decision(True, [], []), {**ab, "verdict": "indistinguishable"}, "m")
    assert kept.promote and "indistinguishable ok" in kept.lines[0]
    unused = with_ab_evidence(Decision(True, [], []), {"verdict": "not enough labels"}, "m")
    assert unused.promote and "not used" in unused.lines[0]
