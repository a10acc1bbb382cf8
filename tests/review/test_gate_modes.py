"""Gate modes: tolerance by the point change, significance and non-inferiority by the interval."""

from __future__ import annotations

import pytest

from lockstep.errors import LockstepError
from lockstep.paired import Comparison
from lockstep.review import gate, gate_modes

WAYS = {"roc_auc": "higher", "log_loss": "lower", "custom": "higher"}
TOLS = {
    "roc_auc": gate.Tolerance(abs=0.005),
    "log_loss": gate.Tolerance(abs=0.01, margin=0.002),
    "custom": gate.Tolerance(abs=0.0),
}


def cmp(metric: str, base: float, head: float, low: float, high: float) -> Comparison:
    return Comparison(metric, base, head, head - base, low, high, "test", True, 0.95, 0.5)


def run(mode: str, comparisons: dict, base: dict, head: dict) -> dict[str, bool]:
    checks = gate.check(base, head, WAYS, TOLS)
    restated = gate_modes.restate(checks, WAYS, TOLS, mode, comparisons)
    return {c.metric: c.failed for c in restated if c.metric in base}


def test_significance_fails_only_a_significant_regression_beyond_the_tolerance() -> None:
    base, head = {"roc_auc": 0.85, "log_loss": 0.4}, {"roc_auc": 0.84, "log_loss": 0.41}
    noisy = {
        "roc_auc": cmp("roc_auc", 0.85, 0.84, -0.03, 0.01),
        "log_loss": cmp("log_loss", 0.4, 0.41, -0.01, 0.03),
    }
    assert run("significance", noisy, base, head) == {"roc_auc": False, "log_loss": False}
    assert run("tolerance", noisy, base, head) == {"roc_auc": True, "log_loss": False}
    sure = {
        "roc_auc": cmp("roc_auc", 0.85, 0.84, -0.012, -0.008),  # beyond 0.005 at best
        "log_loss": cmp("log_loss", 0.4, 0.41, 0.005, 0.015),  # within 0.01 at best
    }
    assert run("significance", sure, base, head) == {"roc_auc": True, "log_loss": False}


def test_non_inferiority_needs_the_worst_end_within_the_margin() -> None:
    base, head = {"roc_auc": 0.85, "log_loss": 0.4}, {"roc_auc": 0.85, "log_loss": 0.4}
    narrow = {
        "roc_auc": cmp("roc_auc", 0.85, 0.85, -0.004, 0.004),
        "log_loss": cmp("log_loss", 0.4, 0.4, -0.001, 0.001),
    }
    assert run("non_inferiority", narrow, base, head) == {"roc_auc": False, "log_loss": False}
    wide = {
        "roc_auc": cmp("roc_auc", 0.85, 0.85, -0.02, 0.02),
        "log_loss": cmp("log_loss", 0.4, 0.4, -0.003, 0.003),  # margin 0.002, not abs 0.01
    }
    assert run("non_inferiority", wide, base, head) == {"roc_auc": True, "log_loss": True}


def test_a_metric_without_a_test_is_judged_by_its_tolerance() -> None:
    checks = gate.check({"custom": 1.0}, {"custom": 0.9}, WAYS, TOLS)
    restated = gate_modes.restate(checks, WAYS, TOLS, "significance", {})[-1]
    assert restated.metric == "custom"
    assert restated.failed and "no test: by tolerance" in restated.reason


def test_reasons_show_the_interval_and_the_test() -> None:
    checks = gate.check({"roc_auc": 0.85}, {"roc_auc": 0.84}, WAYS, TOLS)
    comparisons = {"roc_auc": cmp("roc_auc", 0.85, 0.84, -0.03, 0.01)}
    c = gate_modes.restate(checks, WAYS, TOLS, "significance", comparisons)[0]
    assert "\u22120.0100 [\u22120.0300, +0.0100] indistinguishable (test, 95% interval" in c.reason


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"mode": "vibes"}, "gate.mode"),
        ({"confidence": 1.0}, "gate.confidence"),
        ({"bootstrap_samples": 10}, "bootstrap_samples"),
    ],
)
def test_bad_gate_settings_are_refused(section: dict, message: str) -> None:
    with pytest.raises(LockstepError, match=message):
        gate_modes.gate_stats({"gate": {"tolerances": {}, **section}})


def test_a_negative_margin_is_refused() -> None:
    params = {"gate": {"tolerances": {"roc_auc": {"abs": 0.0, "margin": -1}}}}
    with pytest.raises(LockstepError, match="margin must be >= 0"):
        gate.tolerances(params)


def test_a_misspelt_gate_key_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(LockstepError, match=r"unknown key 'mdoe' \(allowed: .*\bmode\b") as err:
        gate_modes.gate_stats({"gate": {"tolerances": {}, "mdoe": "significance"}})
    assert "params.yaml:gate" in str(err.value) and "tolerances" in str(err.value)
