"""What `lockstep serve` serves: model sources, the loaded models, and the canary split.

A model source (a registry stage, or a folder written by `lockstep model get`) loads into a
``Loaded``: the fitted pipeline, the data contract and threshold it was evaluated with, and a
``Scorer`` for it. ``State`` holds the primary and optional canary model and swaps both in one
assignment on reload, so a request sees either the old pair or the new one. ``route`` picks the
canary for a fixed share of requests by a keyed hash of the records' ids (of the body without
them); ``label`` names the model that scored.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LockstepError
from ..io import read_json
from ..paths import METRICS_FILE, PARAMS_FILE


@dataclass
class Loaded:
    """One servable model and what scoring it needs."""

    model: Any
    data: Any  # DataConfig
    threshold: float
    info: dict[str, Any]  # name, version, stage, commit, metrics
    schema: Any = None
    key: bytes | None = None  # pseudonymization key when records arrive with raw ids
    scorer: Any = None  # scoring.Scorer around ``model``

    def __post_init__(self) -> None:
        from ..contract.schema import build_schema
        from .scoring import Scorer

        self.schema = build_schema(self.data).remove_columns([self.data.target])
        self.scorer = Scorer(self.model)


def _contract(params: dict[str, Any], where: str) -> tuple[Any, float]:
    from ..config import read_section, section, threshold
    from ..contract.schema import DataConfig

    data = read_section(DataConfig, params, where)
    return data, threshold(section(params, "evaluate", where))


@dataclass
class DirSource:
    """A folder holding model.skops (+ version.json, metrics.json); contract from params.yaml."""

    path: str
    params: str = PARAMS_FILE

    def describe(self) -> str:
        return f"{self.path}/"

    def check(self) -> None:
        """Fail fast, before the server starts, when there is nothing to load."""
        for path in (Path(self.path) / "model.skops", Path(self.params)):
            if not path.is_file():
                raise LockstepError(f"{path} not found: nothing to serve")

    def data(self) -> Any:
        """The data contract the model is served with (DataConfig)."""
        from ..config import load_params

        return _contract(load_params(self.params), self.params)[0]

    def load(self) -> Loaded:
        from ..config import load_params
        from ..modelfile import load_model

        folder = Path(self.path)
        version = read_json(folder / "version.json") or {}
        metrics = read_json(folder / "metrics.json") or version.get("metrics")
        model = load_model(str(folder / "model.skops"))
        data, threshold = _contract(load_params(self.params), self.params)
        info = {
            "name": version.get("artifact", folder.name),
            "version": version.get("version", "unregistered"),
            "stage": ", ".join(version.get("stages", [])) or None,
            "commit": version.get("commit"),
            "metrics": metrics,
        }
        return Loaded(model, data, threshold, info)


@dataclass
class StageSource:
    """The registry's current version in ``stage``, read through model_get at its commit."""

    stage: str
    artifact: str | None = None
    repo: str = "."
    _cache: dict[str, Loaded] = field(default_factory=dict, repr=False)

    def describe(self) -> str:
        return f"stage {self.stage}"

    def _resolve(self) -> tuple[Any, Any, Any]:
        """(repo, registry, version now in the stage); raises when the stage holds none."""
        from ..gitrepo import open_repo
        from ..registry.events import build, default_artifact, read_events
        from ..registry.fetch import resolve

        repo = open_repo(self.repo)
        registry = build(read_events(repo), self.artifact or default_artifact(repo))
        return repo, registry, resolve(registry, self.stage, None)

    def check(self) -> None:
        """Fail fast, before the server starts, when the stage holds no version."""
        self._resolve()

    def data(self) -> Any:
        """The data contract of the version now in the stage (DataConfig)."""
        from ..gitrepo import yaml_at

        repo, _, found = self._resolve()
        params = yaml_at(repo, found.commit, PARAMS_FILE)
        where = f"params.yaml at {found.commit[:12]}"
        return _contract(params or {}, where)[0]

    def load(self) -> Loaded:
        from ..gitrepo import json_at, yaml_at
        from ..modelfile import load_model
        from ..registry.fetch import materialise

        repo, registry, found = self._resolve()
        if found.commit in self._cache:  # same version still assigned: keep the loaded one
            return self._cache[found.commit]
        with tempfile.TemporaryDirectory(prefix="lockstep-serve-") as tmp:
            materialise(repo, registry, found, Path(tmp))
            model = load_model(str(Path(tmp) / "model.skops"))
        params = yaml_at(repo, found.commit, PARAMS_FILE)
        if params is None:
            raise LockstepError(f"no params.yaml at {found.commit[:12]}: no data contract")
        data, threshold = _contract(params, f"params.yaml at {found.commit[:12]}")
        info = {
            "name": registry.artifact,
            "version": found.version,
            "stage": self.stage,
            "commit": found.commit,
            "metrics": json_at(repo, found.commit, METRICS_FILE),
        }
        self._cache = {found.commit: Loaded(model, data, threshold, info)}
        return self._cache[found.commit]


