"""What live performance is compared with: the model's own test-set metrics at its commit.

A logged version (``v1.2.0``) is resolved through the registry's Git tags to its commit, and
``reports/metrics.json`` at that commit is read through DVC's API, as `lockstep report` reads
metrics. A version the registry does not know (a model served from a folder) falls back to the
working tree's ``reports/metrics.json``, and the report says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import LockstepError
from ..io import read_json
from ..paths import METRICS_FILE


def _registry(root: str, artifact: str | None) -> Any:
    from ..gitrepo import open_repo
    from ..registry.events import build, default_artifact, read_events

    try:
        repo = open_repo(root)
        return build(read_events(repo), artifact or default_artifact(repo))
    except Exception:  # not a Git repository, or no registry: nothing to resolve
        return None


def _at_commit(root: str, commit: str) -> dict[str, Any]:
    from ..review.revisions import load

    return load([commit], root, files=())[commit].metric_file(METRICS_FILE)


def test_metrics(
    versions: list[str], root: str = ".", artifact: str | None = None, override: str | None = None
) -> dict[str, dict[str, Any]]:
    """version -> {"source": where the numbers come from, "commit", "metrics"}."""
    if override:
        if not Path(override).is_file():
            raise LockstepError(f"--test-metrics {override} does not exist")
        fixed = json.loads(Path(override).read_text(encoding="utf-8"))
        return {v: {"source": override, "commit": None, "metrics": fixed} for v in versions}
    registry = _registry(root, artifact)
    out = {}
    for version in versions:
        found = registry.versions.get(version) if registry else None
        if found is not None:
            metrics = _at_commit(root, found.commit)
            out[version] = {
                "source": f"{METRICS_FILE} at {found.commit[:12]}",
                "commit": found.commit,
                "metrics": metrics or None,
            }
        else:
            out[version] = {
                "source": f"{METRICS_FILE} (working tree; {version} is not registered)",
                "commit": None,
                "metrics": read_json(Path(root) / METRICS_FILE),
            }
    return out
