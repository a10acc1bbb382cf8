"""`lockstep reproduce REV`: re-run a past commit's pipeline in a worktree, judge every output.

REV is a SHA, branch or tag, or a registry name (``churn-model@v1.0.0``, ``churn-model#prod``)
resolved by the registry's own rules. The pipeline runs in a detached ``git worktree`` in a temp
folder, never in the user's workspace; that worktree shares this repository's DVC cache and
remotes through its ``.dvc/config.local``. Stages run with ``--force --no-run-cache`` (the run
cache would restore outputs instead of computing them) and REV's own code on ``PYTHONPATH``. Every
output is then hashed from its bytes and compared with REV's dvc.lock; one whose bytes differ is
judged identical/equivalent/different by meaning (``verdicts``, tolerances from the workspace's
``reproduce`` params). ``--attest`` stores the outcome as an in-toto record (``attest``).
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


def share_dvc(root: Path, tree: Path) -> Path:
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
    return Path(cache)


def stream(command: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run ``command``, echoing its output to stderr line by line; its exit status."""
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        click.echo(line.rstrip("\n"), err=True)
    return proc.wait()


def dvc_commands(checkout_only: bool, pull: bool) -> list[list[str]]:
    """What runs in the worktree; with ``pull``, the committed outputs are fetched first so
    that outputs whose bytes differ can be compared with them."""
    if checkout_only:
        return [["dvc", "pull" if pull else "checkout"]]
    repro = ["dvc", "repro", "--force", "--no-run-cache"]
    return [["dvc", "fetch"], [*repro, "--pull"]] if pull else [repro]


