"""The registry's events: GTO-format annotated Git tags replayed into versions and stages.

Tags (the format GTO, `dvc artifacts` and DVC Studio read):

- ``<artifact>@vX.Y.Z`` registers version vX.Y.Z at the tagged commit;
- ``<artifact>#<stage>#<N>`` assigns the stage to the version at the tagged commit;
- ``<artifact>#<stage>!#<N>`` unassigns it. N is one counter per artifact.

Events are ordered by tagger time (whole seconds) and ties are broken by the counter, never by
sorting tag names as text. A stage's current version is, as in GTO, the greatest version whose
latest event in that stage is an assignment. Only annotated tags count (GTO ignores lightweight
ones): their tagger time and message (the promotion decision) travel with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LockstepError
from ..gitrepo import open_repo, yaml_at
from ..paths import PARAMS_FILE

REGISTER, DEREGISTER, ASSIGN, UNASSIGN = "register", "deregister", "assign", "unassign"
_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
TAG_RE = re.compile(
    rf"^(?P<artifact>{_NAME})(?:@(?P<version>v\d+\.\d+\.\d+)(?P<dereg>!?)"
    rf"|#(?P<stage>{_NAME})(?P<unassign>!?))(?:#(?P<counter>\d+))?$"
)
SEMVER_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Event:
    """One registry tag: what it does, where it points and when it was made."""

    tag: str
    artifact: str
    action: str
    commit: str = ""
    time: int = 0
    message: str = ""
    version: str | None = None
    stage: str | None = None
    counter: int | None = None

    def order(self) -> tuple[int, int, int, str]:
        """Tagger time, then registrations before stage events, then the counter."""
        stage_event = int(self.action in (ASSIGN, UNASSIGN))
        return (self.time, stage_event, self.counter or 0, self.tag)


def parse_tag(name: str) -> Event | None:
    """The registry meaning of a tag name, or None when it is not a registry tag."""
    match = TAG_RE.match(name)
    if not match:
        return None
    counter = int(match["counter"]) if match["counter"] else None
    if match["version"]:
        action = DEREGISTER if match["dereg"] else REGISTER
        return Event(name, match["artifact"], action, version=match["version"], counter=counter)
    action = UNASSIGN if match["unassign"] else ASSIGN
    return Event(name, match["artifact"], action, stage=match["stage"], counter=counter)


def semver(version: str) -> tuple[int, int, int]:
    match = SEMVER_RE.match(version)
    if not match:
        raise LockstepError(f"'{version}' is not a version of the form vX.Y.Z")
    return (int(match[1]), int(match[2]), int(match[3]))


def bump(latest: str | None, level: str) -> str:
    """The next version after ``latest`` for a 'major', 'minor' or 'patch' change."""
    if latest is None:
        return "v0.1.0"
    major, minor, patch = semver(latest)
    if level == "major":
        return f"v{major + 1}.0.0"
    if level == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


@dataclass
class Version:
    version: str
    commit: str
    time: int
    tag: str
    message: str = ""
    active: bool = True


@dataclass
class Registry:
    """Versions and stage assignments of one artifact, replayed from its tags in order."""

    artifact: str
    versions: dict[str, Version] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    # (version, stage) -> latest action; stage -> versions that held it, oldest first
    state: dict[tuple[str, str], str] = field(default_factory=dict)
    holders: dict[str, list[str]] = field(default_factory=dict)

    def at_commit(self, commit: str) -> Version | None:
        return next((v for v in self.versions.values() if v.commit == commit), None)

    def stages(self) -> list[str]:
        return sorted({stage for _, stage in self.state})

    def current(self, stage: str) -> Version | None:
        """The greatest active version whose latest event in ``stage`` is an assignment."""
        active = [
            v
            for (v, s), action in self.state.items()
            if s == stage and action == ASSIGN and self.versions[v].active
        ]
        return self.versions[max(active, key=semver)] if active else None

    def stages_of(self, version: str) -> list[str]:
        return [s for s in self.stages() if (c := self.current(s)) and c.version == version]

    def previous(self, stage: str) -> Version | None:
        """The version that held ``stage`` before the current one (rolled-back ones skipped)."""
        current = self.current(stage)
        earlier = [v for v in self.holders.get(stage, []) if not current or v != current.version]
        return self.versions[earlier[-1]] if earlier else None

    def latest(self) -> str | None:
        return max(self.versions, key=semver) if self.versions else None

    def apply(self, event: Event) -> None:
        self.events.append(event)
        if event.action == REGISTER:
            self._register(event)
        elif event.action == DEREGISTER and event.version in self.versions:
            self.versions[event.version].active = False
        elif event.action in (ASSIGN, UNASSIGN):
            self._stage_event(event)

    def _register(self, event: Event) -> None:
        version = str(event.version)
        other = self.at_commit(event.commit)
        if other and other.version != version:
            raise LockstepError(
                f"two versions on one commit: {other.tag} and {event.tag} both tag "
                f"{event.commit[:12]}; GTO cannot tell them apart. Delete the wrong tag "
                f"(`git tag -d {event.tag}` and `git push --delete origin {event.tag}`)"
            )
        if version in self.versions and self.versions[version].commit != event.commit:
            raise LockstepError(f"{event.tag}: {version} is already registered at another commit")
        self.versions.setdefault(
            version, Version(version, event.commit, event.time, event.tag, event.message)
        )

    def _stage_event(self, event: Event) -> None:
        found = self.at_commit(event.commit)
        if found is None:
            raise LockstepError(
                f"{event.tag} points at {event.commit[:12]}, which has no registered version "
                f"of {self.artifact}: register one there (`{self.artifact}@vX.Y.Z`) first"
            )
        stage = str(event.stage)
        self.state[(found.version, stage)] = event.action
        held = self.holders.setdefault(stage, [])
        if event.action == ASSIGN and found.version in held:
            del held[held.index(found.version) + 1 :]  # a rollback: later holders drop out
        elif event.action == ASSIGN:
            held.append(found.version)
        elif held and held[-1] == found.version:
            held.pop()  # unassigning the newest holder hands the stage back


def build(events: list[Event], artifact: str) -> Registry:
    """Replay ``artifact``'s events in (time, kind, counter) order into a Registry."""
    registry = Registry(artifact)
    for event in sorted((e for e in events if e.artifact == artifact), key=Event.order):
        registry.apply(event)
    return registry


def rows(registry: Registry) -> list[dict]:
    """One row per version, newest first, with the stages it currently holds."""
    ordered = sorted(registry.versions.values(), key=lambda v: semver(v.version), reverse=True)
    return [
        {
            "version": v.version,
            "commit": v.commit,
            "stages": registry.stages_of(v.version),
            "created_at": v.time,
            "tag": v.tag,
            "active": v.active,
        }
        for v in ordered
    ]


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


def default_artifact(repo: Any) -> str:
    params = yaml_at(repo, repo.head.commit.hexsha, PARAMS_FILE) or {}
    name = (params.get("promote") or {}).get("artifact")
    if not name:
        raise LockstepError("params.yaml has no promote.artifact: pass --artifact NAME")
    return str(name)


def load_registry(path: str | Path = ".", artifact: str | None = None) -> Registry:
    repo = open_repo(path)
    return build(read_events(repo), artifact or default_artifact(repo))
