"""`lockstep promote` and `lockstep rollback`: champion/challenger gate, then GTO-format tags.

promote: the candidate is HEAD, which must be reproduced (clean Git tree, `dvc status` clean,
params.yaml composed from conf/). Its metrics at HEAD are compared with the stage's champion's
metrics at the champion's commit under the ``promote`` policy; on success HEAD is registered as a
new version (unless it already is one) and assigned the stage, and the previous champion is
unassigned, so each stage holds one version. The tag messages record the decision; when the
policy judges by intervals (``promote.mode``, ``require_significant_gain``), each line records
the test, the interval of the change and the verdict, from both commits' scored test rows.

rollback: unassigns the stage from its current version and assigns it again to the version that
held it before. Nothing is deleted: every step is a new tag.

Exit status: 0 done, 3 not promoted (policy refusal, or HEAD already holds the stage), 1 error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..config import load_params, read_section
from ..errors import LockstepError
from ..gitrepo import json_at, open_repo, yaml_at
from ..metric_rules import directions
from ..options import artifact_option, params_option
from ..paths import FAIRNESS_FILE, INGEST_FILE, METRICS_FILE, PARAMS_FILE, VALIDATION_FILE
from .events import Registry, Version, bump, read_events
from .events import build as build_registry
from .policy import Decision, Policy, Refused, change_level, decide, with_ab_evidence
from .tags import create_tag, next_counter

STAGES = ("staging", "prod")
Plan = list[tuple[str, str, str]]  # (tag, commit, message)


def check_reproduced(repo: Any, params_path: str) -> None:
    """Refuse unless HEAD is exactly what the pipeline and conf/ produce."""
    from ..compose import compose

    changed = repo.git.status("--porcelain", "--untracked-files=no").splitlines()
    if changed:
        files = ", ".join(line[3:] for line in changed[:5])
        raise LockstepError(f"uncommitted changes ({files}): commit them so HEAD is the candidate")
    root = Path(repo.working_tree_dir)
    if compose(root / "conf") != (root / params_path).read_text(encoding="utf-8"):
        raise LockstepError(f"{params_path} is out of date with conf/: run `lockstep params`")
    from dvc.repo import Repo

    with Repo(str(root)) as dvc_repo:
        status = dvc_repo.status()
    if status:
        raise LockstepError(
            "the pipeline is not reproduced at HEAD (`dvc status`: "
            f"{', '.join(sorted(status))} changed): run `dvc repro` (or `dvc pull`) and commit"
        )


def snapshot(repo: Any, commit: str) -> dict[str, Any]:
    """What promotion reads at a commit: metrics, validation, params, the ingest record and the
    fairness report (None where the commit has none)."""
    metrics = json_at(repo, commit, METRICS_FILE)
    if metrics is None:
        raise LockstepError(f"reports/metrics.json is not committed at {commit[:12]}")
    return {
        "metrics": metrics,
        "validation": json_at(repo, commit, VALIDATION_FILE) or {},
        "params": yaml_at(repo, commit, PARAMS_FILE),
        "ingest": json_at(repo, commit, INGEST_FILE) or {},
        "fairness": json_at(repo, commit, FAIRNESS_FILE),
    }


def live_ab(path: str) -> dict[str, Any] | None:
    """The ``ab`` verdict of a monitoring.json written by `lockstep monitor`."""
    import json

    file = Path(path)
    if not file.is_file():
        raise LockstepError(f"promote.ab_evidence: {path} not found (run `lockstep monitor`)")
    ab = json.loads(file.read_text(encoding="utf-8")).get("ab")
    if ab and "verdict" not in ab:
        raise LockstepError(
            f"promote.ab_evidence: {path} holds numbers only (the DVC metric); point it at the "
            "full report, reports/monitoring_report.json"
        )
    return ab


def plan_promotion(
    registry: Registry,
    stage: str,
    head: str,
    decision: Decision,
    version: str,
    champion: Version | None,
    counter: int,
) -> Plan:
    name, message = registry.artifact, decision.message(f"{registry.artifact} {version} to {stage}")
    plan: Plan = []
    if registry.at_commit(head) is None:
        plan.append((f"{name}@{version}", head, message))
    plan.append((f"{name}#{stage}#{counter}", head, message))
    if champion is not None:
        note = f"{name} {champion.version} leaves {stage}: replaced by {version}\n"
        plan.append((f"{name}#{stage}!#{counter + 1}", champion.commit, note))
    return plan


@dataclass
class Judgement:
    """What promotion decided about a candidate, and the version it would get."""

    decision: Decision
    version: str
    level: str  # the semver change, or "already registered"
    champion: Version | None
    policy: Policy


Reader = Callable[[str], dict[str, Any]]  # commit -> snapshot()


def judge(registry: Registry, stage: str, head: str, params: dict, read: Reader) -> Judgement:
    """Judge the candidate at ``head`` against ``stage``'s champion; choose its version.

    The champion's rules judge (its ``promote`` policy and metric directions), as the gate judges
    by the base's: a candidate cannot loosen the bar it is held to. A policy change applies once
    a version carrying it reigns; with no champion (or one without a policy), ``params`` rule.
    """
    existing, champion = registry.at_commit(head), registry.current(stage)
    if champion is not None and existing is not None and champion.version == existing.version:
        raise Refused(f"HEAD is {existing.version}, already the {stage} version")
    candidate = read(head)
    reigning = read(champion.commit) if champion else None
    rules = params
    if reigning and "promote" in (reigning["params"] or {}):
        rules = reigning["params"]
    policy = read_section(Policy, rules)
    passed = bool(candidate["validation"].get("passed"))
    base = reigning["metrics"] if reigning else None
    fairness = candidate.get("fairness")  # the candidate's own disparities, the rules' limits
    tested = judged_by_intervals(policy, rules, stage, head, champion)
    decision = decide(
        policy, directions(rules), candidate["metrics"], base, passed, fairness, tested, stage
    )
    if policy.ab_evidence:
        decision = with_ab_evidence(decision, live_ab(policy.ab_evidence), policy.ab_evidence)
    if existing is not None:
        version, level = existing.version, "already registered"
    else:
        version, level = new_version(registry, read, candidate)
    return Judgement(decision, version, level, champion, policy)


def new_version(registry: Registry, read: Reader, candidate: dict) -> tuple[str, str]:
    """The version to register for the candidate and why (semver bump from what changed)."""
    latest = registry.latest()
    reference = read(registry.versions[latest].commit) if latest else None
    level = change_level(
        candidate["params"] or {},
        reference["params"] if reference else None,
        candidate["ingest"].get("content_hash"),
        reference["ingest"].get("content_hash") if reference else None,
    )
    return bump(latest, level), level


def apply_plan(repo: Any, plan: Plan, dry_run: bool) -> None:
    for tag, commit, message in plan:
        if not dry_run:
            create_tag(repo, tag, commit, message)
        click.echo(f"{'would create' if dry_run else 'created'} tag {tag} -> {commit[:12]}")
    if not dry_run:
        pushes = " && ".join(f"git push origin {tag}" for tag, *_ in plan)
        click.echo(f"push each tag on its own: {pushes}")


def judged_by_intervals(
    policy: Policy, rules: dict, stage: str, head: str, champion: Version | None
) -> dict | None:
    """Intervals of every metric's change against the champion, when the policy needs them."""
    from ..significance import Settings
    from .promote_stats import evidence, needs_scores

    if champion is None or not needs_scores(policy.mode, policy.require_significant_gain, stage):
        return None
    threshold = float((rules.get("evaluate") or {}).get("threshold", 0.5))
    settings = Settings(threshold, policy.confidence, policy.bootstrap_samples, policy.seed)
    return evidence(head, champion.commit, rules, settings)