class State:
    """The models being served; ``current`` is swapped in one assignment, never edited."""

    def __init__(self, primary: Any, canary: Any, fraction: float, pseudonymized: bool) -> None:
        self.primary, self.canary, self.fraction = primary, canary, fraction
        self.pseudonymized = pseudonymized
        self.current: tuple[Loaded, Loaded | None] | None = None
        self.error: str | None = None  # why the last load failed (None after one succeeds)
        self.last_reload: dict[str, Any] | None = None  # at, trigger, ok, reason
        self._lock = threading.Lock()

    def _prepare(self, loaded: Loaded) -> Loaded:
        from ..contract.pseudonym import pseudonym_key

        if not self.pseudonymized and loaded.data.pseudonymize.columns:
            loaded.key = pseudonym_key(loaded.data.pseudonymize)
        return loaded

    def reload(self, trigger: str = "http") -> tuple[Loaded, Loaded | None]:
        """Load, probe and swap in the models; ``last_reload`` records the outcome either way."""
        from datetime import UTC, datetime

        from .probe import probe

        with self._lock:
            at = datetime.now(UTC).isoformat(timespec="seconds")
            try:
                prod = self._prepare(self.primary.load())
                canary = self._prepare(self.canary.load()) if self.canary else None
                for loaded in (prod, canary):
                    if loaded is not None:
                        probe(loaded)
            except Exception as exc:
                self.error = (
                    exc.message
                    if isinstance(exc, LockstepError)
                    else (f"{type(exc).__name__}: {exc}")
                )
                self.last_reload = {"at": at, "trigger": trigger, "ok": False, "reason": self.error}
                raise LockstepError(self.error) from exc
            self.current, self.error = (prod, canary), None
            self.last_reload = {"at": at, "trigger": trigger, "ok": True, "reason": None}
            return self.current


def label(loaded: Loaded, canary: bool) -> str:
    """What /predict, the log and the metrics call the model that scored: "canary", or the stage
    the primary model came from ("unstaged" for a folder whose version.json names none)."""
    return "canary" if canary else (loaded.info.get("stage") or "unstaged")


def route(
    records: list[Any], body: bytes, id_column: str | None, fraction: float, seed: int
) -> bool:
    """True when this request goes to the canary: a keyed hash, uniform in [0, 1), of the
    records' ids, so one customer always meets the same model however the body is written
    (spacing, key order); of the body when a record has no usable id (or the contract no id)."""
    if fraction <= 0:
        return False
    key = _ids(records, id_column)
    digest = hashlib.blake2b(body if key is None else key, digest_size=8, key=str(seed).encode())
    return int.from_bytes(digest.digest(), "big") / 2**64 < fraction


def _ids(records: list[Any], id_column: str | None) -> bytes | None:
    """The records' ids (sorted, as text), or None when any record has none to hash."""
    if id_column is None:
        return None
    ids = [r.get(id_column) if isinstance(r, dict) else None for r in records]
    if not all(isinstance(i, str | int) and not isinstance(i, bool) for i in ids):
        return None
    return "\x1f".join(sorted(str(i) for i in ids)).encode("utf-8", "surrogatepass")
