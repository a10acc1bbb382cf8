"""lockstep.serve.numeric: a numeric branch as numpy operations, the same to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from lockstep.serve import numeric


def data(rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(50, 30, size=(rows, 3)) * rng.choice([1e-3, 1, 1e3], size=3)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    return matrix


def fitted(*steps):
    matrix = data(200)
    for step in steps:
        matrix = step.fit_transform(matrix)
    return list(steps)


def run(steps, matrix):
    for step in steps:
        matrix = step.transform(matrix)
    return matrix


@pytest.mark.parametrize("strategy", ["median", "mean", "most_frequent"])
@pytest.mark.parametrize("scale", [(True, True), (False, True), (True, False), None])
def test_the_operations_give_what_the_steps_give_to_the_bit(strategy, scale):
    steps = [SimpleImputer(strategy=strategy)]
    if scale is not None:
        steps.append(StandardScaler(with_mean=scale[0], with_std=scale[1]))
    steps = fitted(*steps)
    fast = numeric.build(steps)
    assert fast is not None
    for rows in (1, 2, 7, 64, 500):
        matrix = data(rows, seed=rows)
        before = matrix.copy()
        out = fast(matrix)
        assert out.dtype == np.float64
        assert np.array_equal(out, run(steps, matrix), equal_nan=True)
        assert np.array_equal(matrix, before, equal_nan=True)  # the input is left alone


def test_other_steps_are_left_to_scikit_learn():
    assert numeric.build(fitted(SimpleImputer(add_indicator=True), StandardScaler())) is None
    assert numeric.build(fitted(SimpleImputer(), MinMaxScaler())) is None
    minus_one = SimpleImputer(missing_values=-1.0).fit(np.nan_to_num(data(200), nan=-1.0))
    assert numeric.build([minus_one]) is None
    assert numeric.build([]) is None
    empty = data(200)
    empty[:, 1] = np.nan  # a column with no values: the imputer drops it
    assert numeric.build([SimpleImputer().fit(empty)]) is None


def test_a_matrix_it_does_not_take_runs_the_steps():
    fast = numeric.build(fitted(SimpleImputer(), StandardScaler()))
    assert fast(data(3)[:, :2]) is None  # another number of columns
    assert fast(np.ones((3, 3), dtype=np.float32)) is None
    assert fast(np.ones((3, 3), dtype=np.int64)) is None