def run_env(tree: Path, bin_dir: Path) -> dict[str, str]:
    """PATH with ``bin_dir`` first; REV's own package source first on PYTHONPATH."""
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    if (tree / "src").is_dir():
        paths = [str(tree / "src"), *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def tolerances(root: Path) -> Any:
    """The ``reproduce`` section of the workspace's params.yaml (defaults when it has none)."""
    from ..config import load_params, read_section
    from .verdicts import Tolerances

    path = root / "params.yaml"
    params = load_params(path) if path.exists() else {}
    if Tolerances.SECTION not in params:
        return Tolerances()
    return read_section(Tolerances, params, path)


def conclude(rows: list[Any], rev: str, sha: str, exact: bool, why: str) -> None:
    """Exit 0 when every output is identical, or equivalent without --exact; say which."""
    from .verdicts import EQUIVALENT, IDENTICAL
    from .verify import first_mismatch

    allowed = (IDENTICAL,) if exact else (IDENTICAL, EQUIVALENT)
    bad = [r for r in rows if r.outcome not in allowed]
    same = sum(r.outcome == IDENTICAL for r in rows)
    if bad:
        demand = "identical (--exact)" if exact else "identical or equivalent"
        raise LockstepError(
            f"{len(bad)} of {len(rows)} outputs of {rev} are not {demand}; the first stage whose "
            f"outputs differ is '{first_mismatch(rows, allowed)}' ({why})"
        )
    if same == len(rows):
        click.echo(f"all {len(rows)} outputs of {rev} ({sha[:12]}) are identical to its dvc.lock")
        return
    click.echo(
        f"{rev} ({sha[:12]}) reproduces: {same} outputs identical, {len(rows) - same} equivalent "
        "(other bytes, same meaning within the `reproduce` tolerances; --exact demands bytes)"
    )


def run_pipeline(
    tree: Path, rev: str, venv_lock: bytes | None, checkout_only: bool, pull: bool
) -> None:
    """Run (or restore) the pipeline in ``tree``, in a venv built from ``venv_lock`` if given."""
    from .envlock import LOCK_PATH, build_venv

    bin_dir = Path(sys.executable).parent
    if venv_lock is not None and not checkout_only:
        bin_dir = build_venv(tree / LOCK_PATH, tree, lambda m: click.echo(m, err=True))
    for step in dvc_commands(checkout_only, pull):
        status = stream(step, tree, run_env(tree, bin_dir))
        if status != 0 and not checkout_only:
            raise LockstepError(
                f"the pipeline at {rev} failed ({' '.join(step[:2])} exited {status}, output "
                "above); --keep keeps the worktree to inspect"
            )


def locked(repo: Any, rev: str) -> tuple[str, dict[str, Any], Any]:
    """REV's commit, the stages its dvc.lock records, and its ``data.target``."""
    from ..gitrepo import read_at, yaml_at
    from .verify import load_lock

    sha = resolve_rev(repo, rev)
    lock_text = read_at(repo, sha, "dvc.lock")
    if lock_text is None:
        raise LockstepError(f"{rev} ({sha[:12]}) has no dvc.lock: nothing to verify")
    stages = load_lock(lock_text.decode("utf-8"))
    target = ((yaml_at(repo, sha, "params.yaml") or {}).get("data") or {}).get("target")
    return sha, stages, target


@click.command("reproduce")
@click.argument("rev")
@click.option("--keep", is_flag=True, help="Keep the worktree afterwards (its path is printed).")
@click.option("--checkout-only", is_flag=True, help="Restore outputs from the cache; run nothing.")
@click.option("--pull", is_flag=True, help="Fetch missing data from the DVC remote.")
@click.option("--venv", "use_venv", is_flag=True, help="Run in a venv built from REV's lock.")
@click.option("--strict-env", is_flag=True, help="Fail when the environment differs from the lock.")
@click.option("--exact", is_flag=True, help="Demand identical bytes; equivalent is a failure.")
@click.option("--attest", is_flag=True, help="Record the result as a git note on REV.")
def command(
    rev: str,
    keep: bool,
    checkout_only: bool,
    pull: bool,
    use_venv: bool,
    strict_env: bool,
    exact: bool,
    attest: bool,
) -> None:
    """Re-run REV's pipeline in a worktree and judge every output against REV's dvc.lock.

    Each output is identical (same bytes), equivalent (other bytes, same meaning within the
    tolerances in params.yaml's `reproduce` section) or different. Exits 0 when none is
    different (with --exact: when all are identical); otherwise names the first stage whose
    outputs differ. --attest stores an in-toto record on REV under refs/notes/lockstep.
    """
    from ..gitrepo import open_repo, read_at
    from .attest import output_entries, record
    from .envlock import LOCK_PATH, check_env
    from .verify import cache_lookup, compare, judge, model_rows, table

    repo = open_repo(".")
    root = Path(repo.working_tree_dir)
    sha, stages, target = locked(repo, rev)
    tol = tolerances(root)
    click.echo(f"reproducing {rev} ({sha[:12]}) in a temporary worktree", err=True)
    env_lock = read_at(repo, sha, LOCK_PATH)
    if not (use_venv or checkout_only):
        check_env(env_lock, strict_env)
    elif use_venv and not checkout_only and env_lock is None:
        raise LockstepError(f"--venv: {rev} has no {LOCK_PATH} to build from")
    with worktree(root, sha, keep) as tree:
        find = cache_lookup(share_dvc(root, tree), lambda path: read_at(repo, sha, path))
        run_pipeline(tree, rev, env_lock if use_venv else None, checkout_only, pull)
        rows = judge(
            compare(stages, tree), tree, find, tol, lambda m: model_rows(stages, m, find, target)
        )
        entries = output_entries(rows, tree, find) if attest else []
    click.echo(table(rows), nl=False)
    if attest:
        mode = "checkout" if checkout_only else "repro"
        click.echo(record(root, sha, rev, entries, tol, mode, env_lock if use_venv else None))
    why = (
        "restored from the cache: a missing or damaged cache object"
        if checkout_only
        else "re-run from inputs that matched: the stage is not deterministic, "
        "or the environment differs from the one that locked it"
    )
    conclude(rows, rev, sha, exact, why)
