"""Reading params.yaml: each stage reads only its own sections into frozen dataclasses.

Unknown keys are rejected with a message naming the key, so a typo in conf/ fails loudly instead
of silently falling back to a default. Each params dataclass names its section in a ``SECTION``
class attribute, so ``read_section(TrainParams, params)`` reads ``train``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import LockstepError
from .paths import PARAMS_FILE

T = TypeVar("T")


def load_params(path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise LockstepError(f"{path} not found: run `lockstep params` to compose it from conf/")
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LockstepError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(params, dict):
        raise LockstepError(f"{path} must hold a mapping of sections, got {type(params).__name__}")
    return params


def section(params: dict[str, Any], name: str, path: str | Path = PARAMS_FILE) -> dict[str, Any]:
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
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise LockstepError(
            f"{where}: unknown key '{unknown[0]}' (allowed: {', '.join(sorted(fields))})"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, field in fields.items():
        if name in mapping:
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
