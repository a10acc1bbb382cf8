"""`lockstep reproduce` verdicts on a real model and `--attest` records read back with git."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import commit_all, run

pytestmark = pytest.mark.slow

NO_GLOBAL_GIT = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
# TOY_COEF_SHIFT moves every coefficient: 0 when committed, float noise or more when reproduced.
TRAIN = """\
import os, pandas as pd
from sklearn.linear_model import LogisticRegression
from lockstep.io import write_bytes
from lockstep.modelfile import dumps_model
X = pd.read_parquet("features.parquet")
model = LogisticRegression().fit(X, (X["a"] + 0.5 * X["b"] > X["c"]).astype(int))
model.coef_ = model.coef_ + float(os.environ.get("TOY_COEF_SHIFT", "0"))
write_bytes("model.skops", dumps_model(model))
"""
PIPELINE = {
    "stages": {
        "train": {
            "cmd": "python train.py",
            "deps": ["train.py", "features.parquet"],
            "outs": ["model.skops"],
        },
        # a stand-in for evaluate: the stage that scores the model on the committed features
        "score": {
            "cmd": "python -c \"open('scored.txt', 'w').write('ok')\"",
            "deps": ["model.skops", "features.parquet"],
            "outs": [{"scored.txt": {"cache": False}}],
        },
    },
    "artifacts": {"toy-model": {"path": "model.skops", "type": "model"}},
}


def model_repo(root: Path) -> Path:
    """A model trained by DVC from features kept in Git, reproduced and committed."""
    import numpy as np
    import pandas as pd

    root.mkdir()
    run(["git", "init", "-q", "-b", "main"], root)
    run(["dvc", "init", "-q"], root)
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(40, 3)), columns=list("abc")).to_parquet(
        root / "features.parquet", index=False
    )
    (root / "train.py").write_text(TRAIN)
    (root / "dvc.yaml").write_text(yaml.safe_dump(PIPELINE, sort_keys=False))
    run(["dvc", "repro"], root, **NO_GLOBAL_GIT)
    commit_all(root, "toy model")
    return root


def verdicts(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:3] for line in stdout.splitlines()[2:] if line.strip()}


def test_float_noise_is_equivalent_and_recorded_and_a_real_change_is_different(tmp_path):
    repo = model_repo(tmp_path / "repo")
    sha = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    run(["git", "tag", "-a", "toy-model@v1.0.0", "-m", "register", sha], repo)

    noise = run(["lockstep", "reproduce", "HEAD", "--attest"], repo, TOY_COEF_SHIFT="1e-13",
                **NO_GLOBAL_GIT)  # fmt: skip

    rows = verdicts(noise.stdout)
    assert rows["model.skops"][0] == "equivalent"
    assert 0 < float(rows["model.skops"][1]) <= 1e-9
    assert rows["scored.txt"] == ["identical", "0"]
    assert "1 equivalent" in noise.stdout
    assert "unsigned: git has no user.signingkey" in noise.stdout
    note = run(["git", "notes", "--ref", "lockstep", "show", sha], repo).stdout
    statement = json.loads(note)
    assert note == json.dumps(statement, indent=2, sort_keys=True) + "\n"
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    # the subjects are the committed files, as the workspace holds them
    assert {s["name"]: s["digest"]["sha256"] for s in statement["subject"]} == {
        name: hashlib.sha256((repo / name).read_bytes()).hexdigest()
        for name in ("model.skops", "scored.txt")
    }
    predicate = statement["predicate"]
    assert predicate["commit"] == sha and predicate["verdict"] == "equivalent"
    model = next(o for o in predicate["outputs"] if o["name"] == "model.skops")
    assert model["reproduced_sha256"] != model["committed_sha256"]
    assert 0 < model["max_difference"] <= predicate["tolerances"]["probability"]
    pools = predicate["environment"]["blas"]  # threadpoolctl: library, kernel, threads
    assert pools and all("internal_api" in p and "num_threads" in p for p in pools)
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
    shown = run(["lockstep", "registry", "--artifact", "toy-model"], repo).stdout
    assert next(x for x in shown.splitlines() if x.startswith("v1.0.0")).endswith(
        "equivalent, unsigned"
    )

    real = run(["lockstep", "reproduce", "HEAD"], repo, check=False, TOY_COEF_SHIFT="0.05",
               **NO_GLOBAL_GIT)  # fmt: skip

    assert real.returncode == 1
    rows = verdicts(real.stdout)
    assert rows["model.skops"][0] == "different" and float(rows["model.skops"][1]) > 1e-9
    assert "first stage whose outputs differ is 'train'" in real.stderr
