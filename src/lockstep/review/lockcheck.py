"""Is the committed dvc.lock the one CI reproduced? (`lockstep report/gate --check-lock REV`).

After `dvc repro` the working tree's dvc.lock records what the pipeline really produced. A pull
request that changed code, params or data without running `dvc repro` and committing dvc.lock
leaves the committed dvc.lock behind: a fresh clone would not match it. ``compare`` lists the
outputs whose hashes differ and the stages whose command, deps or params were locked differently;
``gate.require_fresh_lock`` (conf/gate/) makes the gate fail on a stale lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LockstepError

DVC_LOCK = "dvc.lock"
HASH_KEYS = ("md5", "etag", "checksum", "version_id")
FIX = "run `dvc repro` and commit dvc.lock"


@dataclass(frozen=True)
class Freshness:
    """How the committed dvc.lock differs from the reproduced one (nothing: it is fresh)."""

    outputs: tuple[str, ...] = ()  # outputs whose hash differs, or that only one lock has
    stages: tuple[str, ...] = ()  # stages whose cmd, deps or params differ
    missing: bool = False  # no dvc.lock committed at all

    @property
    def stale(self) -> bool:
        return self.missing or bool(self.outputs or self.stages)

    def summary(self) -> str:
        """One line: 'fresh: ...' or 'stale: 3 outputs differ (...); run `dvc repro` ...'."""
        if self.missing:
            return f"stale: no dvc.lock is committed; {FIX}"
        if not self.stale:
            return "fresh: the committed dvc.lock matches the reproduced pipeline"
        parts = []
        if self.outputs:
            n = len(self.outputs)
            shown = ", ".join(f"`{p}`" for p in self.outputs[:5]) + (", …" if n > 5 else "")
            parts.append(f"{n} output{'s' * (n != 1)} differ{'s' * (n == 1)} ({shown})")
        if self.stages:
            names = ", ".join(f"`{s}`" for s in self.stages)
            parts.append(f"deps or params locked differently in {names}")
        return f"stale: {'; '.join(parts)}; {FIX}"


def _stages(lock: dict[str, Any] | None) -> dict[str, Any]:
    stages = (lock or {}).get("stages")
    return stages if isinstance(stages, dict) else {}


def out_hashes(lock: dict[str, Any] | None) -> dict[str, tuple]:
    """Output path -> its hash fields, over every stage of a parsed dvc.lock."""
    hashes = {}
    for entry in _stages(lock).values():
        for out in (entry or {}).get("outs") or []:
            hashes[out["path"]] = tuple(out.get(k) for k in HASH_KEYS)
    return hashes


def _inputs(entry: dict[str, Any] | None) -> tuple:
    entry = entry or {}
    deps = sorted((d["path"], *(d.get(k) for k in HASH_KEYS)) for d in entry.get("deps") or [])
    return entry.get("cmd"), deps, entry.get("params") or {}


def compare(committed: dict[str, Any] | None, reproduced: dict[str, Any]) -> Freshness:
    """What differs between the committed dvc.lock (None: not committed) and the reproduced one."""
    if committed is None:
        return Freshness(missing=True)
    old, new = out_hashes(committed), out_hashes(reproduced)
    outputs = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
    a, b = _stages(committed), _stages(reproduced)
    stages = sorted(s for s in a.keys() | b.keys() if _inputs(a.get(s)) != _inputs(b.get(s)))
    return Freshness(tuple(outputs), tuple(stages))


def parse(text: str, where: str) -> dict[str, Any]:
    """A dvc.lock's text, read as DVC reads it (YAML 1.2)."""
    from ruamel.yaml import YAML, YAMLError

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise LockstepError(f"{where} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise LockstepError(f"{where} is not a dvc.lock (no `stages` mapping)")
    return data


def check(rev: str, root: str = ".") -> Freshness:
    """Compare dvc.lock committed at ``rev`` with the working tree's (reproduced) dvc.lock."""
    import git

    from ..gitrepo import open_repo, read_at

    work = Path(root) / DVC_LOCK
    if not work.is_file():
        raise LockstepError(f"{work} does not exist: run `dvc repro` before checking the lock")
    repo = open_repo(root)
    path = work.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    try:
        data = read_at(repo, rev, path)
    except (git.BadName, ValueError) as exc:
        raise LockstepError(f"--check-lock: revision '{rev}' not found in this repository") from exc
    if data is None:
        return Freshness(missing=True)
    committed = parse(data.decode("utf-8"), f"{DVC_LOCK} at {rev}")
    return compare(committed, parse(work.read_text(encoding="utf-8"), str(work)))
