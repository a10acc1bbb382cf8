"""Fetching a registered model (`lockstep model get`): the model, its card, pins and version.

The version comes from the registry tags (``--stage`` resolves the stage's current version the
way GTO does, unassignments included; ``dvc artifacts get --stage`` ignores them). The model is
read through DVC at the version's commit (local cache or the default remote), checked to load
with the trusted-types list, and written with the model card (plus the version and commit it
belongs to), the pinned dependencies at that commit and a version.json, each file atomically.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

from ..errors import LockstepError
from ..gitrepo import read_at
from ..io import dumps_json, write_bytes, write_text
from ..paths import MODEL_CARD, MODEL_FILE, PYPROJECT_FILE
from .events import Registry, Version


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


def requirements(pyproject: bytes | None, source: str | None = None, commit: str = "") -> str:
    """The pinned runtime dependencies from pyproject.toml at the version's commit, and lockstep
    itself from ``source`` (a git URL) at that commit: the model file names its classes."""
    if pyproject is None:
        return ""
    deps = tomllib.loads(pyproject.decode("utf-8")).get("project", {}).get("dependencies", [])
    own = [f"lockstep @ git+{source}@{commit}"] if source else []
    return "".join(f"{d}\n" for d in [*sorted(deps, key=str.lower), *own])


def repo_url(repo: Any) -> str:
    """Where pip can fetch this repository: the origin remote, else the local clone."""
    try:
        url = repo.remote("origin").url
    except ValueError:  # no origin remote
        return Path(repo.working_tree_dir).resolve().as_uri()
    return url if "://" in url else Path(url).resolve().as_uri() if Path(url).exists() else url


def read_model(root: str, commit: str) -> bytes:
    import dvc.api

    try:
        return dvc.api.read(MODEL_FILE, repo=root, rev=commit, mode="rb")
    except Exception as exc:  # DVC raises many types: missing cache, no remote, bad rev
        raise LockstepError(
            f"cannot read {MODEL_FILE} at {commit[:12]} through DVC ({exc}): "
            "configure the DVC remote (`dvc remote add -d ...`) or `dvc fetch` that commit"
        ) from exc


def materialise(repo: Any, registry: Registry, found: Version, out: Path) -> dict[str, Any]:
    from ..modelfile import loads_model

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
        out / "model_card.md", card_text(read_at(repo, found.commit, MODEL_CARD), registry, found)
    )
    pyproject = read_at(repo, found.commit, PYPROJECT_FILE)
    write_text(out / "requirements.txt", requirements(pyproject, repo_url(repo), found.commit))
    write_text(out / "version.json", dumps_json(info))
    return info
