"""lockstep gate: tolerance semantics (both abs and rel), policy source, exit codes."""

from __future__ import annotations

import pytest

from lockstep.errors import LockstepError
from lockstep.paths import METRICS_FILE
from lockstep.review import gate, revisions
from lockstep.review.revisions import Snapshot
from tests.helpers.cli import invoke

DIRECTIONS = {"roc_auc": "higher", "log_loss": "lower"}
PARAMS = {
    "metrics": DIRECTIONS,
    "gate": {"tolerances": {"roc_auc": {"abs": 0.005, "rel": 0.01}, "log_loss": {"abs": 0.01}}},
}


def checks(base: dict, head: dict, params: dict = PARAMS) -> dict[str, gate.Check]:
    directions, tols, _ = gate.policy(params, params)
    return {c.metric: c for c in gate.check(base, head, directions, tols)}


def test_fails_only_when_both_tolerances_are_exceeded():
    # roc_auc base 0.80: abs 0.005, rel 0.01 * 0.80 = 0.008 -> fails above 0.008
    assert not checks({"roc_auc": 0.80}, {"roc_auc": 0.794})["roc_auc"].failed  # past abs only
    assert not checks({"roc_auc": 0.80}, {"roc_auc": 0.792})["roc_auc"].failed  # exactly rel
    failed = checks({"roc_auc": 0.80}, {"roc_auc": 0.791})["roc_auc"]
    assert failed.failed and "more than both abs 0.005 and rel 0.01" in failed.reason


def test_direction_decides_what_a_regression_is():
    assert checks({"log_loss": 0.40}, {"log_loss": 0.30})["log_loss"].reason == "no regression"
    assert checks({"log_loss": 0.40}, {"log_loss": 0.411})["log_loss"].failed
    assert not checks({"roc_auc": 0.80}, {"roc_auc": 0.90})["roc_auc"].failed


def test_float_noise_at_the_boundary_passes():
    params = {"metrics": DIRECTIONS, "gate": {"tolerances": {"roc_auc": {"abs": 0.005}}}}
    assert not checks({"roc_auc": 0.85}, {"roc_auc": 0.845}, params)["roc_auc"].failed


def test_missing_at_head_fails_and_new_at_head_is_not_gated():
    result = checks({"roc_auc": 0.8}, {"log_loss": 0.4})
    assert result["roc_auc"].failed and result["roc_auc"].reason == "missing at head"
    assert not result["log_loss"].failed and "new at head" in result["log_loss"].reason


def test_policy_comes_from_the_base_unless_it_has_none():
    loose = {"metrics": DIRECTIONS, "gate": {"tolerances": {"roc_auc": {"abs": 1.0}}}}
    _, tols, source = gate.policy(PARAMS, loose)
    assert source == "base" and tols["roc_auc"].abs == 0.005
    _, tols, source = gate.policy({"metrics": DIRECTIONS}, loose)
    assert source == "head" and tols["roc_auc"].abs == 1.0


def test_config_errors_name_the_key():
    with pytest.raises(LockstepError, match="no direction"):
        gate.policy({"gate": {"tolerances": {"auc": {"abs": 0.1}}}}, {})
    with pytest.raises(LockstepError, match="must be >= 0"):
        gate.tolerances({"gate": {"tolerances": {"auc": {"abs": -0.1}}}})
    with pytest.raises(LockstepError, match="unknown key 'absolute'"):
        gate.tolerances({"gate": {"tolerances": {"auc": {"absolute": 0.1}}}})


@pytest.mark.parametrize(("head", "code", "text"), [(0.79, 1, "gate FAILED"), (0.8, 0, "passed")])
def test_command_exit_code(monkeypatch, head, code, text):
    def fake_load(revs, root=".", files=()):
        values = {"main": 0.8, "workspace": head}
        return {r: Snapshot(r, r, {METRICS_FILE: {"roc_auc": values[r]}}, PARAMS) for r in revs}

    monkeypatch.setattr(revisions, "load", fake_load)
    result = invoke("gate", ["--base", "main"])
    assert result.exit_code == code
    assert text in result.output and "roc_auc" in result.output


def test_unreadable_base_metrics_fail_the_gate_instead_of_passing(monkeypatch):
    params = {
        "metrics": {"roc_auc": "higher"},
        "gate": {"tolerances": {"roc_auc": {"abs": 0.01, "rel": 0.01}}},
    }
    head_metrics = {"reports/metrics.json": {"roc_auc": 0.5}}
    snaps = {
        "main": Snapshot("main", "main", metrics={}, params=params),
        "workspace": Snapshot("workspace", "workspace", metrics=head_metrics, params=params),
    }
    monkeypatch.setattr(revisions, "load", lambda revs, files=(): snaps)
    result = invoke("gate", ["--base", "main"])
    assert result.exit_code == 1
    assert "no readable reports/metrics.json" in result.output
