"""promote.yml, deploy.yml, drift.yml and sweep.yml under nektos/act (`make workflows`; not in
`make test`).

The same world as tests/integration/test_workflows.py (tests/helpers/act.py). These take longer
than CI's share allows, so they carry the `workflows` marker, which the default run deselects.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import run
from tests.helpers.act import REPO, Workflows, push_event

pytestmark = [pytest.mark.slow, pytest.mark.workflows]


def artifact(project: Path) -> str:
    return yaml.safe_load((project / "params.yaml").read_text())["promote"]["artifact"]


def test_merge_promotes_then_a_prod_tag_deploys(world: Workflows, record_property):
    project = world.project
    name = artifact(project)
    before = world.git(["rev-parse", "main"], project)
    world.git(["switch", "-q", "-c", "docs"], project)
    (project / "NOTES.md").write_text("A change that leaves the pipeline as it is.\n")
    world.git(["add", "NOTES.md"], project)
    world.git(["commit", "-q", "-m", "notes"], project)
    world.git(["switch", "-q", "main"], project)
    world.git(["merge", "-q", "--no-ff", "--no-edit", "docs"], project)
    merge = world.git(["rev-parse", "HEAD"], project)
    world.git(["push", "-q", "origin", "main"], project)

    promoted = world.act("push", "promote.yml", push_event("refs/heads/main", before, merge), merge)
    record_property("promote_seconds", round(promoted.seconds))
    assert promoted.returncode == 0, promoted.tail()
    world.git(["fetch", "-q", "--tags", "origin"], project)
    shown = run(["gto", "show", name, "--json"], project).stdout
    assert "staging" in shown and merge in shown, shown

    # A person promotes the same version to prod and pushes the assignment tag.
    run(["lockstep", "promote", "--stage", "prod"], project)
    tag = world.git(["tag", "--list", f"{name}#prod#*", "--sort=-creatordate"], project)
    tag = tag.splitlines()[0]
    world.git(["push", "-q", "origin", "--tags"], project)
    deployed = world.act(
        "push", "deploy.yml", push_event(f"refs/tags/{tag}", "0" * 40, merge), merge
    )
    record_property("deploy_seconds", round(deployed.seconds))
    assert deployed.returncode == 0, deployed.tail()
    releases = world.api.state.releases
    assert len(releases) == 1, releases.keys()
    ((release_tag, release),) = releases.items()
    assert release_tag.startswith(f"{name}@v") and release["name"] == release_tag
    assets = {a["name"]: bytes.fromhex(a["content"]) for a in release["assets"]}
    version = release_tag.split("@")[1]
    bundle = assets[f"{name}-{version}.tar.gz"]
    with tarfile.open(fileobj=io.BytesIO(bundle)) as tar:
        names = {Path(n).name for n in tar.getnames()}
    assert {"model.skops", "model_card.md", "requirements.lock"} <= names
    print(f"promote.yml {promoted.seconds:.0f} s, deploy.yml {deployed.seconds:.0f} s")


def drifted_batch(project: Path, dest: Path) -> Path:
    """The test split with its inputs moved within their allowed values: numbers resampled from
    their top decile, categories (and 0/1 flags) all set to their rarest value."""
    data = yaml.safe_load((project / "params.yaml").read_text())["data"]
    rows = pd.read_parquet(project / "data/split/test.parquet")
    for column in rows.columns.drop([data["id_column"], data["target"]], errors="ignore"):
        values = rows[column].dropna()
        if values.nunique() < 2:
            continue
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 2:
            top = values[values >= values.quantile(0.9)]
            rows[column] = top.sample(len(rows), replace=True, random_state=0).to_numpy()
        else:
            rows[column] = values.value_counts().index[-1]
    rows.to_parquet(dest, index=False)
    return dest


def test_drift_dispatch_opens_a_retraining_pull_request(world: Workflows, record_property):
    project = world.project
    batch = drifted_batch(project, world.root / "batch.parquet")
    head = world.git(["rev-parse", "main"], project)
    event = {"ref": "refs/heads/main", "inputs": {"batch": str(batch)}, "repository": {}}
    event["repository"] = {"full_name": REPO, "default_branch": "main"}
    result = world.act("workflow_dispatch", "drift.yml", event, head, inputs={"batch": str(batch)})
    record_property("drift_seconds", round(result.seconds))
    assert result.returncode == 0, result.tail()
    assert result.job("retrain on fresh data and open a pull request") == "succeeded"
    branches = run(
        ["git", "--git-dir", str(world.remote), "branch", "--list", "retrain/*"], world.root
    ).stdout.split()
    assert len(branches) == 1, branches
    (pull,) = world.api.state.pulls
    assert pull["head"] == branches[0] and pull["base"] == "main"
    assert "drift" in pull["body"]
    print(f"drift.yml {result.seconds:.0f} s")


def sweep_values(project: Path) -> list[float]:
    """Two values of logistic regression's C, neither of them the committed one."""
    model = yaml.safe_load((project / "params.yaml").read_text())["model"]
    committed = model.get("C") if model["family"] == "logistic_regression" else None
    return [c for c in (0.25, 0.5, 4.0) if c != committed][:2]


def test_sweep_pushes_each_experiment_and_posts_one_table(world: Workflows, record_property):
    project = world.project
    values = sweep_values(project)
    sweep = json.dumps([f"model=logistic_regression model.C={c}" for c in values])
    head = world.git(["rev-parse", "main"], project)
    event = {"ref": "refs/heads/main", "inputs": {"experiments": sweep}}
    event["repository"] = {"full_name": REPO, "default_branch": "main"}
    result = world.act("workflow_dispatch", "sweep.yml", event, head, inputs={"experiments": sweep})
    record_property("sweep_seconds", round(result.seconds))
    assert result.returncode == 0, result.tail()
    assert result.job("one comparison table") == "succeeded", result.tail()

    remote = ["git", "--git-dir", str(world.remote)]
    refs = run([*remote, "for-each-ref", "--format=%(refname)", "refs/exps/"], world.root)
    refs = refs.stdout.split()
    assert len(refs) == 2 and all("/sweep-" in ref for ref in refs), refs
    pushed = set()
    for ref in refs:
        params = yaml.safe_load(run([*remote, "show", f"{ref}:params.yaml"], world.root).stdout)
        assert run([*remote, "cat-file", "-e", f"{ref}:reports/metrics.json"], world.root)
        pushed.add(params["model"]["C"])
    assert pushed == set(values)

    table = [line.split("| ", 1)[-1] for line in result.output.splitlines() if "| |" in line]
    headers = [line for line in table if line.startswith("| experiment |")]
    assert len(headers) == 1, result.tail()
    for ref in refs:
        name = ref.rsplit("/", 1)[-1]
        assert sum(line.startswith(f"| {name} ") for line in table) == 1, (name, table)
    print(f"sweep.yml, 2 experiments: {result.seconds:.0f} s")
