"""The one reader of Git: a repository, and the files a commit holds.

Everything that reads a file as it was committed (the registry, promotion, `lockstep serve
--stage`, `lockstep reproduce`, the PR report) goes through here, with gitpython. Files that
DVC tracks (the model, data) are not in Git: read those through ``dvc.api`` at the commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import LockstepError


def open_repo(path: str | Path = ".") -> Any:
    """The Git repository holding ``path`` (a parent folder counts)."""
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise LockstepError(f"{path} is not inside a Git repository") from exc


def read_at(repo: Any, commit: str, path: str) -> bytes | None:
    """The bytes of a Git-tracked file at ``commit``, or None when it is not there."""
    try:
        blob = repo.commit(commit).tree / path
    except KeyError:
        return None
    return blob.data_stream.read()


def json_at(repo: Any, commit: str, path: str) -> Any:
    """A committed JSON file, parsed; None when the commit does not hold it."""
    data = read_at(repo, commit, path)
    if data is None:
        return None
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise LockstepError(f"{path} at {commit[:12]} is not valid JSON: {exc}") from exc


def yaml_at(repo: Any, commit: str, path: str) -> dict[str, Any] | None:
    """A committed YAML file, parsed (an empty file is {}); None when it is not there."""
    import yaml

    data = read_at(repo, commit, path)
    return None if data is None else (yaml.safe_load(data) or {})
