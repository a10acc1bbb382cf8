"""`lockstep reproduce REV`: re-run a past commit's pipeline in a worktree, verify every hash.

REV is a SHA, branch or tag, or a registry name (``churn-model@v1.0.0``, ``churn-model#prod``)
resolved by the registry's own rules. The pipeline runs in a detached ``git worktree`` in a temp
folder, never in the user's workspace; that worktree shares this repository's DVC cache and
remotes through its ``.dvc/config.local``. Stages run with ``--force --no-run-cache`` (the run
cache would restore outputs instead of computing them) and REV's own code on ``PYTHONPATH``. Every
output is then hashed from its bytes and compared with REV's dvc.lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from ..errors import LockstepError


def git(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LockstepError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def resolve_rev(repo: Any, rev: str) -> str:
    """The commit SHA of a SHA, branch, tag or registry name (artifact@vX.Y.Z, artifact#stage)."""
    from ..registry.events import ASSIGN, REGISTER, build, parse_tag, read_events
    from ..registry.fetch import resolve

    spec = parse_tag(rev)
    if spec and spec.counter is None and spec.action in (REGISTER, ASSIGN):
        registry = build(read_events(repo), spec.artifact)
        return resolve(registry, spec.stage, spec.version).commit
    try:
        return repo.commit(rev).hexsha
    except Exception as exc:  # gitpython raises several types for an unknown name
        raise LockstepError(f"'{rev}' is not a commit, branch, tag or registry name here") from exc


@contextlib.contextmanager
def worktree(root: Path, sha: str, keep: bool) -> Iterator[Path]:
    """A detached worktree of ``sha`` in a temp folder; removed afterwards unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=f"lockstep-reproduce-{sha[:8]}-"))
    try:
        git(["worktree", "add", "--detach", str(path), sha], root)
    except LockstepError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    try:
        yield path
    finally:
        if keep:
            click.echo(f"kept the worktree: {path} (git worktree remove --force {path})", err=True)
        else:
            git(["worktree", "remove", "--force", str(path)], root)


def share_dvc(root: Path, tree: Path) -> None:
    """Point the worktree at this repository's cache and remotes (absolute paths, config.local)."""
    from dvc.config import Config

    source = Config(dvc_dir=str(root / ".dvc"), validate=False)
    merged: dict[str, Any] = {"cache": {}, "core": {}, "remote": {}}
    for level in ("repo", "local"):
        conf = source.load_one(level)
        for section in merged:
            for key, value in conf.get(section, {}).items():
                merged[section][key] = value
    cache = str(merged["cache"].get("dir") or root / ".dvc" / "cache")
    target = Config(dvc_dir=str(tree / ".dvc"), validate=False)
    with target.edit("local", validate=False) as conf:
        conf["cache"]["dir"] = cache
        # resolved paths (str subclasses) are written as plain absolute paths
        conf["remote"] = {
            name: {k: str(v) if isinstance(v, str) else v for k, v in options.items()}
            for name, options in merged["remote"].items()
        }
        if merged["core"].get("remote"):
            conf["core"]["remote"] = merged["core"]["remote"]


def stream(command: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run ``command``, echoing its output to stderr line by line; its exit status."""
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        click.echo(line.rstrip("\n"), err=True)
    return proc.wait()


def dvc_command(checkout_only: bool, pull: bool) -> list[str]:
    if checkout_only:
        return ["dvc", "pull" if pull else "checkout"]
    return ["dvc", "repro", "--force", "--no-run-cache", *(["--pull"] if pull else [])]


def run_env(tree: Path, bin_dir: Path) -> dict[str, str]:
    """PATH with ``bin_dir`` first; REV's own package source first on PYTHONPATH."""
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    if (tree / "src").is_dir():
        paths = [str(tree / "src"), *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def check_env(lock: bytes | None, strict: bool) -> None:
    from .envlock import LOCK_PATH, differences, parse_lock

    if lock is None:
        click.echo(f"note: no {LOCK_PATH} at this commit; the environment is not checked", err=True)
        return
    diff = differences(parse_lock(lock.decode("utf-8")))
    if not diff:
        click.echo(f"environment: matches {LOCK_PATH}", err=True)
        return
    from tabulate import tabulate

    rows = tabulate(diff, headers=["package", "locked", "installed"], disable_numparse=True)
    click.echo(f"environment differs from {LOCK_PATH} at this commit:\n{rows}", err=True)
    if strict:
        raise LockstepError("the environment differs from the lock (--strict-env); try --venv")
    click.echo("(a warning: the hashes decide; --venv runs in the locked environment)", err=True)


@click.command("reproduce")
@click.argument("rev")
@click.option("--keep", is_flag=True, help="Keep the worktree afterwards (its path is printed).")
@click.option("--checkout-only", is_flag=True, help="Restore outputs from the cache; run nothing.")
@click.option("--pull", is_flag=True, help="Fetch missing data from the DVC remote.")
@click.option("--venv", "use_venv", is_flag=True, help="Run in a venv built from REV's lock.")
@click.option("--strict-env", is_flag=True, help="Fail when the environment differs from the lock.")
def command(
    rev: str, keep: bool, checkout_only: bool, pull: bool, use_venv: bool, strict_env: bool
) -> None:
    """Re-run REV's pipeline in a worktree and compare every output with REV's dvc.lock.

    Exits 0 only when every output matches; otherwise names the first stage whose outputs differ.
    """
    from ..gitrepo import open_repo, read_at
    from .envlock import LOCK_PATH, build_venv
    from .verify import compare, first_mismatch, load_lock, table

    repo = open_repo(".")
    root = Path(repo.working_tree_dir)
    sha = resolve_rev(repo, rev)
    lock_text = read_at(repo, sha, "dvc.lock")
    if lock_text is None:
        raise LockstepError(f"{rev} ({sha[:12]}) has no dvc.lock: nothing to verify")
    stages = load_lock(lock_text.decode("utf-8"))
    click.echo(f"reproducing {rev} ({sha[:12]}) in a temporary worktree", err=True)
    env_lock = read_at(repo, sha, LOCK_PATH)
    if not (use_venv or checkout_only):
        check_env(env_lock, strict_env)
    with worktree(root, sha, keep) as tree:
        share_dvc(root, tree)
        bin_dir = Path(sys.executable).parent
        if use_venv and not checkout_only:
            if env_lock is None:
                raise LockstepError(f"--venv: {rev} has no {LOCK_PATH} to build from")
            bin_dir = build_venv(tree / LOCK_PATH, tree, lambda m: click.echo(m, err=True))
        status = stream(dvc_command(checkout_only, pull), tree, run_env(tree, bin_dir))
        if status != 0 and not checkout_only:
            raise LockstepError(
                f"the pipeline at {rev} failed (dvc exited {status}, output above); "
                "--keep keeps the worktree to inspect"
            )
        rows = compare(stages, tree)
    click.echo(table(rows), nl=False)
    bad = [r for r in rows if not r.match]
    if bad:
        why = (
            "restored from the cache: a missing or damaged cache object"
            if checkout_only
            else "re-run from inputs that matched: the stage is not deterministic, "
            "or the environment differs from the one that locked it"
        )
        raise LockstepError(
            f"{len(bad)} of {len(rows)} outputs differ from {rev}'s dvc.lock; the first stage "
            f"whose outputs differ is '{first_mismatch(rows)}' ({why})"
        )
    click.echo(f"all {len(rows)} outputs of {rev} ({sha[:12]}) match its dvc.lock")
