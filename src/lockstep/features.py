"""Row-wise, stateless derived features, the same code at training and at scoring time.

Each spec in ``featurize.derived`` is a mapping with a ``name`` and a ``kind``:

- ``bucket``: ``column`` cut at ``edges`` into labelled bands (categorical; outside the edges: null)
- ``ratio``: ``numerator`` / ``denominator`` (numeric; division by zero gives null)
- ``count_equal``: how many of ``columns`` equal ``value`` (numeric)
- ``log1p``: the natural log of 1 + ``column`` (numeric; a value at or below -1 gives null), for a
  skewed count or amount whose effect flattens out (linear models see it as one more column)

Specs run in order, so a later spec may use an earlier one's output. ``DerivedFeatures`` wraps
``derive`` as a scikit-learn transformer so the saved model scores validated raw rows; scikit-learn
is imported the first time that class is looked up, so ``lockstep featurize`` never loads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from threading import Lock
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .errors import LockstepError

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

KINDS = {
    "bucket": ("column", "edges"),
    "ratio": ("numerator", "denominator"),
    "count_equal": ("columns", "value"),
    "log1p": ("column",),
}
CATEGORICAL_KINDS = {"bucket"}
_DEFINING = Lock()


@dataclass(frozen=True)
class FeaturizeParams:
    """The ``featurize`` section: the derived-feature specs, in order."""

    SECTION: ClassVar[str] = "featurize"
    derived: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def check_specs(specs: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Fail early, naming the spec, when a spec is malformed or uses an unknown column."""
    known = set(columns)
    for i, spec in enumerate(specs):
        where = f"featurize.derived[{i}]"
        kind = spec.get("kind")
        if "name" not in spec or kind not in KINDS:
            raise LockstepError(
                f"{where}: needs a 'name' and a 'kind' in {', '.join(KINDS)} (got kind {kind!r})"
            )
        if spec["name"] in columns:
            raise LockstepError(
                f"{where}: name '{spec['name']}' is already a column; pick another name"
            )
        allowed = {"name", "kind", *KINDS[kind]}
        extra = sorted(set(spec) - allowed)
        missing = sorted(set(KINDS[kind]) - set(spec))
        if extra or missing:
            raise LockstepError(
                f"{where} ({spec['name']}): kind '{kind}' takes {', '.join(sorted(allowed))}; "
                f"{'unknown ' + repr(extra[0]) if extra else 'missing ' + repr(missing[0])}"
            )
        used = (
            spec["columns"]
            if kind == "count_equal"
            else [spec[k] for k in KINDS[kind] if k not in ("edges",)]
        )
        for column in used:
            if column not in known:
                raise LockstepError(
                    f"{where} ({spec['name']}): column '{column}' is not in the data"
                )
        if kind == "bucket" and list(spec["edges"]) != sorted(set(spec["edges"])):
            raise LockstepError(f"{where} ({spec['name']}): edges must be strictly increasing")
        known.add(spec["name"])


def _numbers(values: Any) -> np.ndarray:
    """float64 values (nan when missing or not a number), from a Series or an array."""
    if isinstance(values, pd.Series):
        values = pd.to_numeric(values, errors="coerce").to_numpy("float64", na_value=np.nan)
    elif values.dtype.kind not in "biuf":
        values = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
            "float64", na_value=np.nan
        )
    return np.asarray(values, dtype="float64")


