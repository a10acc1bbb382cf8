"""Registry tags, event order, semver bumps and promotion decisions: pure functions only."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from lockstep import bootstrap
from lockstep.errors import LockstepError
from lockstep.registry.events import ASSIGN, REGISTER, UNASSIGN, Event, build, bump, parse_tag, rows
from lockstep.registry.fetch import card_text, requirements, resolve
from lockstep.registry.policy import Policy, change_level, decide
from lockstep.registry.tags import render

A = "churn-model"
DIRECTIONS = {"roc_auc": "higher", "pr_auc": "higher", "log_loss": "lower", "brier": "lower"}


def reg(version: str, commit: str, time: int) -> Event:
    return Event(f"{A}@{version}", A, REGISTER, commit, time, version=version)


def stage(action: str, name: str, commit: str, time: int, counter: int) -> Event:
    mark = "!" if action == UNASSIGN else ""
    return Event(
        f"{A}#{name}{mark}#{counter}", A, action, commit, time, stage=name, counter=counter
    )


@pytest.mark.parametrize(
    ("tag", "action", "version", "stage_name", "counter"),
    [
        ("churn-model@v1.2.3", "register", "v1.2.3", None, None),
        ("churn-model@v1.2.3!", "deregister", "v1.2.3", None, None),
        ("churn-model#prod#7", "assign", None, "prod", 7),
        ("churn-model#prod!#12", "unassign", None, "prod", 12),
        ("my_model#staging#1", "assign", None, "staging", 1),
    ],
)
def test_parse_tag_reads_gto_names(tag, action, version, stage_name, counter):
    parsed = parse_tag(tag)
    assert parsed is not None
    assert (parsed.action, parsed.version, parsed.stage, parsed.counter) == (
        action,
        version,
        stage_name,
        counter,
    )


@pytest.mark.parametrize("tag", ["v1.0.0", "churn-model@1.0.0", "churn-model", "release-2024"])
def test_parse_tag_ignores_other_tags(tag):
    assert parse_tag(tag) is None


def test_same_second_events_are_ordered_by_counter_not_by_name():
    # As text, "#prod!#10" sorts before "#prod#9"; by counter the unassignment comes last.
    events = [
        reg("v0.1.0", "a", 100),
        stage(UNASSIGN, "prod", "a", 100, 10),
        stage(ASSIGN, "prod", "a", 100, 9),
    ]
    registry = build(events, A)
    assert [e.tag for e in registry.events][1:] == [f"{A}#prod#9", f"{A}#prod!#10"]
    assert registry.current("prod") is None


def test_current_is_greatest_semver_not_text():
    events = [reg("v0.9.0", "a", 1), reg("v0.10.0", "b", 2)]
    events += [stage(ASSIGN, "prod", "b", 3, 1), stage(ASSIGN, "prod", "a", 4, 2)]
    assert build(events, A).current("prod").version == "v0.10.0"


def test_deregistered_versions_hold_no_stage():
    events = [reg("v0.1.0", "a", 1), stage(ASSIGN, "prod", "a", 2, 1)]
    events.append(Event(f"{A}@v0.1.0!", A, "deregister", "a", 3, version="v0.1.0"))
    registry = build(events, A)
    assert registry.current("prod") is None
    assert registry.latest() == "v0.1.0"


def test_promotions_then_rollbacks_walk_back_and_skip_rolled_back_versions():
    events = [reg("v0.1.0", "a", 1), stage(ASSIGN, "prod", "a", 1, 1)]
    events += [reg("v0.2.0", "b", 2), stage(ASSIGN, "prod", "b", 2, 2)]
    events += [stage(UNASSIGN, "prod", "a", 2, 3)]
    events += [reg("v0.3.0", "c", 3), stage(ASSIGN, "prod", "c", 3, 4)]
    events += [stage(UNASSIGN, "prod", "b", 3, 5)]
    registry = build(events, A)
    assert (registry.current("prod").version, registry.previous("prod").version) == (
        "v0.3.0",
        "v0.2.0",
    )
    events += [stage(UNASSIGN, "prod", "c", 4, 6), stage(ASSIGN, "prod", "b", 4, 7)]
    registry = build(events, A)
    assert (registry.current("prod").version, registry.previous("prod").version) == (
        "v0.2.0",
        "v0.1.0",
    )
    events += [stage(UNASSIGN, "prod", "b", 5, 8), stage(ASSIGN, "prod", "a", 5, 9)]
    registry = build(events, A)
    assert registry.current("prod").version == "v0.1.0"
    assert registry.previous("prod") is None


def test_two_versions_on_one_commit_are_refused():
    with pytest.raises(LockstepError, match="two versions on one commit"):
        build([reg("v0.1.0", "a", 1), reg("v0.2.0", "a", 2)], A)


def test_assignment_needs_a_registered_version():
    with pytest.raises(LockstepError, match="no registered version"):
        build([stage(ASSIGN, "prod", "a", 1, 1)], A)


def test_other_artifacts_are_ignored():
    other = Event("other@v1.0.0", "other", REGISTER, "a", 1, version="v1.0.0")
    assert build([other], A).versions == {}


@pytest.mark.parametrize(
    ("latest", "level", "expected"),
    [
        (None, "minor", "v0.1.0"),
        ("v1.2.3", "major", "v2.0.0"),
        ("v1.2.3", "minor", "v1.3.0"),
        ("v1.2.3", "patch", "v1.2.4"),
    ],
)
def test_bump(latest, level, expected):
    assert bump(latest, level) == expected


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


def test_bootstrap_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 10)
    p = np.round(rng.random(20), 1)  # ties on purpose
    got = bootstrap.point(y, p, 0.5)
    pred = (p >= 0.5).astype(int)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert got["pr_auc"] == pytest.approx(skm.average_precision_score(y, p))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, p))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert got["precision"] == pytest.approx(skm.precision_score(y, pred))
    first = bootstrap.intervals(y, p, 0.5, 50, 0.9, seed=1)
    assert first == bootstrap.intervals(y, p, 0.5, 50, 0.9, seed=1)
    low, high = first["roc_auc"]
    assert low <= got["roc_auc"] <= high


def test_render_and_model_get_helpers():
    events = [reg("v0.1.0", "a" * 40, 1), stage(ASSIGN, "prod", "a" * 40, 2, 1)]
    registry = build(events, A)
    body = json.loads(render(registry, as_json=True))
    assert body["stages"] == {"prod": "v0.1.0"}
    assert rows(registry)[0]["stages"] == ["prod"]
    assert "v0.1.0" in render(registry, as_json=False)
    found = resolve(registry, "prod", None)
    assert f"- commit: `{'a' * 40}`" in card_text(b"# Card\n", registry, found)
    with pytest.raises(LockstepError, match=r"no version v9\.9\.9"):
        resolve(registry, None, "v9.9.9")
    with pytest.raises(LockstepError, match="exactly one"):
        resolve(registry, "prod", "v0.1.0")
    pyproject = b'[project]\ndependencies = ["numpy==2.0", "Click==8.0"]\n'
    assert requirements(pyproject) == "Click==8.0\nnumpy==2.0\n"
