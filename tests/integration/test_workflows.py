"""pr.yml, run for real under nektos/act (host mode, offline) against stand-ins.

tests/helpers/act.py builds the world: a bare repository as the GitHub remote, a stand-in REST
API on 127.0.0.1 that records comments, the pinned actions replaced by tests/helpers/actions/,
a folder as the team's DVC remote. The other workflows (promote, deploy, drift) run in
tests/integration/test_workflows_more.py (`make workflows`).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import BIN, project_env, run
from tests.helpers.act import Workflows

pytestmark = pytest.mark.slow

# A change to each model family that makes the model clearly worse (probabilities pulled to the
# base rate or a stump), so the gate must fail whatever the committed values are.
REGRESSIONS = {
    "logistic_regression": {"C": 1e-06},
    "hist_gradient_boosting": {"max_iter": 1, "learning_rate": 0.001},
    "random_forest": {"n_estimators": 1, "max_depth": 1},
}


def group_file(project: Path, group: str) -> Path:
    """conf/<group>/<choice>.yaml that conf/config.yaml selects."""
    defaults = yaml.safe_load((project / "conf/config.yaml").read_text())["defaults"]
    choice = next(d[group] for d in defaults if isinstance(d, dict) and group in d)
    return project / "conf" / group / f"{choice}.yaml"


def set_model_params(project: Path, values: dict) -> None:
    """Write ``values`` into the selected model's conf file, then regenerate params.yaml."""
    path = group_file(project, "model")
    text = path.read_text()
    for key, value in values.items():
        text, count = re.subn(rf"(?m)^{key}:[^\n#]*", f"{key}: {value}", text)
        assert count == 1, f"{key} is not set once in {path}"
    path.write_text(text)
    run(["lockstep", "params"], project)


def model_params(project: Path) -> dict:
    return yaml.safe_load((project / "params.yaml").read_text())["model"]


def halve_a_model_param(project: Path) -> tuple[str, object, object]:
    """Halve the model's first float param (else an int > 1), read from params.yaml."""
    numbers = [(k, v) for k, v in model_params(project).items() if type(v) in (int, float)]
    key, old = next(((k, v) for k, v in numbers if type(v) is float), None) or next(
        (k, v) for k, v in numbers if v > 1
    )
    new = old / 2 if type(old) is float else old // 2
    set_model_params(project, {key: new})
    return key, old, new


def the_comment(world: Workflows, pr: int) -> dict:
    comments = world.api.state.comments.get(pr, [])
    assert len(comments) == 1, f"expected one comment on PR {pr}, got {len(comments)}"
    return comments[0]


def test_pr_comment_is_created_then_updated(world, record_property):
    project = world.project
    world.git(["switch", "-q", "-c", "tune-model"], project)
    key, old, new = halve_a_model_param(project)
    world.git(["commit", "-q", "-am", f"model.{key}: {old} -> {new}"], project)
    merge, event = world.open_pr(project, 7, "tune-model")

    # Meanwhile the developer refreshes dvc.lock for the next push (two cores: in parallel).
    refresh = subprocess.Popen(
        [str(BIN / "dvc"), "repro", "-q"],
        cwd=project,
        env=project_env(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    first = world.act("pull_request", "pr.yml", event, merge, job="comment")
    record_property("pr_stale_lock_seconds", round(first.seconds))
    assert first.job("reproduce, report, gate") in ("succeeded", "failed"), first.tail()
    assert first.job("sticky comment") == "succeeded", first.tail()
    created = the_comment(world, 7)
    body = created["body"]
    assert f"| `model.{key}` | `{old}` | `{new}` |" in body
    assert "**dvc.lock** is stale: " in body and "run `dvc repro` and commit dvc.lock" in body
    assert ("Gate passed" in body) == (first.returncode == 0), first.tail()

    assert refresh.wait(timeout=900) == 0, refresh.stdout.read()
    run(["dvc", "push", "-q"], project)
    world.git(["commit", "-q", "-am", "dvc repro"], project)
    merge, event = world.open_pr(project, 7, "tune-model")
    second = world.act("pull_request", "pr.yml", event, merge, job="comment")
    record_property("pr_fresh_lock_seconds", round(second.seconds))
    assert second.job("sticky comment") == "succeeded", second.tail()
    updated = the_comment(world, 7)
    assert updated["id"] == created["id"]
    lock_line = next((x for x in updated["body"].splitlines() if "dvc.lock" in x), "")
    stages = re.findall(r"Running stage '(\w+)'", second.output)
    assert lock_line.startswith("**dvc.lock:** ✅ fresh"), (lock_line, stages)
    assert f"| `model.{key}` | `{old}` | `{new}` |" in updated["body"]
    assert "Running stage 'train'" not in second.output  # pulled from the DVC remote
    print(f"pr.yml: stale dvc.lock {first.seconds:.0f} s, refreshed {second.seconds:.0f} s")


@pytest.mark.workflows  # a third act run does not fit CI's time; `make workflows` runs it
def test_regressing_pr_fails_the_gate(world, record_property):
    project = world.project
    family = model_params(project)["family"]
    assert family in REGRESSIONS, f"add a regressing change for model family {family}"
    world.git(["switch", "-q", "-c", "worse-model"], project)
    set_model_params(project, REGRESSIONS[family])
    world.git(["commit", "-q", "-am", "a much weaker model"], project)
    merge, event = world.open_pr(project, 8, "worse-model")

    result = world.act("pull_request", "pr.yml", event, merge, job="comment")
    record_property("pr_regression_seconds", round(result.seconds))
    assert result.returncode != 0
    assert result.job("reproduce, report, gate") == "failed", result.tail()
    assert "lockstep gate failed" in result.output
    assert result.job("sticky comment") == "succeeded", result.tail()
    body = the_comment(world, 8)["body"]
    assert "### ❌ Gate failed: " in body and "❌ `" in body
    print(f"pr.yml, regressing PR: {result.seconds:.0f} s")
