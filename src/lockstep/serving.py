"""Helpers for `lockstep serve`: where models come from, checking records, the prediction log.

A model source (a registry stage, or a folder written by `lockstep model get`) loads into a
``Loaded``: the fitted pipeline plus the data contract and threshold it was evaluated with.
Records are checked against that contract (the pandera schema from ``build_schema``, the target
left out) and every failure is reported by record index and field. Scored records go to a JSONL
log that rotates by size; appends and rotation hold one lock, so concurrent requests never
interleave lines.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LockstepError

SCALARS = (str, int, float, bool, type(None))


@dataclass
class Loaded:
    """One servable model and what scoring it needs."""

    model: Any
    data: Any  # DataConfig
    threshold: float
    info: dict[str, Any]  # name, version, stage, commit, metrics
    schema: Any = None
    key: bytes | None = None  # pseudonymization key when records arrive with raw ids

    def __post_init__(self) -> None:
        from .schema import build_schema

        self.schema = build_schema(self.data).remove_columns([self.data.target])


def _contract(params: dict[str, Any], where: str) -> tuple[Any, float]:
    from .config import build, section
    from .schema import DataConfig
    from .stages.evaluate import EvaluateParams

    data = build(DataConfig, section(params, "data", where), "data")
    threshold = build(EvaluateParams, section(params, "evaluate", where), "evaluate").threshold
    return data, threshold


@dataclass
class DirSource:
    """A folder holding model.skops (+ version.json, metrics.json); contract from params.yaml."""

    path: str
    params: str = "params.yaml"

    def describe(self) -> str:
        return f"{self.path}/"

    def check(self) -> None:
        """Fail fast, before the server starts, when there is nothing to load."""
        for path in (Path(self.path) / "model.skops", Path(self.params)):
            if not path.is_file():
                raise LockstepError(f"{path} not found: nothing to serve")

    def load(self) -> Loaded:
        from .config import load_params
        from .models import load_model

        folder = Path(self.path)
        version = _json(folder / "version.json") or {}
        metrics = _json(folder / "metrics.json") or version.get("metrics")
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
        from .model_get import resolve
        from .registry import build
        from .tags import default_artifact, open_repo, read_events

        repo = open_repo(self.repo)
        registry = build(read_events(repo), self.artifact or default_artifact(repo))
        return repo, registry, resolve(registry, self.stage, None)

    def check(self) -> None:
        """Fail fast, before the server starts, when the stage holds no version."""
        self._resolve()

    def load(self) -> Loaded:
        from .model_get import materialise
        from .models import load_model
        from .tags import json_at, yaml_at

        repo, registry, found = self._resolve()
        if found.commit in self._cache:  # same version still assigned: keep the loaded one
            return self._cache[found.commit]
        with tempfile.TemporaryDirectory(prefix="lockstep-serve-") as tmp:
            materialise(repo, registry, found, Path(tmp))
            model = load_model(str(Path(tmp) / "model.skops"))
        params = yaml_at(repo, found.commit, "params.yaml")
        if params is None:
            raise LockstepError(f"no params.yaml at {found.commit[:12]}: no data contract")
        data, threshold = _contract(params, f"params.yaml at {found.commit[:12]}")
        info = {
            "name": registry.artifact,
            "version": found.version,
            "stage": self.stage,
            "commit": found.commit,
            "metrics": json_at(repo, found.commit, "reports/metrics.json"),
        }
        self._cache = {found.commit: Loaded(model, data, threshold, info)}
        return self._cache[found.commit]


def _json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LockstepError(f"{path} is not valid JSON: {exc}") from exc


def route(body: bytes, fraction: float, seed: int) -> bool:
    """True when this request goes to the canary: a keyed hash of the body, uniform in [0, 1)."""
    if fraction <= 0:
        return False
    digest = hashlib.blake2b(body, digest_size=8, key=str(seed).encode()).digest()
    return int.from_bytes(digest, "big") / 2**64 < fraction


def _message(check: str, value: Any) -> str:
    if check.startswith("coerce_dtype"):
        return f"cannot be read as {check[len('coerce_dtype') :].strip(chr(39) + '()')}: {value!r}"
    if check == "not_nullable":
        return "must not be null"
    if check == "field_uniqueness":
        return f"duplicate value {value!r} in this batch"
    return f"fails {check}: {value!r}"


def _plain(value: Any, spec: Any) -> bool:
    """True when ``value`` already has the column's type and passes its checks as it is."""
    if value is None:
        return spec.nullable
    kind = spec.dtype
    if kind == "bool":
        ok = isinstance(value, bool)
    elif isinstance(value, bool) or kind == "str":
        ok = kind == "str" and isinstance(value, str)
    else:
        ok = (isinstance(value, int) and -(2**63) <= value < 2**63) or (
            kind == "float" and math.isfinite(value)
        )
    if not ok or (spec.allowed is not None and value not in spec.allowed):
        return False
    return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)


