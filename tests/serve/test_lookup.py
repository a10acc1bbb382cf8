"""lockstep.serve.lookup: a categorical branch looked up per value gives what its steps give."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from lockstep.contract.records import Batch
from lockstep.features import derive_columns
from lockstep.serve.lookup import Lookup
from lockstep.serve.scoring import Scorer
from tests.helpers.models import SMALL, saved
from tests.helpers.tiny import data_config, raw_frame
from tests.serve.test_scoring import batch_of

pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def branch_inputs(scorer: Scorer, batch: Batch) -> list[tuple]:
    """(steps, lookup, input columns) of each branch that has a table."""
    specs, branches, _ = scorer.plan
    columns = dict(batch.columns)
    columns.update(derive_columns(columns, specs))
    return [
        (steps, table, [columns[n] for n in names]) for steps, names, table, _ in branches if table
    ]


def run(steps: list, columns: list[np.ndarray]) -> np.ndarray:
    matrix = np.column_stack(columns)
    for step in steps:
        matrix = step.transform(matrix)
    return matrix


@pytest.mark.parametrize("family", sorted(SMALL))
def test_the_table_gives_exactly_what_the_steps_give(family):
    scorer = Scorer(saved(family)[0])
    found = branch_inputs(scorer, batch_of(raw_frame(), data_config()))
    assert len(found) == 1  # the categorical branch (one-hot, or ordinal for native categories)
    steps, table, columns = found[0]
    got = table.transform(columns)
    assert got is not None
    np.testing.assert_array_equal(got, run(steps, columns))  # bit for bit, nan where nan


@pytest.mark.parametrize("family", ["logistic_regression", "hist_gradient_boosting"])
def test_a_value_the_table_lacks_is_scored_by_the_steps(family):
    model = saved(family)[0]
    scorer = Scorer(model)
    batch = batch_of(raw_frame(), data_config())
    table = branch_inputs(scorer, batch)[0][1]
    values = {k: list(v) for k, v in batch.values.items()}
    values["contract"][3] = "Ten year"  # a category training never saw (the contract's check
    unseen = Batch(values, batch.data)  # would refuse it; the fallback must still be exact)
    assert table.transform(branch_inputs(scorer, unseen)[0][2]) is None
    expected = model.predict_proba(unseen.frame())[:, 1]
    np.testing.assert_array_equal(scorer.estimate(scorer.features(unseen)), expected)


def test_steps_the_table_does_not_know_keep_running_themselves():
    X = np.array([["a", "x"], ["b", np.nan], ["a", "y"], ["c", "x"]], dtype=object)
    dropped = OneHotEncoder(drop="first", sparse_output=False).fit(X)
    imputer = SimpleImputer(strategy="most_frequent").fit(X)
    encoder = OneHotEncoder(sparse_output=False).fit(imputer.transform(X))
    other = FunctionTransformer(lambda m: m).fit(X)
    assert Lookup.build([dropped]) is None  # not one block per column
    assert Lookup.build([other, encoder]) is None  # a step that may mix columns
    table = Lookup.build([imputer, encoder])
    assert table is not None
    np.testing.assert_array_equal(
        table.transform(list(X.T)), encoder.transform(imputer.transform(X))
    )
    assert table.transform([np.array(["a"], dtype=object), np.array([1.0])]) is None  # not text
