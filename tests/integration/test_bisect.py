"""lockstep bisect on a synthetic 50-commit history in which one commit regresses roc_auc.

Every commit but one carries its reports/metrics.json, as a reproduced commit does; one probed
commit has none, so bisect must reproduce it in a worktree with a real (tiny) `dvc repro`.
"""

from __future__ import annotations

import json

import git
import pytest
import yaml
from click.testing import CliRunner

from lockstep.cli import main
from tests.conftest import run

pytestmark = pytest.mark.slow

CULPRIT = 30  # commit number (0 is the good commit, 49 the bad one)
UNMEASURED = 27  # a commit the search probes, whose metrics are not committed
MAKE = """\
import json, os, yaml
os.makedirs("reports", exist_ok=True)
value = yaml.safe_load(open("params.yaml"))["synthetic"]["roc_auc"]
open("reports/metrics.json", "w").write(json.dumps({"roc_auc": value}))
"""
PIPELINE = {
    "stages": {
        "make": {
            "cmd": "python make.py",
            "deps": ["make.py"],
            "params": ["synthetic"],
            "metrics": [{"reports/metrics.json": {"cache": False}}],
        }
    }
}


def roc_auc(number: int) -> float:
    jitter = ((number * 37) % 7 - 3) / 1000  # ±0.003 of noise around the level
    return round((0.85 if number < CULPRIT else 0.80) + jitter, 6)


def write(repo, rel: str, text: str) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("bisect") / "repo"
    root.mkdir()
    run(["git", "init", "-q", "-b", "main"], root)
    run(["dvc", "init", "-q"], root)
    repo = git.Repo(root)
    who = git.Actor("lockstep tests", "tests@lockstep.invalid")
    write(root, "make.py", MAKE)
    write(root, "dvc.yaml", yaml.safe_dump(PIPELINE))
    shas = []
    for n in range(50):
        params = {"metrics": {"roc_auc": "higher"}, "synthetic": {"roc_auc": roc_auc(n)}}
        write(root, "params.yaml", yaml.safe_dump(params))
        kind = ("src/lockstep/step.py", "data/source/notes.txt", "conf/extra.yaml")[n % 3]
        if n == CULPRIT:
            kind = "conf/model.yaml"
        write(root, kind, f"# change {n}\n")
        files = ["params.yaml", kind] + (["make.py", "dvc.yaml", ".dvc/config"] if n == 0 else [])
        if n == UNMEASURED:
            repo.index.remove(["reports/metrics.json"], working_tree=True)
        else:
            write(root, "reports/metrics.json", json.dumps({"roc_auc": roc_auc(n)}))
            files.append("reports/metrics.json")
        repo.index.add(files)
        shas.append(repo.index.commit(f"change {n}", author=who, committer=who).hexsha)
    return root, shas


def bisect(root, monkeypatch, *args: str):
    monkeypatch.chdir(root)
    return CliRunner().invoke(main, ["bisect", "--metric", "roc_auc", *args])


def test_bisect_finds_the_planted_culprit(history, monkeypatch) -> None:
    root, shas = history
    result = bisect(root, monkeypatch, "--good", shas[0], "--bad", shas[-1])
    assert result.exit_code == 0, result.output
    assert f"culprit: {shas[CULPRIT]} change {CULPRIT}" in result.output
    assert "params: conf/model.yaml, params.yaml" in result.output
    assert (
        f"{shas[UNMEASURED][:12]} roc_auc {roc_auc(UNMEASURED):.6f} (reproduced)" in result.output
    )
    probes = result.output.split("path:")[1].split("values read:")[0].strip().splitlines()
    assert 1 < len(probes) <= 6  # log2(49) rounded up


def test_bisect_refuses_a_bad_rev_that_is_not_bad(history, monkeypatch) -> None:
    root, shas = history
    result = bisect(root, monkeypatch, "--good", shas[0], "--bad", shas[-1], "--threshold", "0.7")
    assert result.exit_code == 1 and "is not bad by the rule" in result.output
    result = bisect(root, monkeypatch, "--good", shas[5], "--bad", shas[2])
    assert result.exit_code == 1 and "not on the first-parent history" in result.output


def test_bisect_without_reproducing_names_the_missing_value(history, monkeypatch) -> None:
    root, shas = history
    result = bisect(root, monkeypatch, "--good", shas[0], "--bad", shas[-1], "--no-reproduce")
    assert result.exit_code == 1 and "--no-reproduce" in result.output
    assert shas[UNMEASURED][:12] in result.output
