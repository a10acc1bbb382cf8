"""lockstep.registry.policy: fairness limits refuse a model biased against one group."""

from __future__ import annotations

import numpy as np
import pytest

from lockstep.fairness import FairnessParams, fairness_report
from lockstep.registry.policy import Policy, decide

DIRECTIONS = {"roc_auc": "higher"}
METRICS = {"roc_auc": 0.9}


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
    return decide(policy, DIRECTIONS, METRICS, None, True, report)


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
