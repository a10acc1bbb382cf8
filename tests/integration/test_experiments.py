"""`dvc exp run` with Hydra overrides: switching a config group and queueing a sweep."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run, stages_run

pytestmark = pytest.mark.slow

METRICS = "reports/metrics.json"


def experiments(repo: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(baseline commit's data, [each experiment's data]) from `dvc exp show --json`."""
    rows = json.loads(run(["dvc", "exp", "show", "--json"], repo).stdout)
    (baseline,) = [row for row in rows if row["rev"] != "workspace"]
    runs = [rev["data"] for exp in baseline.get("experiments") or [] for rev in exp["revs"]]
    return baseline["data"], runs


def metrics_of(data: dict[str, Any]) -> dict[str, float]:
    return data["metrics"][METRICS]["data"]


def model_of(data: dict[str, Any]) -> dict[str, Any]:
    return data["params"]["params.yaml"]["data"]["model"]


def test_exp_run_switches_the_model_group(baseline):
    project = baseline
    proc = run(["dvc", "exp", "run", "-S", "model=random_forest"], project)

    assert {"train", "evaluate"} <= set(stages_run(proc.stdout))
    baseline, runs = experiments(project)
    (experiment,) = runs
    assert model_of(baseline)["family"] == "logistic_regression"
    assert model_of(experiment)["family"] == "random_forest"
    assert metrics_of(experiment) != metrics_of(baseline)
    assert metrics_of(experiment)["roc_auc"] > 0.8
    # The experiment's results are in the workspace; conf/ and the commit are untouched.
    assert json.loads((project / METRICS).read_text()) == metrics_of(experiment)
    assert run(["git", "status", "--porcelain", "conf"], project).stdout == ""
    assert run(["lockstep", "params", "--check"], project, check=False).returncode == 1


def test_queued_sweep_runs_one_experiment_per_value(baseline):
    project = baseline
    queued = run(["dvc", "exp", "run", "--queue", "-S", "model.C=0.1,1.0"], project)
    assert queued.stdout.count("Queued experiment") == 2
    try:
        run(["dvc", "queue", "start"], project)
        deadline = time.monotonic() + 600
        while True:
            status = run(["dvc", "queue", "status"], project).stdout
            if not any(state in status for state in ("Queued", "Running")):
                break
            assert time.monotonic() < deadline, f"queue still busy after 600 s:\n{status}"
            time.sleep(2)
    finally:
        run(["dvc", "queue", "stop", "--kill"], project, check=False)

    assert "Failed" not in status, status
    assert status.count("Success") == 2, status
    baseline, runs = experiments(project)
    by_c = {model_of(data)["C"]: metrics_of(data) for data in runs}
    assert sorted(by_c) == [0.1, 1.0]
    assert by_c[1.0] == metrics_of(baseline)  # the committed value reproduces the commit
    assert by_c[0.1] != metrics_of(baseline)
