"""`lockstep reproduce` for real: git worktrees, dvc repro, a shared cache, the default remote."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from lockstep.errors import LockstepError
from tests.conftest import commit_all, output_hashes, run

pytestmark = pytest.mark.slow

TOY = {
    "stages": {
        "make": {"cmd": "python -c \"open('a.txt','w').write('hello')\"", "outs": ["a.txt"]},
        "double": {
            "cmd": "python -c \"open('b.txt','w').write(open('a.txt').read() * 2)\"",
            "deps": ["a.txt"],
            "outs": ["b.txt"],
        },
    }
}
NOISE = "python -c \"import os; open('noise.bin', 'wb').write(os.urandom(8))\""


def toy_repo(root: Path, noise: bool = False) -> Path:
    """A tiny DVC pipeline in a new git repo, reproduced and committed."""
    root.mkdir()
    run(["git", "init", "-q", "-b", "main"], root)
    run(["dvc", "init", "-q"], root)
    pipeline = {"stages": dict(TOY["stages"])}
    if noise:
        pipeline["stages"]["noise"] = {"cmd": NOISE, "deps": ["b.txt"], "outs": ["noise.bin"]}
    (root / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    commit_all(root, "pipeline")
    run(["dvc", "repro"], root)
    commit_all(root, "reproduce")
    return root


def workspace(repo: Path) -> dict[str, str]:
    """Every file outside .git and the DVC cache (the cache may only gain objects)."""
    hashes = output_hashes(repo, ".")
    return {p: h for p, h in hashes.items() if not p.startswith((".git/", ".dvc/cache/"))}


def cache(repo: Path) -> dict[str, str]:
    return output_hashes(repo, ".dvc/cache")


def test_v1_reproduces_and_is_recorded_from_the_v2_workspace_which_stays_identical(project):
    v1 = run(["git", "rev-parse", "HEAD"], project).stdout.strip()
    config = project / "conf/config.yaml"
    config.write_text(
        config.read_text().replace("\ntrain:\n  seed: ${seed}\n", "\ntrain:\n  seed: 7\n")
    )
    run(["lockstep", "params"], project)
    run(["dvc", "repro"], project)
    commit_all(project, "v2: another train seed")
    before, cache_before = workspace(project), cache(project)

    no_global_git = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    result = run(["lockstep", "reproduce", v1[:10], "--attest"], project, **no_global_git)

    assert "Running stage 'ingest'" in result.stderr and "Running stage 'train'" in result.stderr
    # the environment was compared with v1's lock (it matches, or the differences are listed)
    assert "requirements.lock" in result.stderr and "not checked" not in result.stderr
    assert "different" not in result.stdout.split()
    for path in ("models/model.skops", "data/features/train.parquet", "reports/metrics.json"):
        assert path in result.stdout
    assert "identical to its dvc.lock" in result.stdout
    assert workspace(project) == before
    assert cache_before.items() <= cache(project).items()
    assert run(["git", "status", "--porcelain"], project).stdout == ""
    assert len(run(["git", "worktree", "list"], project).stdout.splitlines()) == 1
    assert_record(project, v1)


def committed_bytes(repo: Path, commit: str, path: str, md5: str) -> bytes:
    shown = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=repo, capture_output=True)
    if shown.returncode == 0:
        return shown.stdout
    return (repo / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).read_bytes()


def assert_record(repo: Path, commit: str) -> None:
    """The note on ``commit`` names every locked output by the sha256 of its committed bytes."""
    note = run(["git", "notes", "--ref", "lockstep", "show", commit], repo).stdout
    statement = json.loads(note)
    lock = yaml.safe_load(run(["git", "show", f"{commit}:dvc.lock"], repo).stdout)["stages"]
    locked = {o["path"]: o["md5"] for stage in lock.values() for o in stage.get("outs", [])}
    assert {s["name"]: s["digest"] for s in statement["subject"]} == {
        path: {"sha256": hashlib.sha256(committed_bytes(repo, commit, path, md5)).hexdigest(),
               "md5": md5}
        for path, md5 in locked.items()
    }  # fmt: skip
    predicate = statement["predicate"]
    assert predicate["commit"] == commit and predicate["verdict"] in ("identical", "equivalent")
    environment = predicate["environment"]
    assert environment["cpu"]["architecture"] and environment["python"]["version"]
    assert environment["packages"]["scikit-learn"] != "not installed"


def test_a_nondeterministic_stage_is_named(tmp_path):
    repo = toy_repo(tmp_path / "repo", noise=True)

    result = run(["lockstep", "reproduce", "HEAD"], repo, check=False)

    assert result.returncode == 1
    assert "first stage whose outputs differ is 'noise'" in result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[2:]}
    assert rows == {"a.txt": "identical", "b.txt": "identical", "noise.bin": "different"}


def test_a_corrupted_cache_object_is_detected_and_a_full_run_repairs_it(tmp_path):
    repo = toy_repo(tmp_path / "repo")
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    md5 = lock["stages"]["double"]["outs"][0]["md5"]
    obj = repo / ".dvc/cache/files/md5" / md5[:2] / md5[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"not what was locked")

    restored = run(["lockstep", "reproduce", "--checkout-only", "HEAD"], repo, check=False)

    assert restored.returncode == 1
    assert "first stage whose outputs differ is 'double'" in restored.stderr
    assert "Running stage" not in restored.stderr
    # A full run recomputes b.txt from a.txt; DVC finds the damaged object and rewrites it.
    rerun = run(["lockstep", "reproduce", "HEAD"], repo)
    assert "all 2 outputs of HEAD" in rerun.stdout
    assert obj.read_bytes() == b"hellohello"
    run(["lockstep", "reproduce", "--checkout-only", "HEAD"], repo)


def test_keep_leaves_the_worktree_and_unknown_revs_fail(tmp_path):
    repo = toy_repo(tmp_path / "repo")
    kept = run(["lockstep", "reproduce", "--keep", "--checkout-only", "main"], repo)
    path = Path(kept.stderr.split("kept the worktree: ")[1].split()[0])
    assert (path / "b.txt").read_text() == "hellohello"
    run(["git", "worktree", "remove", "--force", str(path)], repo)
    bad = run(["lockstep", "reproduce", "no-such-rev"], repo, check=False)
    assert bad.returncode == 1 and "not a commit, branch, tag or registry name" in bad.stderr


def test_a_fresh_clone_with_only_the_remote_reproduces_the_promoted_model(project, tmp_path):
    sha = run(["git", "rev-parse", "HEAD"], project).stdout.strip()
    run(["git", "tag", "-a", "churn-model@v1.0.0", "-m", "register", sha], project)
    run(["git", "tag", "-a", "churn-model#prod#1", "-m", "promote", sha], project)
    pushed = run(["dvc", "push"], project)  # the default remote: a folder beside the repo
    assert (tmp_path / "lockstep-dvc-remote").is_dir(), pushed.stdout
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(project), str(clone)], tmp_path)
    assert not (clone / "models").exists()

    result = run(["lockstep", "reproduce", "--checkout-only", "--pull", "churn-model#prod"], clone)

    assert f"({sha[:12]})" in result.stdout and "different" not in result.stdout.split()
    assert "models/model.skops" in result.stdout
    assert not (clone / "models").exists()
    assert run(["git", "status", "--porcelain"], clone).stdout == ""


def test_registry_names_resolve_the_way_the_registry_does(tmp_path):
    from lockstep.gitrepo import open_repo
    from lockstep.reproduce.command import resolve_rev

    repo = toy_repo(tmp_path / "repo")
    first = run(["git", "rev-parse", "HEAD~1"], repo).stdout.strip()
    second = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    for tag, commit in [
        ("churn-model@v1.0.0", first),
        ("churn-model@v1.1.0", second),
        ("churn-model#prod#3", first),
    ]:
        run(["git", "tag", "-a", tag, "-m", tag, commit], repo)
    git = open_repo(repo)

    assert resolve_rev(git, "churn-model#prod") == first
    assert resolve_rev(git, "churn-model@v1.1.0") == second
    assert resolve_rev(git, "churn-model#prod#3") == first
    assert resolve_rev(git, "main") == resolve_rev(git, second[:8]) == second
    with pytest.raises(LockstepError, match="no version of churn-model is in stage 'dev'"):
        resolve_rev(git, "churn-model#dev")
