"""The commands users run, for real: dvc repro in a temp git repo."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import clone_worktree, output_hashes, run, stages_run

pytestmark = pytest.mark.slow

OUTPUT_ROOTS = ("data", "models", "reports")
UPSTREAM_OF_TRAIN = ("ingest", "validate", "split", "featurize")


def test_repro_meets_the_auc_bar_and_reruns_nothing(project):
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert metrics["roc_auc"] >= 0.84
    # The bytecode Python writes next to the modules (without PYTHONDONTWRITEBYTECODE) is in
    # src/lockstep/, the `code` stage's dep: .dvcignore and .gitignore leave it out.
    run([sys.executable, "-m", "compileall", "-q", "src/lockstep"], project)
    assert list((project / "src/lockstep/stages/__pycache__").glob("*.pyc"))
    again = run(["dvc", "repro"], project, PYTHONDONTWRITEBYTECODE="")
    assert "Running stage" not in again.stdout
    assert run(["git", "status", "--porcelain"], project).stdout == ""


def test_forced_repro_gives_byte_identical_outputs(project):
    """The fixture's full run and a forced rerun agree byte for byte, under another hash seed and
    with the machine asking OpenBLAS for another kernel."""
    before = output_hashes(project, *OUTPUT_ROOTS)
    lock_before = (project / "dvc.lock").read_bytes()
    assert any(path.startswith("models/") for path in before)

    # SkylakeX: another kernel family (and an illegal instruction on a CPU without AVX-512).
    forced = run(
        ["dvc", "repro", "-f"], project, PYTHONHASHSEED="12345", OPENBLAS_CORETYPE="SkylakeX"
    )

    assert {"ingest", "evaluate"} <= set(stages_run(forced.stdout))
    after = output_hashes(project, *OUTPUT_ROOTS)
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == []
    assert (project / "dvc.lock").read_bytes() == lock_before
    assert run(["git", "status", "--porcelain"], project).stdout == ""


def test_a_code_edit_reruns_only_the_stages_that_run_the_module(project):
    """src/lockstep/ is one dep of the `code` stage; each stage depends on its manifest."""
    for rel, note in (("stages/fairness.py", "fairness"), ("serve/app.py", "no stage")):
        module = project / "src/lockstep" / rel
        module.write_text(module.read_text() + f"\n# an edit that only {note} runs\n")

    repro = run(["dvc", "repro"], project)

    assert stages_run(repro.stdout) == ["code", "fairness"]
    changed = run(["git", "status", "--porcelain"], project).stdout.splitlines()
    assert sorted(line[3:] for line in changed) == [
        "code/fairness.sha256",
        "dvc.lock",
        "src/lockstep/serve/app.py",
        "src/lockstep/stages/fairness.py",
    ]


def test_a_train_param_reruns_only_train_and_what_follows(project):
    # train.seed reaches the saved model (random_state), so evaluate must see a new model file.
    # (cv_folds would not: the final fit ignores it, the model stays byte-identical and DVC
    # rightly skips evaluate.)
    config = project / "conf/config.yaml"
    text = config.read_text()
    assert "\ntrain:\n  seed: ${seed}\n" in text
    config.write_text(text.replace("\ntrain:\n  seed: ${seed}\n", "\ntrain:\n  seed: 7\n"))
    run(["lockstep", "params"], project)

    repro = run(["dvc", "repro"], project)

    ran = stages_run(repro.stdout)
    assert not set(UPSTREAM_OF_TRAIN) & set(ran), ran
    assert {"train", "evaluate"} <= set(ran), ran
    assert ran.index("train") < ran.index("evaluate")


def test_params_are_current_and_repro_keeps_git_clean(project):
    check = run(["lockstep", "params", "--check"], project)
    assert "matches" in check.stdout
    repro = run(["dvc", "repro"], project)
    assert stages_run(repro.stdout) == []
    assert run(["git", "status", "--porcelain"], project).stdout == ""
    assert "up to date" in run(["dvc", "status"], project).stdout


def test_a_fresh_clone_reproduces_the_committed_lock_under_another_blas_kernel(tmp_path):
    """What a teammate's machine does: clone, `dvc repro`, and find nothing changed in Git.

    The machine asks OpenBLAS for the Sandybridge kernel (which sums in another order than the
    committed Haswell pin) and sets an odd L2 size; the pin in params.yaml must win.
    """
    clone = clone_worktree(tmp_path / "clone")
    repro = run(["dvc", "repro"], clone, OPENBLAS_CORETYPE="Sandybridge", OPENBLAS_L2_SIZE="262144")
    assert "train" in stages_run(repro.stdout)
    assert run(["git", "status", "--porcelain"], clone).stdout == ""


def test_repro_stops_first_when_conf_changed_without_lockstep_params(project):
    gate = project / "conf/gate/default.yaml"
    gate.write_text(gate.read_text() + "\nprobe_only_in_this_test: 1\n")
    before = output_hashes(project, *OUTPUT_ROOTS)

    stale = run(["dvc", "repro"], project, check=False)

    assert stale.returncode != 0
    assert stages_run(stale.stdout) == ["params"]
    assert "conf/ changed since params.yaml was composed" in stale.stderr
    assert "run `lockstep params`" in stale.stderr
    assert output_hashes(project, *OUTPUT_ROOTS) == before
    run(["lockstep", "params"], project)
    fresh = run(["dvc", "repro"], project)
    assert stages_run(fresh.stdout) == ["params"]  # no stage reads the gate section


def test_metrics_show_is_quiet_and_holds_numbers_only(project):
    shown = run(["dvc", "metrics", "show", "--json"], project)
    assert "failed to load" not in shown.stdout + shown.stderr  # no reports/drift.json here
    columns = run(["dvc", "exp", "show", "--csv"], project).stdout.splitlines()[0].split(",")
    assert not {"content_hash", "name", "source.kind"} & set(columns)
    metrics = json.loads(shown.stdout)
    for path, file in metrics[next(iter(metrics))]["data"].items():  # fairness.json too
        for value in flat_values(file.get("data", {})):
            assert isinstance(value, int | float | bool), (path, value)


def flat_values(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from flat_values(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from flat_values(value)
    else:
        yield tree


def changed_stages(project) -> set[str]:
    """The stages `dvc status` finds with changed inputs of their own (not only upstream)."""
    return set(json.loads(run(["dvc", "status", "--json"], project).stdout)) - {"params"}


def test_a_contract_edit_reruns_only_the_stages_that_read_it(project):
    """The data contract is tracked key by key: a column's rule reaches validate alone (the one
    stage that reads data.columns), not ingest, evaluate or fairness; the stated use reaches the
    model card alone. A changed check bound leaves validate's column types byte-identical, so
    after validate re-runs, train and the model card (which read that file) are still current."""
    import yaml

    name = yaml.safe_load((project / "params.yaml").read_text())["data"]["name"]
    path = project / f"conf/data/{name}.yaml"

    def edit(change) -> set[str]:
        run(["git", "checkout", "--", "conf", "params.yaml"], project)
        contract = yaml.safe_load(path.read_text())
        change(contract)
        path.write_text(yaml.safe_dump(contract, sort_keys=False))
        run(["lockstep", "params"], project)
        return changed_stages(project)

    def feature(contract, dtypes=("int", "float", "str", "bool")) -> dict:
        roles = {contract["target"], contract.get("id_column")}
        return next(
            s for c, s in contract["columns"].items() if c not in roles and s["dtype"] in dtypes
        )

    def column_rule(contract) -> None:
        spec = feature(contract)
        spec["nullable"] = not spec.get("nullable", False)

    def looser_bound(contract) -> None:  # every row that passed still passes
        spec = feature(contract, ("int", "float"))
        spec["min"] = spec["min"] - 1 if spec.get("min") is not None else -1e12

    assert edit(column_rule) == {"validate"}
    assert edit(lambda c: c.update(intended_use="Another use, for this test.")) == {"model_card"}
    assert edit(looser_bound) == {"validate"}
    ran = stages_run(run(["dvc", "repro"], project).stdout)
    assert ran == ["params", "validate"], ran
    assert "up to date" in run(["dvc", "status"], project).stdout
