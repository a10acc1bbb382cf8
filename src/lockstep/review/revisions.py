"""Pipeline results at a Git revision or in the working tree, read through DVC's Python API.

`lockstep report` and `lockstep gate` compare two snapshots. Metrics and params come from
``dvc.repo.Repo.metrics.show`` / ``params.show`` (one call for both revisions); the small JSON
files kept in Git with ``cache: false`` (validation summary, plot data) are read from the
revision's Git tree through ``lockstep.gitrepo``. ``workspace`` means the working tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import LockstepError
from ..gitrepo import json_at, open_repo
from ..paths import INGEST_FILE, METRICS_FILE, PARAMS_FILE, PLOT_FILES, VALIDATION_FILE

WORKSPACE = "workspace"


@dataclass(frozen=True)
class Snapshot:
    """What one revision holds: metrics per file, params.yaml, and raw JSON files."""

    rev: str
    label: str
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    stale: tuple[str, ...] = ()  # workspace only: stages `dvc status` says are out of date

    def metric_file(self, path: str = METRICS_FILE) -> dict[str, Any]:
        return self.metrics.get(path) or {}


def _data(entry: Any) -> dict[str, Any]:
    """Unwrap DVC's ``{"data": {...}}`` / ``{"error": ...}`` envelopes; errors become empty."""
    if not isinstance(entry, dict) or "error" in entry:
        return {}
    return entry.get("data", entry) or {}


def _per_file(shown: dict[str, Any], rev: str) -> dict[str, dict[str, Any]]:
    return {path: _data(entry) for path, entry in _data(shown.get(rev)).items()}


def stale_stages(status: dict[str, Any]) -> tuple[str, ...]:
    """Stages from ``dvc status`` whose command, params, deps or outputs really changed.

    Outputs that are only missing locally (``dvc repro --pull --allow-missing`` in CI leaves
    them in the remote) do not make the numbers stale, so they are not counted.
    """

    def changed(value: Any) -> bool:
        if isinstance(value, dict):
            return any(changed(v) for v in value.values())
        return value is not None and value not in ("deleted", "not in cache")

    stale = []
    for stage, entries in status.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and (
                "changed command" in entry
                or changed(entry.get("changed deps"))
                or changed(entry.get("changed outs"))
            ):
                stale.append(stage)
                break
    return tuple(sorted(stale))


def _resolve(repo: Any, rev: str) -> str:
    from dvc.scm import RevError
    from scmrepo.exceptions import RevError as ScmRevError

    if rev == WORKSPACE:
        return WORKSPACE
    try:
        return repo.scm.resolve_rev(rev)
    except (RevError, ScmRevError) as exc:
        raise LockstepError(
            f"revision '{rev}' not found in this repository. In CI check out the full history "
            "(actions/checkout with fetch-depth: 0); locally, `git fetch` the base branch first."
        ) from exc


def _read_json(root: str, git_repo: Any, rev: str, path: str) -> Any:
    """A small JSON file kept in Git, from the working tree or through lockstep.gitrepo."""
    if rev != WORKSPACE:
        return json_at(git_repo, rev, path)
    try:
        with open(f"{root}/{path}", encoding="utf-8") as handle:
            text = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockstepError(f"{path} at {rev} is not valid JSON: {exc}") from exc


def load(
    revs: list[str],
    root: str = ".",
    files: tuple[str, ...] = (INGEST_FILE, VALIDATION_FILE, *PLOT_FILES),
) -> dict[str, Snapshot]:
    """Snapshots for ``revs`` (Git revisions or ``workspace``), keyed by the given names."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    try:
        repo = Repo(root)
    except NotDvcRepoError as exc:
        raise LockstepError(f"{root} is not a DVC project: run from the project root") from exc
    with repo:
        resolved = {rev: _resolve(repo, rev) for rev in revs}
        git_revs = sorted({sha for sha in resolved.values() if sha != WORKSPACE})
        metrics = repo.metrics.show(revs=git_revs)
        params = repo.params.show(revs=git_revs)
        git_repo = open_repo(repo.root_dir) if git_revs and files else None
        snapshots = {}
        for rev, sha in resolved.items():
            label = WORKSPACE if sha == WORKSPACE else sha[:8]
            snapshots[rev] = Snapshot(
                rev=rev,
                label=label if rev in (WORKSPACE, sha) else f"{rev} ({label})",
                metrics=_per_file(metrics, sha),
                params=_per_file(params, sha).get(PARAMS_FILE, {}),
                files={path: _read_json(repo.root_dir, git_repo, sha, path) for path in files},
                stale=stale_stages(repo.status()) if sha == WORKSPACE else (),
            )
    return snapshots
