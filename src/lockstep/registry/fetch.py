"""`lockstep model get`: materialise a registered model and its model card into a folder.

The version comes from the registry tags (``--stage`` resolves the stage's current version the
way GTO does, unassignments included; ``dvc artifacts get --stage`` ignores them). The model is
read through DVC at the version's commit (local cache or the default remote), checked to load
with the trusted-types list, and written with the model card (plus the version and commit it
belongs to), the pinned dependencies at that commit and a version.json, each file atomically.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

import click

from ..errors import LockstepError
from ..io import dumps_json, write_bytes, write_text
from .events import Registry, Version
from .tags import default_artifact, open_repo, read_at, read_events

MODEL_PATH = "models/model.skops"
CARD_PATH = "reports/model_card.md"


def resolve(registry: Registry, stage: str | None, version: str | None) -> Version:
    if bool(stage) == bool(version):
        raise LockstepError("pass exactly one of --stage or --version")
    if stage:
        found = registry.current(stage)
        if found is None:
            raise LockstepError(f"no version of {registry.artifact} is in stage '{stage}'")
        return found
    if version not in registry.versions:
        known = ", ".join(sorted(registry.versions)) or "none"
        raise LockstepError(f"{registry.artifact} has no version {version} (registered: {known})")
    return registry.versions[str(version)]


def card_text(card: bytes | None, registry: Registry, found: Version) -> str:
    """The pipeline's card plus what only the registry knows: version, commit, stages, tag."""
    body = card.decode("utf-8") if card else "# Model card\n\nNo model card at this commit.\n"
    stages = ", ".join(registry.stages_of(found.version)) or "none"
    return (
        f"{body.rstrip()}\n\n## Registry\n\n"
        f"- artifact: `{registry.artifact}`\n- version: `{found.version}`\n"
        f"- commit: `{found.commit}`\n- registered by tag: `{found.tag}`\n"
        f"- stages now: {stages}\n"
    )


def requirements(pyproject: bytes | None) -> str:
    """The pinned runtime dependencies from pyproject.toml at the version's commit."""
    if pyproject is None:
        return ""
    deps = tomllib.loads(pyproject.decode("utf-8")).get("project", {}).get("dependencies", [])
    return "".join(f"{d}\n" for d in sorted(deps, key=str.lower))


def read_model(root: str, commit: str) -> bytes:
    import dvc.api

    try:
        return dvc.api.read(MODEL_PATH, repo=root, rev=commit, mode="rb")
    except Exception as exc:  # DVC raises many types: missing cache, no remote, bad rev
        raise LockstepError(
            f"cannot read {MODEL_PATH} at {commit[:12]} through DVC ({exc}): "
            "configure the DVC remote (`dvc remote add -d ...`) or `dvc fetch` that commit"
        ) from exc


def materialise(repo: Any, registry: Registry, found: Version, out: Path) -> dict[str, Any]:
    from ..models import loads_model

    data = read_model(str(repo.working_tree_dir), found.commit)
    loads_model(data, where=f"{registry.artifact} {found.version}")
    info = {
        "artifact": registry.artifact,
        "version": found.version,
        "commit": found.commit,
        "stages": registry.stages_of(found.version),
        "tag": found.tag,
        "model_md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
    }
    write_bytes(out / "model.skops", data)
    write_text(
        out / "model_card.md", card_text(read_at(repo, found.commit, CARD_PATH), registry, found)
    )
    write_text(
        out / "requirements.txt", requirements(read_at(repo, found.commit, "pyproject.toml"))
    )
    write_text(out / "version.json", dumps_json(info))
    return info


@click.group("model")
def command() -> None:
    """Registered models: fetch one by stage or version."""


@command.command("get")
@click.option("--stage", default=None, help="The stage's current version, e.g. prod.")
@click.option("--version", "version", default=None, help="A registered version, e.g. v1.2.0.")
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False))
@click.option("--artifact", default=None, help="Artifact name (default: promote.artifact).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def get(
    stage: str | None, version: str | None, output: str, artifact: str | None, as_json: bool
) -> None:
    """Write model.skops, model_card.md, requirements.txt and version.json into OUTPUT."""
    from .events import build

    repo = open_repo(".")
    registry = build(read_events(repo), artifact or default_artifact(repo))
    found = resolve(registry, stage, version)
    info = materialise(repo, registry, found, Path(output))
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
    else:
        click.echo(f"{registry.artifact} {found.version} ({found.commit[:12]}) -> {output}/")
