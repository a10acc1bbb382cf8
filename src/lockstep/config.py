"""Reading params.yaml: each stage reads only its own sections into frozen dataclasses.

Unknown keys are rejected with a message naming the key, so a typo in conf/ fails loudly instead
of silently falling back to a default. Each params dataclass names its section in a ``SECTION``
class attribute, so ``read_section(TrainParams, params)`` reads ``train``.

A stage loads only the keys it declares under ``params:`` in dvc.yaml (``load_params(path, keys)``
with the stage's ``PARAMS``), so DVC re-runs it exactly when a value it reads changes: a dataclass
field outside them is ``Undeclared``, and using it raises an error that names the key. The file is
parsed once per process (the numeric pin and the stage share the parse).
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import LockstepError
from .paths import PARAMS_FILE

T = TypeVar("T")


_PARSED: dict[tuple[str, int, int], Any] = {}


def parse_params(path: str | Path = PARAMS_FILE) -> Any:
    """The YAML in ``path``, parsed once per process (per path and modification)."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        _PARSED.clear()
        _PARSED[key] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return copy.deepcopy(_PARSED[key])


def load_params(
    path: str | Path = PARAMS_FILE, keys: Iterable[str] | None = None
) -> dict[str, Any]:
    """The params in ``path``; with ``keys`` (dotted, as in dvc.yaml) only those: see Declared."""
    path = Path(path)
    if not path.exists():
        raise LockstepError(f"{path} not found: run `lockstep params` to compose it from conf/")
    try:
        params = parse_params(path) or {}
    except yaml.YAMLError as exc:
        raise LockstepError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(params, dict):
        raise LockstepError(f"{path} must hold a mapping of sections, got {type(params).__name__}")
    return params if keys is None else declared_only(params, keys)


class Declared(dict):
    """A mapping cut down to the keys a stage declares; ``keys`` names them (``*`` = all) and
    ``present`` every key of the whole mapping, so an unknown (misspelt) key is still refused."""

    def __init__(self, values: dict[str, Any], keys: dict[str, Any], present: set[str]) -> None:
        super().__init__(values)
        self.keys_declared = keys
        self.present = present


def declared_only(params: dict[str, Any], keys: Iterable[str]) -> Declared:
    """``params`` with only the dotted ``keys``; a declared key the file lacks stays absent."""
    tree: dict[str, Any] = {}
    for key in keys:
        node = tree
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = "*"
    return _cut(params, tree)


def _cut(values: dict[str, Any], tree: dict[str, Any]) -> Declared:
    out = {}
    for name, sub in tree.items():
        if name in values:
            value = values[name]
            out[name] = value if sub == "*" or not isinstance(value, dict) else _cut(value, sub)
    return Declared(out, tree, set(values))


class Undeclared:
    """The value of a params key the stage does not declare in dvc.yaml: any use of it fails."""

    def __init__(self, key: str, fix: str | None = None) -> None:
        self.key = key
        self.fix = fix  # how to declare it, when not by `params:` (a file the stage depends on)

    def fail(self, *args: Any, **kwargs: Any) -> Any:
        raise LockstepError(
            f"'{self.key}' is read but not declared: "
            + (
                self.fix
                or "add it to the stage's `params:` in dvc.yaml and to the stage's PARAMS, so "
                "DVC re-runs the stage when it changes"
            )
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and hasattr probe these
            raise AttributeError(name)
        return self.fail()

    __getitem__ = __iter__ = __contains__ = __len__ = __bool__ = __hash__ = fail
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = fail  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = fail
    __str__ = __format__ = __float__ = __int__ = __index__ = __neg__ = __round__ = fail

    def __repr__(self) -> str:
        return f"<undeclared {self.key}>"


def is_declared(*values: Any) -> bool:
    """True when none of ``values`` is Undeclared (for checks that need them all)."""
    return not any(isinstance(v, Undeclared) for v in values)


DEFAULT_THRESHOLD = 0.5


def check_threshold(value: Any, where: str = "evaluate.threshold") -> float:
    """The decision threshold for the positive label: a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise LockstepError(f"{where} must be between 0 and 1, got {value!r}")
    return float(value)


def threshold(evaluate: dict[str, Any]) -> float:
    """The threshold the ``evaluate`` section holds (what evaluation and serving score at)."""
    return check_threshold(evaluate.get("threshold", DEFAULT_THRESHOLD))


def section(params: dict[str, Any], name: str, path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    if isinstance(params, Declared) and name not in params.keys_declared:
        Undeclared(name).fail()
    if name not in params:
        raise LockstepError(
            f"{path} has no '{name}' section: add conf/ config for it and run `lockstep params`"
        )
    value = params[name]
    if not isinstance(value, dict):
        raise LockstepError(f"{path}: section '{name}' must be a mapping")
    return value


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return build(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, where) if len(args) == 1 else value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise LockstepError(f"{where} must be a list, got {value!r}")
        (item,) = typing.get_args(tp)[:1]
        return tuple(_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise LockstepError(f"{where} must be a mapping, got {value!r}")
        _, item = typing.get_args(tp)
        return {k: _convert(item, v, f"{where}.{k}") for k, v in value.items()}
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float, str, bool) and not isinstance(value, tp):
        raise LockstepError(f"{where} must be {tp.__name__}, got {value!r}")
    return value


def build(cls: type[T], mapping: Any, where: str) -> T:
    """Build dataclass ``cls`` from ``mapping``; ``where`` names the place for error messages."""
    if not isinstance(mapping, dict):
        raise LockstepError(f"{where} must be a mapping, got {mapping!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    keys = mapping.present if isinstance(mapping, Declared) else set(mapping)
    unknown = sorted(keys - set(fields))
    if unknown:
        raise LockstepError(
            f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(fields))})"
        )
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    declared = mapping.keys_declared if isinstance(mapping, Declared) else None
    for name, field in fields.items():
        if declared is not None and name not in declared:
            kwargs[name] = Undeclared(f"{where.rsplit(':', 1)[-1]}.{name}")
        elif name in mapping:
            kwargs[name] = _convert(hints[name], mapping[name], f"{where}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise LockstepError(f"{where}: missing required key '{name}'")
    return cls(**kwargs)


def read_section(cls: type[T], params: dict[str, Any], path: str | Path = PARAMS_FILE) -> T:
    """The section a params dataclass names in its ``SECTION`` class attribute, built into it."""
    name: str = cls.SECTION  # type: ignore[attr-defined]
    return build(cls, section(params, name, path), name)


def load_section(cls: type[T], name: str, path: str | Path = PARAMS_FILE) -> T:
    return build(cls, section(load_params(path), name, path), f"{path}:{name}")
