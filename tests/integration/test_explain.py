"""lockstep explain on a small DVC project whose metric depends on a param and on the code."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from lockstep.cli import main
from tests.conftest import commit_all, run

pytestmark = pytest.mark.slow

MAKE = """\
import json, os, sys, yaml
sys.path.insert(0, "src")
from effect import OFFSET
value = yaml.safe_load(open("params.yaml"))["synthetic"]["level"] + OFFSET
os.makedirs("reports", exist_ok=True)
open("reports/metrics.json", "w").write(json.dumps({"roc_auc": round(value, 6)}))
"""
PIPELINE = {
    "stages": {
        "make": {
            "cmd": "python make.py",
            "deps": ["make.py", "src/effect.py"],
            "params": ["synthetic"],
            "metrics": [{"reports/metrics.json": {"cache": False}}],
        }
    }
}


def state(repo, level: float, offset: float, note: str) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump({"synthetic": {"level": level}}))
    (repo / "src/effect.py").write_text(f"OFFSET = {offset}\n")
    (repo / "NOTES.md").write_text(note)
    (repo / "reports/metrics.json").write_text(json.dumps({"roc_auc": round(level + offset, 6)}))


def test_explain_splits_the_change_between_params_and_code(tmp_path, monkeypatch) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "reports").mkdir()
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["dvc", "init", "-q"], repo)
    (repo / "make.py").write_text(MAKE)
    (repo / "dvc.yaml").write_text(yaml.safe_dump(PIPELINE))
    state(repo, 0.80, 0.0, "base\n")
    commit_all(repo, "base")
    state(repo, 0.83, 0.02, "head\n")  # params +0.03, code +0.02; the note feeds nothing
    commit_all(repo, "head")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["explain", "--base", "HEAD~1", "--metric", "roc_auc"])
    assert result.exit_code == 0, result.output
    assert "roc_auc: 0.800000 -> 0.850000" in result.output
    assert "  params  +0.030000" in result.output and "  code    +0.020000" in result.output
    assert "total   +0.050000 (parts sum to +0.050000)" in result.output
    assert "4 runs (2 hybrid)" in result.output
    assert "data" not in result.output.split("changed:")[1].splitlines()[0]
    # the PR report's section: the same split (the hybrid runs are in DVC's run-cache now)
    args = ["report", "--base", "HEAD~1", "--head", "HEAD", "--explain", "-o", "report.md"]
    asked = CliRunner().invoke(main, args)
    assert asked.exit_code == 0, asked.output
    text = (repo / "report.md").read_text()
    assert "`roc_auc` 0.8000 → 0.8500 (+0.0500)" in text and "4 pipeline runs" in text
    assert "| params | +0.0300 |" in text and "| code | +0.0200 |" in text
