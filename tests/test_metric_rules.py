"""lockstep.metric_rules: which way is better for each metric."""

from __future__ import annotations

import pytest

from lockstep.errors import LockstepError
from lockstep.metric_rules import directions, improvement, verdict


def test_directions_reads_the_metrics_section():
    params = {"metrics": {"roc_auc": "higher", "log_loss": "lower"}, "seed": 1}
    assert directions(params) == {"roc_auc": "higher", "log_loss": "lower"}
    assert directions({}) == {}
    assert directions({"metrics": None}) == {}


def test_directions_rejects_a_bad_direction_and_names_the_metric():
    with pytest.raises(LockstepError, match=r"metrics\.brier: 'down' must be 'higher' or 'lower'"):
        directions({"metrics": {"roc_auc": "higher", "brier": "down"}})


def test_improvement_is_positive_when_head_is_better():
    assert improvement("higher", 0.80, 0.85) == pytest.approx(0.05)
    assert improvement("higher", 0.85, 0.80) == pytest.approx(-0.05)
    assert improvement("lower", 0.40, 0.30) == pytest.approx(0.10)
    assert improvement("lower", 0.30, 0.40) == pytest.approx(-0.10)


@pytest.mark.parametrize(
    ("direction", "base", "head", "expected"),
    [
        ("higher", 0.8, 0.9, "better"),
        ("higher", 0.9, 0.8, "worse"),
        ("lower", 0.5, 0.4, "better"),
        ("lower", 0.4, 0.5, "worse"),
        ("higher", 0.8, 0.8, "same"),
        ("lower", 0.3, 0.3 + 1e-15, "same"),
        (None, 0.8, 0.9, ""),
        ("higher", None, 0.9, ""),
        ("lower", 0.9, None, ""),
    ],
)
def test_verdict(direction, base, head, expected):
    assert verdict(direction, base, head) == expected


def test_verdict_respects_eps():
    assert verdict("higher", 0.5, 0.5001, eps=1e-3) == "same"
    assert verdict("higher", 0.5, 0.502, eps=1e-3) == "better"


def test_improvement_rejects_non_numbers():
    with pytest.raises((TypeError, ValueError)):
        improvement("higher", "n/a", 0.5)


@pytest.mark.parametrize("direction", ["up", "Higher", ""])
def test_improvement_and_verdict_reject_a_bad_direction(direction):
    with pytest.raises(LockstepError, match=r"must be 'higher' or 'lower'"):
        improvement(direction, 0.5, 0.6)
    with pytest.raises(LockstepError, match=r"must be 'higher' or 'lower'"):
        verdict(direction, 0.5, 0.6)
