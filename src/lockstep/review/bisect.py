"""`lockstep bisect`: find the first commit on the first-parent path where a metric went bad.

Between ``--good`` and ``--bad`` (``good`` an ancestor of ``bad``), binary search over the
first-parent history. A commit is *bad* when its metric is worse than ``--threshold`` (default:
halfway between the good and bad commits' values), or, with ``--significant``, when its scored
test rows are significantly worse than the good commit's (lockstep.significance). A commit's
metric is read from its committed reports/metrics.json; where it has none (or with
``--significant``, no readable scores), the commit is reproduced in a temporary worktree
(lockstep.reproduce's machinery; DVC's run-cache restores stages it has seen). Prints the path
taken and the culprit with its changed files grouped as data / params / code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from ..errors import LockstepError

METRICS_FILE = "reports/metrics.json"
GROUPS = ("data", "params", "code", "outputs", "other")


def first_bad(count: int, is_bad: Callable[[int], bool]) -> tuple[int, list[tuple[int, bool]]]:
    """Index of the first bad of ``count`` commits (the last is bad); (probe, bad) in order."""
    lo, hi, probes = -1, count - 1, []  # lo: last known good (-1 = the good rev), hi: bad
    while hi - lo > 1:
        mid = (lo + hi) // 2
        bad = is_bad(mid)
        probes.append((mid, bad))
        if bad:
            hi = mid
        else:
            lo = mid
    return hi, probes


def group(path: str) -> str:
    """Which kind of change a file is: data, params, code, outputs or other."""
    if path.startswith("data/") or path.endswith(".dvc"):
        return "data"
    if path == "params.yaml" or path.startswith("conf/"):
        return "params"
    if path.startswith(("src/", "code/", "tests/")) or path in ("dvc.yaml", "pyproject.toml"):
        return "code"
    if path.startswith("reports/") or path in ("dvc.lock", "requirements.lock"):
        return "outputs"
    return "other"


def summarize(paths: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(paths):
        out.setdefault(group(path), []).append(path)
    return {g: out[g] for g in GROUPS if g in out}


def worse(direction: str, value: float, threshold: float) -> bool:
    return value < threshold if direction == "higher" else value > threshold


@dataclass
class Bisector:
    """Reads a metric (and scores) at commits, reproducing where nothing is committed."""

    root: Path
    metric: str
    reproduce: bool = True
    log: list[str] = field(default_factory=list)
    _cache: dict[str, tuple[float, object]] = field(default_factory=dict)

    def committed(self, sha: str) -> float | None:
        from ..gitrepo import json_at, open_repo

        values = json_at(open_repo(self.root), sha, METRICS_FILE)
        value = (values or {}).get(self.metric)
        return None if value is None else float(value)

    def value(self, sha: str, with_scores: bool = False) -> tuple[float, object]:
        """(metric, scores or None) at ``sha``."""
        if sha in self._cache and (self._cache[sha][1] is not None or not with_scores):
            return self._cache[sha]
        value, scores = self.committed(sha), None
        if with_scores and value is not None:
            from ..scores import try_read

            scores = try_read(sha, str(self.root))[0]
        source = "committed"
        if value is None or (with_scores and scores is None):
            if not self.reproduce:
                raise LockstepError(
                    f"{sha[:12]} has no committed {self.metric} in {METRICS_FILE}"
                    f"{' or readable scores' if with_scores else ''} and --no-reproduce is set"
                )
            value, scores = reproduce_values(self.root, sha, self.metric, with_scores)
            source = "reproduced"
        self._cache[sha] = (value, scores)
        self.log.append(f"{sha[:12]} {self.metric} {value:.6f} ({source})")
        return value, scores


def first_parent_path(root: Path, good: str, bad: str) -> list[str]:
    """Commits after ``good`` up to ``bad`` on bad's first-parent line, oldest first."""
    from ..reproduce.command import git

    good_sha, bad_sha = git(["rev-parse", good], root), git(["rev-parse", bad], root)
    commits = git(["rev-list", "--first-parent", "--reverse", f"{good_sha}..{bad_sha}"], root)
    path = commits.split()
    parents = set(git(["rev-list", "--first-parent", bad_sha], root).split())
    if good_sha not in parents:
        raise LockstepError(f"--good {good} is not on the first-parent history of --bad {bad}")
    if not path:
        raise LockstepError(f"--good {good} and --bad {bad} are the same commit")
    return path


def changed_files(root: Path, sha: str) -> list[str]:
    from ..reproduce.command import git

    return git(["diff", "--name-only", f"{sha}^1", sha], root).split()


def subject(root: Path, sha: str) -> str:
    from ..reproduce.command import git

    return git(["log", "-1", "--format=%s", sha], root)


def reproduce_values(root: Path, sha: str, metric: str, with_scores: bool) -> tuple[float, object]:
    """Run ``sha``'s pipeline in a temporary worktree (run-cache on); its metric and scores."""
    from ..reproduce.command import run_env, share_dvc, stream, worktree
    from ..scores import read_at

    click.echo(f"reproducing {sha[:12]} in a temporary worktree", err=True)
    with worktree(root, sha, keep=False) as tree:
        share_dvc(root, tree)
        status = stream(["dvc", "repro"], tree, run_env(tree, Path(sys.executable).parent))
        if status != 0:
            raise LockstepError(f"the pipeline at {sha[:12]} failed (dvc exited {status})")
        try:
            values = json.loads((tree / "reports/metrics.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError) as exc:
            raise LockstepError(f"{sha[:12]}: no readable reports/metrics.json ({exc})") from exc
        if metric not in values:
            raise LockstepError(f"{sha[:12]}: reports/metrics.json has no '{metric}'")
        scores = read_at("workspace", str(tree)) if with_scores else None
    return float(values[metric]), scores
