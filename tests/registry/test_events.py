"""lockstep.registry.events: tag names, event order, replay into versions and stages, semver."""

from __future__ import annotations

import pytest

from lockstep.errors import LockstepError
from lockstep.registry.events import ASSIGN, REGISTER, UNASSIGN, Event, build, bump, parse_tag
from tests.helpers.registry import A, reg, stage


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
