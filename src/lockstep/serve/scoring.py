"""Score validated rows with a fitted lockstep pipeline, one step at a time on numpy arrays.

Called on a one-row DataFrame, the saved Pipeline (derived features → ColumnTransformer →
estimator) takes about 10 ms, most of it pandas indexing and repeated input checks. ``Scorer``
runs the same fitted steps itself, in about a third of that: it takes one array per input column
(``records.Batch.columns``), ``derive_columns`` (the code ``derive`` uses in training) adds the
derived ones, each ColumnTransformer branch gets its columns stacked in the fitted order, and the
estimator scores the joined matrix. A categorical branch of imputers and an encoder is looked up
per value in a table its own steps filled (``lookup``). A binary LogisticRegression is scored by
``linear_head``: the numpy and scipy calls of its own predict_proba, without the input checks
that cost most of a one-row call. Scoring runs BLAS and OpenMP on one thread (``THREADS``).

The first batch is also scored by the Pipeline itself. If the two differ at all, the Scorer
warns and uses the Pipeline from then on. One known gap: int columns arrive as float64,
so a count_equal on int values above 2**53 can differ from the Pipeline after that check.
Pipelines of another shape use the Pipeline from the start.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from typing import Any

import numpy as np

# The fitted steps remember the training frame's column names; arrays in that same order are
# what the ColumnTransformer hands them too, so the names check has nothing to add here.
_NO_NAMES = "X does not have valid feature names"
# BLAS and OpenMP threads a scoring call may use. A one-record call of a histogram gradient
# boosting model took 87-155 ms wall with two OpenMP threads and 11-13 ms with one on the 2 busy
# cores of the bench machine; concurrent requests are the parallelism of a server.
THREADS = 1
_local = threading.local()


class Scorer:
    """``positive_proba(batch)``: the probability of the positive class for each record of a
    ``records.Batch``."""

    def __init__(self, model: Any) -> None:
        self.model = model
        warnings.filterwarnings("ignore", message=_NO_NAMES, category=UserWarning)
        self.plan = _plan(model)
        self.head = None if self.plan is None else linear_head(self.plan[2])
        self.checked = self.plan is None
        self._lock = threading.Lock()

    def positive_proba(self, batch: Any) -> np.ndarray:
        limit_threads(self)
        plan = self.plan  # read once: the first-batch check may drop it in another thread
        if plan is None:
            return self.model.predict_proba(batch.frame())[:, 1]
        if not self.checked:
            with self._lock:
                return self._first(batch)
        return self._arrays(batch.columns, plan)

    def _first(self, batch: Any) -> np.ndarray:
        """Score with both paths once; keep the array path only if it agrees exactly."""
        reference = self.model.predict_proba(batch.frame())[:, 1]
        if not self.checked and self.plan is not None:
            fast = self._arrays(batch.columns, self.plan)
            if not np.array_equal(fast, reference, equal_nan=True):
                gap = float(np.nanmax(np.abs(fast - reference)))
                warnings.warn(
                    f"scoring: the array path differs from the Pipeline by up to {gap:.3g}; "
                    "using the Pipeline for every request",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self.plan = self.head = None
            self.checked = True
        return reference

    def _arrays(self, inputs: dict[str, np.ndarray], plan: tuple) -> np.ndarray:
        return self._estimate(plan[2], self._matrix(inputs, plan))

    def _estimate(self, estimator: Any, matrix: np.ndarray) -> np.ndarray:
        head = self.head  # read once: the first-batch check may drop it in another thread
        if head is not None:
            return head(matrix)
        with _checked_inputs():
            return estimator.predict_proba(matrix)[:, 1]

    def _matrix(self, inputs: dict[str, np.ndarray], plan: tuple) -> np.ndarray:
        from ..features import derive_columns

        specs, branches, _ = plan
        columns = dict(inputs)
        columns.update(derive_columns(columns, specs))
        with _checked_inputs():
            return np.hstack([_branch(columns, *branch) for branch in branches])

    def estimate(self, matrix: np.ndarray) -> np.ndarray:
        """The positive-class probability of each row of a ``features`` matrix."""
        limit_threads(self)
        plan = self.plan
        estimator = self.model[-1] if plan is None else plan[2]
        return self._estimate(estimator, matrix)

    def features(self, batch: Any) -> np.ndarray:
        """The matrix the estimator scores (what ``explain`` splits into contributions)."""
        limit_threads(self)
        plan = self.plan
        if plan is None:
            return self.model[:-1].transform(batch.frame())
        return self._matrix(batch.columns, plan)


def _branch(
    columns: dict[str, np.ndarray], steps: list, names: list, table: Any, numeric: Any
) -> np.ndarray:
    """One ColumnTransformer branch's output: looked up in its table, computed by its numpy
    operations (``numeric``), or its steps run."""
    matrix = None if table is None else table.transform([columns[n] for n in names])
    if matrix is None:
        matrix = np.column_stack([columns[name] for name in names])
        done = None if numeric is None else numeric(matrix)
        if done is not None:
            return done
        for step in steps:
            matrix = step.transform(matrix)
    return matrix


def linear_head(estimator: Any) -> Any:
    """For a binary LogisticRegression: ``matrix -> positive-class probabilities`` by the calls its
    predict_proba makes after its input checks (scikit-learn 1.9: ``X @ coef_.T + intercept_``,
    then ``scipy.special.expit``), 0.7 ms less per one-row call here. Other estimators: None.
    Its answers reach no one unchecked: the first batch is compared with the Pipeline."""
    from sklearn.linear_model import LogisticRegression

    if type(estimator) is not LogisticRegression or len(estimator.classes_) != 2:
        return None
    from scipy.special import expit

    coef_t, intercept = estimator.coef_.T, estimator.intercept_

    def head(matrix: np.ndarray) -> np.ndarray:
        scores = matrix @ coef_t + intercept
        return expit(scores.reshape(-1))

    return head


def _checked_inputs() -> Any:
    """sklearn without its finiteness scans and parameter checks: the same numbers in less time
    (0.45 against 0.37 ms for a one-row logistic regression call). The inputs passed the data
    contract, and the first batch is compared with the Pipeline, which runs every check."""
    import sklearn

    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


def limit_threads(scorer: Scorer) -> None:
    """Cap BLAS and OpenMP at ``THREADS`` threads (threadpoolctl) for the calling thread, once
    per thread and scorer: an OpenMP cap holds only in the thread that sets it, and a new model
    may have loaded another library. (A cap set and undone around each call cost 0.12 ms.)"""
    seen = getattr(_local, "scorers", None)
    if seen is None:
        seen = _local.scorers = weakref.WeakSet()
    if scorer not in seen:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=THREADS)
        seen.add(scorer)


def _plan(model: Any) -> tuple | None:
    """(derived specs, [(steps, columns, lookup.Lookup or None, numeric.build's or None)] per
    branch, estimator), or None for other shapes."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    from ..features import DerivedFeatures
    from . import numeric
    from .lookup import Lookup

    if not isinstance(model, Pipeline) or len(model.steps) != 3:
        return None
    (_, features), (_, preprocess), (_, estimator) = model.steps
    if not isinstance(features, DerivedFeatures) or not isinstance(preprocess, ColumnTransformer):
        return None
    if getattr(preprocess, "sparse_output_", True):
        return None
    specs = list(features.specs or [])
    branches = []
    for _, transformer, names in preprocess.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return None
        if not names:
            continue
        if isinstance(transformer, str):
            if transformer != "passthrough":
                return None
            steps: list[Any] = []
        elif isinstance(transformer, Pipeline):
            steps = [s for _, s in transformer.steps if not isinstance(s, str)]
        else:
            steps = [transformer]
        table = Lookup.build(steps)
        branches.append((steps, names, table, numeric.build(steps) if table is None else None))
    return specs, branches, estimator
