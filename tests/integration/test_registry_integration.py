"""Promotion for real: temp git repos with several commits of real pipeline runs, tags written by
lockstep and read back by the real `gto show`, `gto history` and `gto check-ref`.

GTO orders events by tagger time in whole seconds, so every lockstep call that writes tags gets
its own GIT_COMMITTER_DATE, ten seconds after the previous one.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import commit_all, run

pytestmark = pytest.mark.slow
A = "churn-model"
GTO_EVENTS = {"registration": "register", "assignment": "assign", "unassignment": "unassign"}


class Clock:
    """Tagger time for each lockstep call, and the tags `gto check-ref` has already read."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.checked: set[str] = set()

    def tick(self) -> str:
        self.now += timedelta(seconds=10)
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def lockstep(repo: Path, clock: Clock, *args: str, check: bool = True):
    return run(["lockstep", *args], repo, check=check, GIT_COMMITTER_DATE=clock.tick())


def set_model(repo: Path, **values: str) -> None:
    path = repo / "conf/model/logistic_regression.yaml"
    text = path.read_text()
    for key, value in values.items():
        text = re.sub(rf"^{key}: .*$", f"{key}: {value}", text, flags=re.M)
    path.write_text(text)
    run(["lockstep", "params"], repo)


def reproduce(repo: Path, message: str, **values: str) -> str:
    set_model(repo, **values)
    run(["dvc", "repro"], repo)
    return commit_all(repo, message)


def registry(repo: Path) -> dict:
    return json.loads(run(["lockstep", "registry", "--json"], repo).stdout)


def assert_gto_agrees(repo: Path, clock: Clock) -> dict:
    """`gto show`, `gto history` and `gto check-ref` read what `lockstep registry` reads."""
    ours = registry(repo)
    shown = json.loads(run(["gto", "show", "--json"], repo).stdout)[A]
    assert shown["stage"] == ours["stages"]
    assert shown["version"] == ours["versions"][0]["version"]
    versions = json.loads(run(["gto", "show", A, "--json"], repo).stdout)
    assert {v["version"]: v["commit_hexsha"] for v in versions} == {
        v["version"]: v["commit"] for v in ours["versions"]
    }
    history = json.loads(run(["gto", "history", A, "--json"], repo).stdout)
    theirs = {
        (h["ref"], GTO_EVENTS[h["event"]], h["version"], h["stage"], h["commit"])
        for h in history
        if h["event"] in GTO_EVENTS
    }
    mine = {(e["tag"], e["action"], e["version"], e["stage"], e["commit"]) for e in ours["history"]}
    assert {(t, a, v, s if s != "-" else None, c) for t, a, v, s, c in theirs} == mine
    times = [e["time"] for e in ours["history"]]
    assert times == sorted(times, reverse=True)
    for event in (e for e in ours["history"] if e["tag"] not in clock.checked):
        clock.checked.add(event["tag"])
        ref = json.loads(run(["gto", "check-ref", event["tag"], "--json"], repo).stdout)
        assert (GTO_EVENTS[ref["event"]], ref["version"], ref["commit_hexsha"]) == (
            event["action"],
            event["version"],
            event["commit"],
        )
    return ours


def md5_in_lock(repo: Path, commit: str, path: str) -> str:
    lock = yaml.safe_load(run(["git", "show", f"{commit}:dvc.lock"], repo).stdout)
    outs = [o for s in lock["stages"].values() for o in s.get("outs", []) if o["path"] == path]
    return outs[0]["md5"]


