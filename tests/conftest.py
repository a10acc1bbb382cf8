"""Shared fixtures: tiny inline frames for unit tests, real temp git repos for integration tests."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Pipeline outputs are never copied: a temp project starts un-reproduced. The committed
# placeholders of `lockstep monitor` (a declared metric and plot data no stage writes) are.
OUTPUTS = ("dvc.lock", "reports/", "data/raw/", "data/split/", "data/features/", "models/")
PLACEHOLDERS = ("reports/monitoring.json", "reports/plots/monitoring/")


def project_env(**extra: str) -> dict[str, str]:
    """Subprocess environment: this interpreter's bin first, fixed git identity, no analytics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCKSTEP_", "DVC_", "GIT_"))}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "GIT_AUTHOR_NAME": "lockstep tests",
            "GIT_AUTHOR_EMAIL": "tests@lockstep.invalid",
            "GIT_COMMITTER_NAME": "lockstep tests",
            "GIT_COMMITTER_EMAIL": "tests@lockstep.invalid",
            "DVC_NO_ANALYTICS": "1",
            "PYTHONHASHSEED": "0",
        }
    )
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    """Run a command in ``cwd``; on unexpected failure show its output in the assertion."""
    if args[0] in ("dvc", "lockstep", "gto"):
        args = [str(BIN / args[0]), *args[1:]]
    proc = subprocess.run(args, cwd=cwd, env=project_env(**env), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout}"
            f"\n--- stderr\n{proc.stderr}"
        )
    return proc


def work_tree_files() -> list[str]:
    """The files a clone of this work tree would hold (tests and benchmarks aside)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    return [
        f for f in listed if f and not f.startswith(("tests/", "bench/")) and (ROOT / f).is_file()
    ]


def project_files() -> list[str]:
    return [f for f in work_tree_files() if f.startswith(PLACEHOLDERS) or not f.startswith(OUTPUTS)]


def commit_files(files: list[str], dest: Path) -> Path:
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    run(["git", "init", "-q", "-b", "main"], dest)
    run(["git", "add", "-A"], dest)
    run(["git", "commit", "-q", "-m", "project"], dest)
    return dest


def make_project(dest: Path) -> Path:
    """Copy the project (without outputs) into ``dest`` and commit it to a new git repo."""
    return commit_files(project_files(), dest)


def clone_worktree(dest: Path) -> Path:
    """What a fresh clone of this work tree holds (dvc.lock and Git-tracked reports included),
    committed to a new git repo; data and models are not there, as in a real clone."""
    return commit_files(work_tree_files(), dest)


def output_hashes(repo: Path, *roots: str) -> dict[str, str]:
    """sha256 of every file under each of ``roots`` (files or folders), keyed by relative path."""
    hashes = {}
    for root in roots:
        path = repo / root
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                rel = file.relative_to(repo).as_posix()
                hashes[rel] = hashlib.sha256(file.read_bytes()).hexdigest()
    return hashes


def stages_run(output: str) -> list[str]:
    """Names of the stages `dvc repro` / `dvc exp run` ran, from its "Running stage" lines."""
    return re.findall(r"^Running stage '([^']+)'", output, flags=re.MULTILINE)


def copy_repo(source: Path, dest: Path) -> Path:
    """A private copy of a temp project: work tree, git history and DVC cache."""
    shutil.copytree(source, dest, symlinks=True)
    return dest


def commit_all(repo: Path, message: str) -> str:
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", message], repo)
    return run(["git", "rev-parse", "HEAD"], repo).stdout.strip()


@pytest.fixture(scope="session")
def reproduced_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project after one real `dvc repro`, committed. Copy it; never change it."""
    repo = make_project(tmp_path_factory.mktemp("reproduced") / "repo")
    run(["dvc", "repro"], repo)
    commit_all(repo, "reproduce the pipeline")
    return repo


@pytest.fixture
def project(tmp_path: Path, reproduced_project: Path) -> Path:
    """A private copy (git history and DVC cache included) of the reproduced project."""
    return copy_repo(reproduced_project, tmp_path / "repo")


# The model config the tests own. conf/ holds tunable values that any PR may change, so tests that
# compare one value with another start from this known baseline instead of the committed one.
BASELINE_MODEL = "family: logistic_regression\nC: 1.0\nmax_iter: 2000\nclass_weight: null\n"
BASELINE_THRESHOLD = 0.5


def pin_baseline(repo: Path) -> None:
    """Write the tests' own model family, model params and threshold into ``repo``'s conf/."""
    (repo / "conf/model/logistic_regression.yaml").write_text(BASELINE_MODEL)
    config = repo / "conf/config.yaml"
    text = re.sub(
        r"^  - model: .*$", "  - model: logistic_regression", config.read_text(), flags=re.M
    )
    text = re.sub(r"^  threshold: .*$", f"  threshold: {BASELINE_THRESHOLD}", text, flags=re.M)
    config.write_text(text)
    run(["lockstep", "params"], repo)


@pytest.fixture(scope="session")
def baseline_project(reproduced_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reproduced project with the tests' own baseline config, reproduced and committed.

    When conf/ already holds the baseline (the usual case), the repro runs nothing.
    """
    repo = copy_repo(reproduced_project, tmp_path_factory.mktemp("baseline") / "repo")
    pin_baseline(repo)
    run(["dvc", "repro"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "--allow-empty", "-m", "the tests' baseline config"], repo)
    return repo


@pytest.fixture
def baseline(tmp_path: Path, baseline_project: Path) -> Path:
    """A private copy of the baseline project: for tests that change a param from a known value."""
    return copy_repo(baseline_project, tmp_path / "repo")


@pytest.fixture
def fresh_project(tmp_path: Path) -> Path:
    """The project committed to a new git repo, never reproduced."""
    return make_project(tmp_path / "repo")
