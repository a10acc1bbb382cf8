"""Scored rows read through DVC at two commits: report verdicts and the significance gate.

A small DVC project whose one stage writes data/scores/test.parquet (DVC-cached) and
reports/metrics.json from a seeded model of known quality: commits differ by noise only, or by a
model that is clearly worse. Real `dvc repro`, `git commit`, `lockstep report` and `lockstep gate`.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from tests.conftest import commit_all, run

pytestmark = pytest.mark.slow

MAKE = """\
import json, os
import numpy as np, pandas as pd, yaml
from lockstep.bootstrap import point
p = yaml.safe_load(open("params.yaml"))["make"]
rng = np.random.default_rng(0)
y = (rng.random(600) < 0.3).astype(int)
logit = 2.5 * y - 1.5 + rng.normal(0, 1, 600)
logit = logit + np.random.default_rng(p["seed"]).normal(0, p["noise"], 600)
proba = 1 / (1 + np.exp(-logit))
os.makedirs("data/scores", exist_ok=True); os.makedirs("reports", exist_ok=True)
ids = [f"c{i:04d}" for i in range(600)]
pd.DataFrame({"id": ids, "label": y, "probability": proba}).to_parquet(
    "data/scores/test.parquet", index=False)
values = {k: round(v, 6) for k, v in point(y, proba, 0.5).items()}
json.dump(values, open("reports/metrics.json", "w"))
"""

PIPELINE = {
    "stages": {
        "make": {
            "cmd": "python make.py",
            "deps": ["make.py"],
            "params": ["make"],
            "outs": ["data/scores/test.parquet"],
            "metrics": [{"reports/metrics.json": {"cache": False}}],
        }
    }
}


def params(noise: float, seed: int) -> dict:
    return {
        "make": {"noise": noise, "seed": seed},
        "evaluate": {"threshold": 0.5},
        "metrics": {"roc_auc": "higher", "accuracy": "higher", "log_loss": "lower"},
        "gate": {
            "tolerances": {"roc_auc": {"abs": 0.0}, "log_loss": {"abs": 0.0}},
            "mode": "significance",
            "confidence": 0.95,
            "bootstrap_samples": 200,
            "seed": 0,
        },
    }


def commit_run(repo, noise: float, seed: int, message: str) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump(params(noise, seed)))
    run(["dvc", "repro"], repo)
    commit_all(repo, message)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    repo = tmp_path_factory.mktemp("sig") / "repo"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["dvc", "init", "-q"], repo)
    (repo / "make.py").write_text(MAKE)
    (repo / "dvc.yaml").write_text(yaml.safe_dump(PIPELINE, sort_keys=False))
    commit_run(repo, 0.0, 1, "base")
    commit_run(repo, 3.0, 3, "a clearly worse model")
    shutil.rmtree(repo / "data/scores")  # read from the DVC cache, not the work tree
    return repo


def lockstep(repo, monkeypatch, *args: str):
    from click.testing import CliRunner

    from lockstep.cli import main

    monkeypatch.chdir(repo)
    return CliRunner().invoke(main, list(args))


def test_a_worse_model_reads_worse_and_fails_the_significance_gate(history, monkeypatch) -> None:
    result = lockstep(history, monkeypatch, "report", "--base", "HEAD~1", "--head", "HEAD")
    assert result.exit_code == 0, result.output
    assert "0 better, 3 worse, 0 indistinguishable (paired tests" in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("| `roc_auc` |"))
    assert "🔻 worse" in row and "DeLong (paired)" in row
    gate = lockstep(history, monkeypatch, "gate", "--base", "HEAD~1", "--head", "HEAD")
    assert gate.exit_code == 1
    assert "mode: significance" in gate.output
    assert "significantly worse by more than the tolerance" in gate.output
    same = lockstep(history, monkeypatch, "gate", "--base", "HEAD", "--head", "HEAD")
    assert same.exit_code == 0 and "gate passed" in same.output
