"""monitor.yml under nektos/act (`make workflows`; not in `make test`): the daily run, twice.

The same world as tests/integration/test_workflows.py (tests/helpers/act.py). A degraded window
(churn doubled among month-to-month customers) opens the "lockstep monitor" issue and a
retraining pull request whose body compares the retrained model with production on both its
test split and the labelled window; a week later a healthy window closes the issue. The
outcome store of the first run comes back in the second from the DVC remote, by the pointer
the first run committed to the branch lockstep/outcomes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from lockstep.monitor.alert import MARKER
from lockstep.monitor.retrain import SECTIONS
from tests.conftest import run
from tests.helpers.act import REPO, Workflows
from tests.helpers.monitoring import START, production_window

pytestmark = [pytest.mark.slow, pytest.mark.workflows]


def dispatch(world: Workflows, outcomes: str):
    head = world.git(["rev-parse", "main"], world.project)
    inputs = {"log": str(world.root / "logs/predictions.jsonl"), "outcomes": outcomes}
    event = {"ref": "refs/heads/main", "inputs": inputs, "repository": {}}
    event["repository"] = {"full_name": REPO, "default_branch": "main"}
    return world.act("workflow_dispatch", "monitor.yml", event, head, inputs=inputs)


def remote_git(world: Workflows, *args: str) -> str:
    return run(["git", "--git-dir", str(world.remote), *args], world.root).stdout


def test_degraded_window_retrains_and_alerts_then_a_healthy_one_closes_it(
    world: Workflows, record_property
):
    project = world.project
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["monitor"]["retrain_min_labels"] <= 1000  # the window has the test split's rows
    production_window(project, world.root, "p", START, relabel=True)

    degraded = dispatch(world, str(world.root / "p.csv"))
    record_property("monitor_degraded_seconds", round(degraded.seconds))
    assert degraded.returncode == 0, degraded.tail()
    assert degraded.job("retrain on labelled production rows and open a pull request") == (
        "succeeded"
    )
    (issue,) = world.api.state.issues
    assert issue["state"] == "open" and MARKER in issue["body"] and "degraded" in issue["body"]
    (branch,) = remote_git(world, "branch", "--list", "retrain/*").split()
    (pull,) = world.api.state.pulls
    assert pull["head"] == branch and pull["base"] == "main"
    body = pull["body"]
    assert all(f"### {title}" in body for title in SECTIONS), body
    assert body.count("| `roc_auc` |") == 2 and "DeLong (paired)" in body
    assert "no version is in stage `prod`" in body  # nothing promoted: production is main
    changed = remote_git(world, "show", "--stat", "--format=", branch)
    assert "data/source/feedback.parquet" in changed and "reports/monitoring.json" in changed
    first = yaml.safe_load(remote_git(world, "show", "lockstep/outcomes:monitoring/outcomes.dvc"))

    production_window(project, world.root, "q", START + timedelta(days=8), relabel=False)
    healthy = dispatch(world, str(world.root / "q.csv"))
    record_property("monitor_healthy_seconds", round(healthy.seconds))
    assert healthy.returncode == 0, healthy.tail()
    assert healthy.job("retrain on labelled production rows and open a pull request") == ""
    assert issue["state"] == "closed" and "healthy" in issue["body"]
    assert len(world.api.state.pulls) == 1
    then = yaml.safe_load(remote_git(world, "show", "lockstep/outcomes:monitoring/outcomes.dvc"))
    # The first run's store came back from the DVC remote; the second added one part to it.
    assert then["outs"][0]["nfiles"] == first["outs"][0]["nfiles"] + 1
    assert remote_git(world, "rev-list", "--count", "lockstep/outcomes").strip() == "2"
    print(f"monitor.yml degraded {degraded.seconds:.0f} s, healthy {healthy.seconds:.0f} s")
