"""lockstep.registry.promote: judging a candidate (whose rules, which version) and the tag plan."""

from __future__ import annotations

import copy

import pytest

from lockstep.registry.events import ASSIGN, build
from lockstep.registry.policy import Refused
from lockstep.registry.promote import judge, plan_promotion
from tests.helpers.registry import A, reg, stage

CHAMPION, HEAD = "a" * 40, "b" * 40
METRICS = {"roc_auc": 0.80, "log_loss": 0.45}
PARAMS = {
    "model": {"family": "logistic_regression", "C": 1.0},
    "metrics": {"roc_auc": "higher", "log_loss": "lower"},
    "promote": {"artifact": A, "primary_metric": "roc_auc", "min_improvement": 0.0},
}


def snap(params: dict, roc_auc: float, content_hash: str = "h1") -> dict:
    return {
        "metrics": {**METRICS, "roc_auc": roc_auc},
        "validation": {"passed": True},
        "params": params,
        "ingest": {"content_hash": content_hash},
    }


def with_policy(**promote: object) -> dict:
    params = copy.deepcopy(PARAMS)
    params["promote"].update(promote)
    return params


def prod_registry():
    return build([reg("v0.1.0", CHAMPION, 1), stage(ASSIGN, "prod", CHAMPION, 2, 1)], A)


def test_the_champions_policy_judges_so_a_candidate_cannot_loosen_the_bar():
    snaps = {
        CHAMPION: snap(with_policy(min_improvement=0.05), 0.80),
        HEAD: snap(with_policy(min_improvement=0.0), 0.81),  # +0.01: enough only by its own rule
    }
    judged = judge(prod_registry(), "prod", HEAD, snaps[HEAD]["params"], snaps.__getitem__)
    assert not judged.decision.promote
    assert judged.policy.min_improvement == 0.05
    assert "roc_auc did not improve enough" in judged.decision.reasons[0]
    assert judged.champion is not None and judged.champion.version == "v0.1.0"


def test_a_champion_without_a_policy_leaves_the_candidates_rules():
    old = {k: v for k, v in PARAMS.items() if k != "promote"}
    snaps = {CHAMPION: snap(old, 0.80), HEAD: snap(with_policy(min_improvement=0.005), 0.81)}
    judged = judge(prod_registry(), "prod", HEAD, snaps[HEAD]["params"], snaps.__getitem__)
    assert judged.decision.promote, judged.decision.reasons
    assert judged.policy.min_improvement == 0.005


def test_the_version_follows_what_changed_since_the_latest_version():
    params_change = with_policy()
    params_change["model"]["C"] = 0.5
    family_change = with_policy()
    family_change["model"] = {"family": "random_forest"}
    for params, expected in ((params_change, "v0.2.0"), (family_change, "v1.0.0")):
        snaps = {CHAMPION: snap(with_policy(), 0.80), HEAD: snap(params, 0.81)}
        judged = judge(prod_registry(), "prod", HEAD, params, snaps.__getitem__)
        assert judged.version == expected


def test_first_version_and_an_already_registered_head():
    snaps = {HEAD: snap(with_policy(), 0.81)}
    first = judge(build([], A), "staging", HEAD, PARAMS, snaps.__getitem__)
    assert (first.version, first.champion) == ("v0.1.0", None)
    registered = build([reg("v0.3.0", HEAD, 1)], A)
    again = judge(registered, "staging", HEAD, PARAMS, snaps.__getitem__)
    assert (again.version, again.level) == ("v0.3.0", "already registered")


def test_head_that_already_holds_the_stage_is_refused_with_exit_status_3():
    with pytest.raises(Refused, match="already the prod version") as caught:
        judge(prod_registry(), "prod", CHAMPION, PARAMS, lambda commit: {})
    assert caught.value.exit_code == 3


def test_plan_registers_assigns_and_unassigns_the_champion():
    snaps = {CHAMPION: snap(with_policy(), 0.80), HEAD: snap(with_policy(), 0.82)}
    registry = prod_registry()
    judged = judge(registry, "prod", HEAD, PARAMS, snaps.__getitem__)
    plan = plan_promotion(
        registry, "prod", HEAD, judged.decision, judged.version, judged.champion, 7
    )
    assert [(tag, commit) for tag, commit, _ in plan] == [
        (f"{A}@v0.1.1", HEAD),
        (f"{A}#prod#7", HEAD),
        (f"{A}#prod!#8", CHAMPION),
    ]


def test_ab_evidence_refuses_the_numbers_only_metric(tmp_path):
    import json

    from lockstep.errors import LockstepError
    from lockstep.registry.promote import live_ab

    metric = tmp_path / "monitoring.json"
    metric.write_text(json.dumps({"ab": {"difference": 0.01, "low": -0.01, "high": 0.03}}))
    with pytest.raises(LockstepError, match=r"monitoring_report\.json"):
        live_ab(str(metric))
    report = tmp_path / "monitoring_report.json"
    report.write_text(json.dumps({"ab": {"verdict": "not enough labels"}}))
    assert live_ab(str(report)) == {"verdict": "not enough labels"}
