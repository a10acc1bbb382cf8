"""`lockstep registry` (versions and stages from the Git tags) and `lockstep model get`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ..gitrepo import open_repo
from ..options import artifact_option
from .events import Registry, build, default_artifact, load_registry, read_events, rows
from .fetch import materialise, resolve
from .notes import records


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _stages(row: dict[str, Any]) -> str:
    return ", ".join(row["stages"]) or ("-" if row["active"] else "deregistered")


def history(registry: Registry) -> list[dict[str, Any]]:
    """Every registry event, newest first (the order lockstep replays them in, reversed)."""
    out = []
    for event in reversed(registry.events):
        found = registry.at_commit(event.commit)
        version = event.version or (found.version if found else None)
        keys = ("tag", "action", "stage", "commit", "time", "counter")
        out.append({"version": version, **{k: getattr(event, k) for k in keys}})
    return out


def render(registry: Registry, as_json: bool, records: dict[str, str] | None = None) -> str:
    """The registry as JSON or as a table (versions newest first, then current stages).

    ``records``: commit -> reproduction record summary (``lockstep reproduce --attest``)."""
    records = records or {}
    table = [{**r, "reproduced": records.get(r["commit"])} for r in rows(registry)]
    stages = {s: c.version for s in registry.stages() if (c := registry.current(s))}
    if as_json:
        body = {
            "artifact": registry.artifact,
            "stages": stages,
            "versions": table,
            "history": history(registry),
        }
        return json.dumps(body, indent=2, sort_keys=True) + "\n"
    from tabulate import tabulate

    if not table:
        return f"{registry.artifact}: no versions registered yet\n"
    data = [
        [r["version"], _stages(r), r["commit"][:7], _when(r["created_at"]), r["reproduced"] or "-"]
        for r in table
    ]
    headers = ["version", "stages", "commit", "registered (UTC)", "reproduced"]
    out = tabulate(data, headers=headers)
    summary = ", ".join(f"{s}: {v}" for s, v in sorted(stages.items())) or "no stage assigned"
    return f"{registry.artifact} ({summary})\n{out}\n"


@click.command("registry")
@artifact_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--repo", "repo_path", default=".", show_default=True)
def command(artifact: str | None, as_json: bool, repo_path: str) -> None:
    """Model versions and their stages, newest first, from the Git tags alone.

    The `reproduced` column is the verdict of the reproduction record on the version's commit
    (`lockstep reproduce REV --attest`, a note in refs/notes/lockstep), or '-' when none exists.
    """
    registry = load_registry(repo_path, artifact)
    root = Path(open_repo(repo_path).working_tree_dir)
    click.echo(render(registry, as_json, records(root)), nl=False)


@click.group("model")
def model() -> None:
    """Registered models: fetch one by stage or version."""


@model.command("get")
@click.option("--stage", default=None, help="The stage's current version, e.g. prod.")
@click.option("--version", "version", default=None, help="A registered version, e.g. v1.2.0.")
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False))
@artifact_option
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def get(
    stage: str | None, version: str | None, output: str, artifact: str | None, as_json: bool
) -> None:
    """Write model.skops, model_card.md, requirements.txt and version.json into OUTPUT."""
    repo = open_repo(".")
    registry = build(read_events(repo), artifact or default_artifact(repo))
    found = resolve(registry, stage, version)
    info = materialise(repo, registry, found, Path(output))
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
    else:
        click.echo(f"{registry.artifact} {found.version} ({found.commit[:12]}) -> {output}/")
