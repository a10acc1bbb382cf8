"""`lockstep explain` command: the hybrid runs in worktrees and the printed split; and the PR
report's explain section (``report.explain`` or ``lockstep report --explain``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..config import build
from ..errors import LockstepError
from .explain import (
    Explanation,
    coalitions,
    paired_intervals,
    report_section,
    shapley,
    split_changes,
)


def run_hybrid(root: Path, base: str, head: str, files: list[str], metric: str):
    """Run the pipeline on base's tree with head's version of ``files``: (metric, scores)."""
    from ..reproduce.command import git, run_env, share_dvc, stream, worktree
    from ..scores import try_read

    at_head = set(git(["ls-tree", "-r", "--name-only", head], root).split())
    with worktree(root, base, keep=False) as tree:
        for path in files:
            if path in at_head:
                git(["checkout", head, "--", path], tree)
            else:
                (tree / path).unlink(missing_ok=True)
        share_dvc(root, tree)
        status = stream(["dvc", "repro"], tree, run_env(tree, Path(sys.executable).parent))
        if status != 0:
            raise LockstepError(f"a hybrid run ({', '.join(files[:3])}...) failed: dvc {status}")
        values = json.loads((tree / "reports/metrics.json").read_text(encoding="utf-8"))
        if metric not in values:
            raise LockstepError(f"reports/metrics.json has no '{metric}' after a hybrid run")
        return float(values[metric]), try_read("workspace", str(tree))[0]


def corner(root: Path, sha: str, metric: str):
    """A commit's own metric and scores: committed where present, else reproduced."""
    from ..gitrepo import json_at, open_repo
    from ..scores import try_read
    from .bisect import reproduce_values

    value = (json_at(open_repo(root), sha, "reports/metrics.json") or {}).get(metric)
    if value is None:
        return reproduce_values(root, sha, metric, with_scores=True)
    return float(value), try_read(sha, str(root))[0]


def intervals(factors, runs, metric: str, rules: dict) -> dict | None:
    """Paired intervals of each part when every run scored the same rows, else None."""
    from ..bootstrap import METRICS
    from ..significance import is_paired
    from .gate_modes import gate_stats

    scores = {s: sc for s, (_, sc) in runs.items()}
    if metric not in METRICS or any(sc is None for sc in scores.values()):
        return None
    first = next(iter(scores.values()))
    if not all(is_paired(first, sc) for sc in scores.values()):
        return None
    stats = gate_stats(rules)
    y = first.sorted().labels
    proba = {s: sc.sorted().proba for s, sc in scores.items()}
    threshold = float((rules.get("evaluate") or {}).get("threshold", 0.5))
    return paired_intervals(
        factors,
        y,
        proba,
        METRICS[metric],
        threshold,
        stats.bootstrap_samples,
        stats.confidence,
        stats.seed,
    )


def explain(
    root: Path, base: str, head: str, metric: str, say: Callable[[str], None] = print
) -> Explanation:
    """Run the combinations of base and head for every changed factor; the Shapley split."""
    from ..gitrepo import open_repo, yaml_at
    from ..reproduce.command import git
    from .gate_modes import gate_stats

    b, h = git(["rev-parse", base], root), git(["rev-parse", head], root)
    changes = split_changes(git(["diff", "--name-only", b, h], root).split())
    factors = list(changes)
    if not factors:
        raise LockstepError(f"{base} and {head} differ in no data, params or code file")
    say(f"explain {metric}: {base} -> {head}; changed: {', '.join(factors)}")
    runs = {}
    for s in coalitions(factors):
        if not s or len(s) == len(factors):
            runs[s] = corner(root, h if s else b, metric)
        else:
            files = [p for f in sorted(s) for p in changes[f]]
            runs[s] = run_hybrid(root, b, h, files, metric)
        say(f"  head's {', '.join(sorted(s)) or 'none'}: {metric} {runs[s][0]:.6f}")
    rules = yaml_at(open_repo(root), b, "params.yaml") or {}
    return Explanation(
        metric,
        changes,
        {s: value for s, (value, _) in runs.items()},
        shapley(factors, lambda s: runs[s][0]),
        intervals(factors, runs, metric, rules),
        gate_stats(rules).confidence,
    )


@dataclass(frozen=True)
class ReportSettings:
    """The ``report`` section: whether the PR report runs explain (it costs pipeline runs)."""

    explain: bool = False
    explain_metric: str = "roc_auc"


def report_settings(params: dict[str, Any]) -> ReportSettings:
    return build(ReportSettings, params.get("report") or {}, "params.yaml:report")


def for_report(base: str, head: str, metric: str) -> list[str]:
    """The report's explain section for BASE -> HEAD (the working tree counts as HEAD)."""
    from ..gitrepo import open_repo

    root = Path(open_repo(".").working_tree_dir)
    note = "The working tree is explained as its commit, HEAD." if head == "workspace" else ""
    say = lambda line: click.echo(line, err=True)  # noqa: E731
    try:
        expl = explain(root, base, "HEAD" if head == "workspace" else head, metric, say)
    except LockstepError as exc:
        return report_section(None, f"explain could not split the change: {exc}")
    return report_section(expl, note)


@click.command("explain")
@click.option("--base", required=True, help="The revision before the change.")
@click.option("--head", default="HEAD", show_default=True, help="The revision after it.")
@click.option("--metric", default="roc_auc", show_default=True, help="A metric in metrics.json.")
def command(base: str, head: str, metric: str) -> None:
    """Split METRIC's change from BASE to HEAD between data, params and code (Shapley values)."""
    from ..gitrepo import open_repo

    root = Path(open_repo(".").working_tree_dir)
    expl = explain(root, base, head, metric, lambda line: click.echo(line, err=True))
    click.echo(f"{metric}: {expl.base:.6f} -> {expl.head:.6f}")
    for f, part in expl.parts.items():
        bounds = expl.bounds
        interval = f" [{bounds[f][0]:+.4f}, {bounds[f][1]:+.4f}]" if bounds else ""
        click.echo(f"  {f:7s} {part:+.6f}{interval}")
    total = expl.head - expl.base
    click.echo(f"  total   {total:+.6f} (parts sum to {sum(expl.parts.values()):+.6f})")
    if expl.bounds is None:
        click.echo("  (no paired intervals: the runs did not all score the same test rows)")
    click.echo(f"{len(expl.values)} runs ({expl.hybrids} hybrid)")
