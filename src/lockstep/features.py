"""Row-wise, stateless derived features, the same code at training and at scoring time.

Each spec in ``featurize.derived`` is a mapping with a ``name`` and a ``kind``:

- ``bucket``: ``column`` cut at ``edges`` into labelled bands (categorical; outside the edges: null)
- ``ratio``: ``numerator`` / ``denominator`` (numeric; division by zero gives null)
- ``count_equal``: how many of ``columns`` equal ``value`` (numeric)

Specs run in order, so a later spec may use an earlier one's output. ``DerivedFeatures`` wraps
``derive`` as a scikit-learn transformer so the saved model scores validated raw rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from .errors import LockstepError

KINDS = {
    "bucket": ("column", "edges"),
    "ratio": ("numerator", "denominator"),
    "count_equal": ("columns", "value"),
}
CATEGORICAL_KINDS = {"bucket"}


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


def _bucket(values: pd.Series, edges: Sequence[float]) -> pd.Series:
    labels = [f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)]
    cut = pd.cut(
        pd.to_numeric(values, errors="coerce"),
        bins=list(edges),
        labels=labels,
        include_lowest=True,
        right=True,
    )
    return cut.astype("str").where(cut.notna())


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    num = pd.to_numeric(numerator, errors="coerce").astype("float64")
    den = pd.to_numeric(denominator, errors="coerce").astype("float64")
    return (num / den.where(den != 0)).replace([np.inf, -np.inf], np.nan)


def derive(frame: pd.DataFrame, specs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Return ``frame`` with one new (or recomputed) column per spec; the input is not changed."""
    out = frame.copy()
    for spec in specs:
        kind = spec["kind"]
        if kind == "bucket":
            out[spec["name"]] = _bucket(out[spec["column"]], spec["edges"])
        elif kind == "ratio":
            out[spec["name"]] = _ratio(out[spec["numerator"]], out[spec["denominator"]])
        elif kind == "count_equal":
            out[spec["name"]] = (out[list(spec["columns"])] == spec["value"]).sum(axis=1)
        else:
            raise LockstepError(f"derived feature {spec.get('name')!r}: unknown kind {kind!r}")
    return out


def derived_columns(specs: Sequence[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Names of derived (numeric, categorical) columns."""
    numeric = [s["name"] for s in specs if s["kind"] not in CATEGORICAL_KINDS]
    categorical = [s["name"] for s in specs if s["kind"] in CATEGORICAL_KINDS]
    return numeric, categorical


class DerivedFeatures(TransformerMixin, BaseEstimator):
    """Stateless transformer: ``derive`` with fixed specs. Nothing is learned in ``fit``."""

    def __init__(self, specs: list[dict[str, Any]] | None = None):
        self.specs = specs

    def fit(self, X: pd.DataFrame, y: Any = None) -> DerivedFeatures:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return derive(X, self.specs or [])

    def __sklearn_is_fitted__(self) -> bool:
        return True