@click.command("promote")
@click.option("--stage", type=click.Choice(STAGES), required=True)
@click.option("--dry-run", is_flag=True, help="Decide and show the tags, create none.")
@params_option()
def command(stage: str, dry_run: bool, params_path: str) -> None:
    """Promote HEAD to STAGE if it beats the stage's champion under the promotion policy."""
    repo = open_repo(".")
    params = load_params(Path(repo.working_tree_dir) / params_path)
    artifact = read_section(Policy, params).artifact
    check_reproduced(repo, params_path)
    registry = build_registry(read_events(repo), artifact)
    head = repo.head.commit.hexsha
    judged = judge(registry, stage, head, params, lambda commit: snapshot(repo, commit))
    champion, decision = judged.champion, judged.decision
    title = f"{stage} champion {champion.version}" if champion else f"{stage}: no champion"
    click.echo(f"candidate {judged.version} ({judged.level}) at {head[:12]} vs {title}")
    click.echo("\n".join(f"  {line}" for line in decision.lines))
    if not decision.promote:
        raise Refused(f"not promoted to {stage}: " + "; ".join(decision.reasons))
    counter = next_counter(repo, judged.policy.artifact)
    plan = plan_promotion(registry, stage, head, decision, judged.version, champion, counter)
    apply_plan(repo, plan, dry_run)


@click.command("rollback")
@click.option("--stage", type=click.Choice(STAGES), required=True)
@click.option("--dry-run", is_flag=True, help="Show the tags, create none.")
@artifact_option
def rollback(stage: str, dry_run: bool, artifact: str | None) -> None:
    """Assign STAGE back to the version that held it before the current one."""
    from .events import default_artifact

    repo = open_repo(".")
    name = artifact or default_artifact(repo)
    registry = build_registry(read_events(repo), name)
    current, previous = registry.current(stage), registry.previous(stage)
    if current is None:
        raise LockstepError(f"no version of {name} is in {stage}: nothing to roll back")
    if previous is None:
        raise LockstepError(f"{name} {current.version} is the only version {stage} has held")
    counter = next_counter(repo, name)
    note = f"{name} rollback of {stage}: {current.version} -> {previous.version}\n"
    plan = [
        (f"{name}#{stage}!#{counter}", current.commit, note),
        (f"{name}#{stage}#{counter + 1}", previous.commit, note),
    ]
    apply_plan(repo, plan, dry_run)
    click.echo(f"{stage}: {current.version} → {previous.version}{' (dry run)' if dry_run else ''}")
