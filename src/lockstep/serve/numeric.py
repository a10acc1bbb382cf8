"""The numeric branch of a fitted pipeline (imputers, then a standard scaler) as numpy calls.

Called on a few rows, a SimpleImputer and a StandardScaler spend most of their time on input
checks (dtype, feature names, dataframe probes) before a few array operations. ``build`` returns
those operations for a branch made only of a SimpleImputer for nan with all its statistics, and
StandardScaler steps: the same operations on the same float64 values in the same order as their
``transform`` (scikit-learn 1.9: missing entries replaced by the column's statistic; ``X -=
mean_``, then ``X /= scale_``), so the numbers are the same to the bit. Anything else, and any
matrix that is not float64 with the fitted number of columns, runs the steps themselves. The
Scorer's first batch is compared with the Pipeline as ever.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Operation = Callable[[np.ndarray], None]  # changes a float64 matrix in place


def build(steps: list[Any]) -> Callable[[np.ndarray], np.ndarray | None] | None:
    """``matrix -> branch output`` (None for a matrix it does not take), or None for steps it
    does not know."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    operations: list[Operation] = []
    widths = set()
    for step in steps:
        if type(step) is SimpleImputer:
            found = _imputer(step)
        elif type(step) is StandardScaler:
            found = _scaler(step)
        else:
            found = None
        if found is None:
            return None
        operations.append(found[0])
        widths.add(found[1])
    if not operations or len(widths) != 1:
        return None
    width = widths.pop()

    def run(matrix: np.ndarray) -> np.ndarray | None:
        if matrix.dtype != np.float64 or matrix.ndim != 2 or matrix.shape[1] != width:
            return None
        out = matrix.copy()  # the steps' own input checks copy it too
        for operation in operations:
            operation(out)
        return out

    return run


def _imputer(step: Any) -> tuple[Operation, int] | None:
    missing = step.missing_values
    statistics = step.statistics_
    nan_missing = isinstance(missing, float) and math.isnan(missing)
    if not nan_missing or step.add_indicator or statistics.dtype != np.float64:
        return None
    if np.isnan(statistics).any():  # a column without values: dropped or kept by the steps
        return None

    def impute(out: np.ndarray) -> None:
        np.copyto(out, statistics, where=np.isnan(out))

    return impute, len(statistics)


def _scaler(step: Any) -> tuple[Operation, int] | None:
    mean = step.mean_ if step.with_mean else None
    scale = step.scale_ if step.with_std else None
    if any(v is not None and v.dtype != np.float64 for v in (mean, scale)):
        return None

    def standardize(out: np.ndarray) -> None:
        if mean is not None:
            out -= mean
        if scale is not None:
            out /= scale

    return standardize, int(step.n_features_in_)
