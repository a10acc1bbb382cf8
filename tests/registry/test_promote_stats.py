"""Promotion judged by intervals: significant superiority for a stage, guardrail modes."""

from __future__ import annotations

import pytest

from lockstep.config import build
from lockstep.errors import LockstepError
from lockstep.paired import Comparison
from lockstep.registry.policy import Policy, decide

WAYS = {"roc_auc": "higher", "log_loss": "lower"}
CHAMPION = {"roc_auc": 0.84, "log_loss": 0.42}


def cmp(metric: str, base: float, head: float, low: float, high: float) -> Comparison:
    return Comparison(
        metric, base, head, head - base, low, high, "DeLong (paired)", True, 0.95, 0.01
    )


def policy(**changes) -> Policy:
    return Policy(guardrails={"log_loss": 0.01}, floors={}, **changes)


def test_prod_can_require_a_significant_gain() -> None:
    strict = policy(require_significant_gain=("prod",))
    candidate = {"roc_auc": 0.85, "log_loss": 0.42}
    noisy = {
        "roc_auc": cmp("roc_auc", 0.84, 0.85, -0.002, 0.022),
        "log_loss": cmp("log_loss", 0.42, 0.42, -0.01, 0.01),
    }
    refused = decide(strict, WAYS, candidate, CHAMPION, True, evidence=noisy, stage="prod")
    assert not refused.promote
    assert refused.reasons == ["roc_auc is not significantly better than the champion's"]
    message = refused.message("churn-model v1.1.0 to prod")
    assert "+0.0100 [\u22120.0020, +0.0220] indistinguishable (DeLong (paired)" in message
    assert decide(strict, WAYS, candidate, CHAMPION, True, evidence=noisy, stage="staging").promote
    sure = {**noisy, "roc_auc": cmp("roc_auc", 0.84, 0.85, 0.004, 0.016)}
    promoted = decide(strict, WAYS, candidate, CHAMPION, True, evidence=sure, stage="prod")
    assert promoted.promote and "better" in promoted.message("x")


def test_significance_mode_forgives_a_guardrail_regression_that_is_noise() -> None:
    candidate = {"roc_auc": 0.85, "log_loss": 0.435}  # +0.015: past the 0.01 guardrail
    evidence = {"log_loss": cmp("log_loss", 0.42, 0.435, -0.005, 0.035)}
    assert not decide(policy(), WAYS, candidate, CHAMPION, True).promote
    assert decide(
        policy(mode="significance"), WAYS, candidate, CHAMPION, True, evidence=evidence
    ).promote
    inferior = decide(
        policy(mode="non_inferiority"), WAYS, candidate, CHAMPION, True, evidence=evidence
    )
    assert not inferior.promote
    assert "cannot rule out a regression larger than the margin" in inferior.reasons[0]


def test_interval_judgement_without_scores_is_an_error() -> None:
    with pytest.raises(LockstepError, match="scored test rows"):
        decide(policy(mode="significance"), WAYS, CHAMPION, CHAMPION, True, evidence=None)


def test_bad_statistics_settings_are_refused() -> None:
    with pytest.raises(LockstepError, match=r"promote\.mode"):
        build(Policy, {"mode": "hope"}, "promote")
    with pytest.raises(LockstepError, match="unknown stage 'live'"):
        build(Policy, {"require_significant_gain": ["live"]}, "promote")


def test_a_misspelt_promote_key_is_refused_with_the_allowed_ones() -> None:
    from lockstep.config import read_section

    with pytest.raises(LockstepError, match=r"promote: unknown key 'mdoe' \(allowed: .*\bmode\b"):
        read_section(Policy, {"promote": {"mdoe": "significance"}})
