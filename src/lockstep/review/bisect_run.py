"""`lockstep bisect` command: reproducing a commit for its metric, and the search itself."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import LockstepError
from .bisect import Bisector, changed_files, first_bad, first_parent_path, subject, summarize, worse


def policy_at(root: Path, sha: str) -> dict:
    from ..gitrepo import open_repo, yaml_at

    return yaml_at(open_repo(root), sha, "params.yaml") or {}


def predicate(finder: Bisector, good: str, bad: str, threshold: float | None, significant: bool):
    """(is_bad(sha), description) for the search."""
    from ..metric_rules import directions

    rules = policy_at(finder.root, good)
    direction = directions(rules).get(finder.metric, "higher")
    good_value, good_scores = finder.value(good, with_scores=significant)
    if significant:
        from ..paired import verdict
        from ..significance import compare
        from .gate_modes import gate_stats

        settings = gate_stats(rules).settings(
            float((rules.get("evaluate") or {}).get("threshold", 0.5))
        )

        def is_bad(sha: str) -> bool:
            scores = finder.value(sha, with_scores=True)[1]
            cmp = compare(finder.metric, good_scores, scores, settings)
            return verdict(direction, cmp.low, cmp.high) == "worse"

        return is_bad, f"significantly worse than {good} at {settings.confidence:.0%}"
    if threshold is None:
        threshold = (good_value + finder.value(bad)[0]) / 2
    return (
        lambda sha: worse(direction, finder.value(sha)[0], threshold),
        f"{finder.metric} {'below' if direction == 'higher' else 'above'} {threshold:.6f}",
    )


@click.command("bisect")
@click.option("--metric", required=True, help="A metric in reports/metrics.json, e.g. roc_auc.")
@click.option("--good", required=True, help="A revision where the metric was fine.")
@click.option("--bad", required=True, help="A later revision where it is bad.")
@click.option("--threshold", type=float, help="Bad means worse than this (default: halfway).")
@click.option("--significant", is_flag=True, help="Bad means significantly worse than --good.")
@click.option(
    "--no-reproduce", is_flag=True, help="Never run a commit; fail if a value is missing."
)
def command(
    metric: str,
    good: str,
    bad: str,
    threshold: float | None,
    significant: bool,
    no_reproduce: bool,
) -> None:
    """Binary-search the first-parent history from GOOD to BAD for the commit that broke METRIC."""
    if threshold is not None and significant:
        raise click.UsageError("--threshold and --significant are exclusive: choose one")
    from ..gitrepo import open_repo

    root = Path(open_repo(".").working_tree_dir)
    commits = first_parent_path(root, good, bad)
    finder = Bisector(root, metric, reproduce=not no_reproduce)
    is_bad, meaning = predicate(finder, good, bad, threshold, significant)
    if not is_bad(commits[-1]):
        raise LockstepError(f"--bad {bad} is not bad by the rule ({meaning}): nothing to find")
    click.echo(f"bisect: {len(commits)} commits after {good}; bad means {meaning}")
    index, probes = first_bad(len(commits), lambda i: is_bad(commits[i]))
    click.echo("path:")
    for i, was_bad in probes:
        click.echo(f"  [{i + 1}/{len(commits)}] {commits[i][:12]} {'bad' if was_bad else 'good'}")
    click.echo("values read:\n" + "\n".join(f"  {line}" for line in finder.log))
    culprit = commits[index]
    click.echo(f"culprit: {culprit} {subject(root, culprit)}")
    for kind, files in summarize(changed_files(root, culprit)).items():
        click.echo(f"  {kind}: {', '.join(files)}")