def test_promote_rollback_promote_again_and_model_get(baseline, clock, tmp_path):
    project = baseline
    first = run(["git", "rev-parse", "HEAD"], project).stdout.strip()
    out = lockstep(project, clock, "promote", "--stage", "staging")
    assert "no champion" in out.stdout
    lockstep(project, clock, "promote", "--stage", "prod")
    assert registry(project)["stages"] == {"prod": "v0.1.0", "staging": "v0.1.0"}

    second = reproduce(project, "smaller C", C="0.3")
    dry = lockstep(project, clock, "promote", "--stage", "staging", "--dry-run")
    assert f"would create tag {A}@v0.2.0" in dry.stdout
    assert "v0.2.0" not in json.dumps(registry(project))
    lockstep(project, clock, "promote", "--stage", "staging")
    lockstep(project, clock, "promote", "--stage", "prod")
    ours = assert_gto_agrees(project, clock)
    assert ours["stages"] == {"prod": "v0.2.0", "staging": "v0.2.0"}
    message = run(["git", "tag", "-l", "-n99", f"{A}#prod#*"], project).stdout
    assert "primary roc_auc: candidate" in message and "vs champion" in message

    rolled = lockstep(project, clock, "rollback", "--stage", "prod")
    assert "prod: v0.2.0 → v0.1.0" in rolled.stdout
    assert assert_gto_agrees(project, clock)["stages"] == {"prod": "v0.1.0", "staging": "v0.2.0"}
    again = lockstep(project, clock, "rollback", "--stage", "prod", check=False)
    assert again.returncode != 0 and "only version prod has held" in again.stderr
    lockstep(project, clock, "promote", "--stage", "prod")
    assert registry(project)["stages"] == {"prod": "v0.2.0", "staging": "v0.2.0"}
    same = lockstep(project, clock, "promote", "--stage", "prod", check=False)
    assert same.returncode != 0 and "already the prod version" in same.stderr

    for args, commit in (("--stage=prod", second), ("--version=v0.1.0", first)):
        dest = tmp_path / args.split("=")[1]
        run(["lockstep", "model", "get", args, "-o", str(dest)], project)
        model_md5 = hashlib.md5((dest / "model.skops").read_bytes()).hexdigest()
        assert model_md5 == md5_in_lock(project, commit, "models/model.skops")
        wanted = f"lockstep @ git+{project.resolve().as_uri()}@{commit}"
        assert wanted in (dest / "requirements.txt").read_text().splitlines()
        card = (dest / "model_card.md").read_text()
        assert f"- commit: `{commit}`" in card and "## Metrics by slice" in card
        assert json.loads((dest / "version.json").read_text())["commit"] == commit
    assert assert_gto_agrees(project, clock)["stages"] == {"prod": "v0.2.0", "staging": "v0.2.0"}


def test_worse_and_guardrail_candidates_are_refused(baseline, clock):
    project = baseline
    lockstep(project, clock, "promote", "--stage", "staging")
    reproduce(project, "much smaller C", C="0.01")
    worse = lockstep(project, clock, "promote", "--stage", "staging", check=False)
    assert worse.returncode == 3
    assert "not promoted to staging: roc_auc did not improve enough" in worse.stderr
    reproduce(project, "balanced classes", C="0.1", class_weight="balanced")
    guard = lockstep(project, clock, "promote", "--stage", "staging", check=False)
    assert guard.returncode == 3
    assert "guardrail log_loss regressed" in guard.stderr
    assert "primary roc_auc: candidate" in guard.stdout and "ok" in guard.stdout
    assert [v["version"] for v in assert_gto_agrees(project, clock)["versions"]] == ["v0.1.0"]


def test_stale_pipeline_and_stale_params_are_refused(baseline, clock):
    project = baseline
    path = project / "conf/model/logistic_regression.yaml"
    path.write_text(path.read_text().replace("C: 1.0", "C: 0.3"))
    commit_all(project, "conf changed, params.yaml not composed")
    stale = lockstep(project, clock, "promote", "--stage", "staging", check=False)
    assert stale.returncode == 1 and "params.yaml is out of date with conf/" in stale.stderr
    run(["lockstep", "params"], project)
    dirty = lockstep(project, clock, "promote", "--stage", "staging", check=False)
    assert dirty.returncode == 1 and "uncommitted changes (params.yaml)" in dirty.stderr
    commit_all(project, "params composed, pipeline not reproduced")
    stale = lockstep(project, clock, "promote", "--stage", "staging", check=False)
    assert stale.returncode == 1 and "not reproduced at HEAD" in stale.stderr
    assert "train" in stale.stderr
    assert run(["git", "tag"], project).stdout == ""


def test_two_versions_on_one_commit_are_refused_clearly(baseline, clock):
    project = baseline
    lockstep(project, clock, "promote", "--stage", "staging")
    run(
        ["git", "tag", "-a", f"{A}@v0.2.0", "-m", "by hand"],
        project,
        GIT_COMMITTER_DATE=clock.tick(),
    )
    for args in (["registry"], ["promote", "--stage", "prod"], ["rollback", "--stage", "staging"]):
        refused = lockstep(project, clock, *args, check=False)
        assert refused.returncode == 1
        assert f"two versions on one commit: {A}@v0.1.0 and {A}@v0.2.0" in refused.stderr
    gto = run(["gto", "show", "--json"], project, check=False)
    assert gto.returncode != 0  # GTO refuses this registry too