def _objects(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.to_numpy(object, na_value=np.nan)
    return np.asarray(values, dtype=object)


def _bucket(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Band labels ("lo-hi", right edge included, the first band also its left edge) or nan."""
    bounds = np.asarray(edges, dtype="float64")
    labels = np.array([f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)], dtype=object)
    band = np.searchsorted(bounds, values, side="left")
    band[values == bounds[0]] = 1
    inside = (band >= 1) & (band < len(bounds)) & ~np.isnan(values)
    out = np.full(len(values), np.nan, dtype=object)
    out[inside] = labels[band[inside] - 1]
    return out


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / np.where(denominator == 0, np.nan, denominator)
    out[np.isinf(out)] = np.nan
    return out


def _log1p(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log1p(np.where(values > -1, values, np.nan))
    return out


def derive_columns(columns: Mapping[str, Any], specs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The derived columns, in spec order, from input columns (Series or 1-d arrays).

    bucket gives an object array of labels, ratio and log1p float64, count_equal int64; nan marks a
    missing value. Training (``derive``) and serving both call this, so they compute the same thing.
    """
    known = dict(columns)
    out: dict[str, Any] = {}
    for spec in specs:
        kind = spec["kind"]
        if kind == "bucket":
            value = _bucket(_numbers(known[spec["column"]]), spec["edges"])
        elif kind == "ratio":
            value = _ratio(_numbers(known[spec["numerator"]]), _numbers(known[spec["denominator"]]))
        elif kind == "count_equal":
            hits = [_objects(known[c]) == spec["value"] for c in spec["columns"]]
            value = np.sum(hits, axis=0, dtype="int64")
        elif kind == "log1p":
            value = _log1p(_numbers(known[spec["column"]]))
        else:
            raise LockstepError(f"derived feature {spec.get('name')!r}: unknown kind {kind!r}")
        known[spec["name"]] = out[spec["name"]] = value
    return out


def derive(frame: pd.DataFrame, specs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Return ``frame`` with one new (or recomputed) column per spec; the input is not changed."""
    out = frame.copy(deep=False)  # copy-on-write: new columns go to ``out`` only, no data copied
    names = set(frame.columns)
    used = {c for s in specs for c in spec_inputs(s) if c in names}
    for name, value in derive_columns({c: frame[c] for c in used}, specs).items():
        dtype = "str" if value.dtype == object else value.dtype
        out[name] = pd.Series(value, index=frame.index, dtype=dtype)
    return out


def spec_inputs(spec: dict[str, Any]) -> list[str]:
    """The columns a spec reads."""
    if spec.get("kind") == "count_equal":
        return list(spec.get("columns", []))
    return [spec[k] for k in ("column", "numerator", "denominator") if k in spec]


def derived_columns(specs: Sequence[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Names of derived (numeric, categorical) columns."""
    numeric = [s["name"] for s in specs if s["kind"] not in CATEGORICAL_KINDS]
    categorical = [s["name"] for s in specs if s["kind"] in CATEGORICAL_KINDS]
    return numeric, categorical


def _derived_features_class() -> type[BaseEstimator]:
    """Define ``DerivedFeatures`` (the import path saved models name: lockstep.features)."""
    from sklearn.base import BaseEstimator, TransformerMixin

    class DerivedFeatures(TransformerMixin, BaseEstimator):
        """Stateless transformer: ``derive`` with fixed specs. Nothing is learned in ``fit``."""

        def __init__(self, specs: list[dict[str, Any]] | None = None):
            self.specs = specs

        def fit(self, X: pd.DataFrame, y: Any = None) -> DerivedFeatures:
            return self

        def transform(self, X: pd.DataFrame) -> pd.DataFrame:
            out = derive(X, self.specs or [])
            # scikit-learn's imputers test missing values with ``x != x``, which pd.NA refuses
            # ("boolean value of NA is ambiguous"): nullable booleans go on as objects with nan.
            for name in out.columns:
                if isinstance(out[name].dtype, pd.BooleanDtype):
                    column = out[name].astype(object)
                    out[name] = column.where(column.notna(), np.nan)
            return out

        def __sklearn_is_fitted__(self) -> bool:
            return True

    DerivedFeatures.__module__ = __name__
    DerivedFeatures.__qualname__ = "DerivedFeatures"
    return DerivedFeatures


def __getattr__(name: str) -> Any:
    """``lockstep.features.DerivedFeatures``, defined (and scikit-learn imported) on first use."""
    if name == "DerivedFeatures":
        with _DEFINING:  # one class, even when threads look it up at once
            if "DerivedFeatures" not in globals():
                globals()["DerivedFeatures"] = _derived_features_class()
        return globals()["DerivedFeatures"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
