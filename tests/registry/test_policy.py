"""lockstep.registry.policy: the champion/challenger decision, the semver change level, and the
fairness limits that refuse a model biased against one group."""

from __future__ import annotations

import numpy as np
import pytest

from lockstep.errors import LockstepError
from lockstep.fairness import FairnessParams, fairness_report
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


class PenalisingModel:
    """A deliberately biased scorer: a fair score, lowered for one group of one column."""

    def __init__(self, column: str, group: int, penalty: float) -> None:
        self.column, self.group, self.penalty = column, group, penalty

    def predict_proba(self, frame: dict[str, np.ndarray]) -> np.ndarray:
        fair = frame["signal"]
        hit = frame[self.column] == self.group
        p = np.clip(fair - self.penalty * hit, 0, 1)
        return np.column_stack([1 - p, p])


@pytest.fixture
def population() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 600
    y = rng.integers(0, 2, n)
    return {
        "y": y,
        "senior": rng.integers(0, 2, n),
        "signal": np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.15, n), 0, 1),
    }


def judged(population: dict, model: PenalisingModel, limit: float):
    proba = model.predict_proba(population)[:, 1]
    params = FairnessParams(seed=1, bootstrap_samples=100)
    report = fairness_report(population["y"], proba, 0.5, {"senior": population["senior"]}, params)
    policy = Policy(floors={}, fairness_limits={"equalized_odds_difference": limit})
    return decide(policy, {"roc_auc": "higher"}, {"roc_auc": 0.9}, None, True, report)


def test_promote_refuses_a_model_that_penalises_one_group_and_names_it(population):
    decision = judged(population, PenalisingModel("senior", 1, penalty=0.35), limit=0.1)
    assert not decision.promote
    (reason,) = decision.reasons
    assert reason.startswith("fairness: equalized_odds_difference for `senior`")
    assert "wholly above the limit 0.1" in reason and "tpr of group 0 vs 1" in reason
    assert any(line.endswith("FAIL") for line in decision.lines)


def test_the_same_scorer_without_the_penalty_is_promoted(population):
    decision = judged(population, PenalisingModel("senior", 1, penalty=0.0), limit=0.1)
    assert decision.promote, decision.reasons