def _fast_frame(records: list[dict[str, Any]], loaded: Loaded, columns: list[str]) -> Any:
    """The frame the schema would return, when every value is plainly valid; else None.

    Only values that need no coercion are taken here (ints for int columns, finite numbers for
    float columns, text, booleans), so anything else goes through the pandera schema itself.
    """
    import pandas as pd

    from .schema import DTYPES

    specs = loaded.data.columns
    unique = [c for c in columns if specs[c].unique or c == loaded.data.id_column]
    for name in unique:
        if len({r[name] for r in records}) != len(records):
            return None
    if not all(_plain(r[c], specs[c]) for r in records for c in columns):
        return None
    dtypes = {c: DTYPES[specs[c].dtype] for c in columns}
    dtypes.update({c: "Int64" for c in columns if dtypes[c] == "int64" and specs[c].nullable})
    return pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=dtypes[c]) for c in columns})


def check_records(records: list[Any], loaded: Loaded) -> tuple[Any, list[dict[str, Any]]]:
    """(validated frame, []) or (None, errors); each error names the record, field and problem."""
    import pandas as pd
    import pandera.errors

    data = loaded.data
    expected = [c for c in data.columns if c != data.target]
    errors: list[dict[str, Any]] = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            errors.append({"record": i, "field": None, "message": "must be a JSON object"})
            continue
        for name in expected:
            if name not in record:
                errors.append({"record": i, "field": name, "message": "field required"})
        for name, value in record.items():
            if name not in data.columns and data.extra_columns == "fail":
                errors.append({"record": i, "field": name, "message": "not in the data contract"})
            elif not isinstance(value, SCALARS):
                errors.append({"record": i, "field": name, "message": "must be a scalar"})
            elif isinstance(value, float) and not math.isfinite(value):
                errors.append({"record": i, "field": name, "message": "must be a finite number"})
    if errors:
        return None, errors
    fast = _fast_frame(records, loaded, expected)
    frame = pd.DataFrame.from_records(records, columns=expected) if fast is None else fast
    if loaded.key is not None:
        from .stages.ingest import pseudonymize

        frame = pseudonymize(frame, data.pseudonymize.columns, loaded.key)
    if fast is not None:
        return frame, []
    try:
        return loaded.schema.validate(frame, lazy=True), []
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    uncoerced = {
        c
        for c, k in zip(cases["column"], cases["check"], strict=True)
        if str(k).startswith("coerce_dtype")
    }
    for column, index, check, value in zip(
        cases["column"], cases["index"], cases["check"], cases["failure_case"], strict=True
    ):
        check = str(check)
        if column in uncoerced and not check.startswith("coerce_dtype"):
            continue  # checks run on text that failed coercion: they repeat the same bad values
        record = None if pd.isna(index) else int(index)
        errors.append({"record": record, "field": column, "message": _message(check, value)})
    errors.sort(key=lambda e: (e["record"] is None, e["record"] or 0, str(e["field"])))
    return None, errors


class PredictionLog:
    """Append-only JSONL in ``folder``; predictions.jsonl → predictions.1.jsonl … by size."""

    def __init__(self, folder: str, max_bytes: int = 50_000_000, backups: int = 5) -> None:
        self.path = Path(folder) / "predictions.jsonl"
        self.max_bytes, self.backups = max_bytes, backups
        self._lock = threading.Lock()
        self._handle: Any = None

    def _rotated(self, n: int) -> Path:
        return self.path.with_name(f"predictions.{n}.jsonl")

    def write(self, rows: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in rows)
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            self._handle.write(text)
            self._handle.flush()
            if self._handle.tell() >= self.max_bytes:
                self._rotate()

    def _rotate(self) -> None:
        self._handle.close()
        self._handle = None
        for n in range(self.backups - 1, 0, -1):
            if self._rotated(n).exists():
                os.replace(self._rotated(n), self._rotated(n + 1))
        os.replace(self.path, self._rotated(1))

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
