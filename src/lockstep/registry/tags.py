"""Git side of the model registry: read annotated tags, read files at a commit, write tags.

Only annotated tags count (GTO ignores lightweight ones). Tags are written with gitpython as
annotated tags, so the tagger time and the message (the promotion decision) travel with them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ..errors import LockstepError
from .events import Event, Registry, build, parse_tag, rows


def open_repo(path: str | Path = ".") -> Any:
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise LockstepError(f"{path} is not inside a Git repository") from exc


def read_events(repo: Any) -> list[Event]:
    """Every annotated registry tag in ``repo`` as an Event (commit, tagger time, message)."""
    events = []
    for ref in repo.tags:
        parsed = parse_tag(ref.name)
        tag = ref.tag
        if parsed is None or tag is None:
            continue
        events.append(
            Event(
                tag=ref.name,
                artifact=parsed.artifact,
                action=parsed.action,
                commit=ref.commit.hexsha,
                time=int(tag.tagged_date),
                message=tag.message.strip(),
                version=parsed.version,
                stage=parsed.stage,
                counter=parsed.counter,
            )
        )
    return events


def read_at(repo: Any, commit: str, path: str) -> bytes | None:
    """The bytes of a Git-tracked file at ``commit``, or None when it is not there."""
    try:
        blob = repo.commit(commit).tree / path
    except KeyError:
        return None
    return blob.data_stream.read()


def json_at(repo: Any, commit: str, path: str) -> dict[str, Any] | None:
    data = read_at(repo, commit, path)
    return None if data is None else json.loads(data)


def yaml_at(repo: Any, commit: str, path: str) -> dict[str, Any] | None:
    data = read_at(repo, commit, path)
    return None if data is None else (yaml.safe_load(data) or {})


def default_artifact(repo: Any) -> str:
    params = yaml_at(repo, repo.head.commit.hexsha, "params.yaml") or {}
    name = (params.get("promote") or {}).get("artifact")
    if not name:
        raise LockstepError("params.yaml has no promote.artifact: pass --artifact NAME")
    return str(name)


def load_registry(path: str | Path = ".", artifact: str | None = None) -> Registry:
    repo = open_repo(path)
    return build(read_events(repo), artifact or default_artifact(repo))


def create_tag(repo: Any, name: str, commit: str, message: str) -> None:
    """An annotated tag; refuses to move or overwrite an existing one."""
    if name in {t.name for t in repo.tags}:
        raise LockstepError(f"tag {name} already exists; registry history is never rewritten")
    repo.create_tag(name, ref=commit, message=message)


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


def render(registry: Registry, as_json: bool) -> str:
    """The registry as JSON or as a table (versions newest first, then current stages)."""
    table = rows(registry)
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
    data = [[r["version"], _stages(r), r["commit"][:7], _when(r["created_at"])] for r in table]
    out = tabulate(data, headers=["version", "stages", "commit", "registered (UTC)"])
    summary = ", ".join(f"{s}: {v}" for s, v in sorted(stages.items())) or "no stage assigned"
    return f"{registry.artifact} ({summary})\n{out}\n"


def next_counter(repo: Any, artifact: str) -> int:
    """GTO's counter: one more than the highest on any of the artifact's tags (lightweight too)."""
    counters = [
        e.counter or 0 for ref in repo.tags if (e := parse_tag(ref.name)) and e.artifact == artifact
    ]
    return max(counters, default=0) + 1
