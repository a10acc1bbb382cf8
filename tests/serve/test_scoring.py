"""lockstep.serve.scoring: the array path scores as the saved Pipeline does, for every family."""

from __future__ import annotations

import json
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from lockstep.config import build
from lockstep.contract.records import check_records
from lockstep.contract.schema import DataConfig, build_schema
from lockstep.modelfile import dumps_model, loads_model
from lockstep.models import make_estimator, make_pipeline
from lockstep.serve.scoring import Scorer, linear_head
from tests.helpers.models import SMALL
from tests.helpers.models import saved as fit
from tests.helpers.tiny import DERIVED, data_dict, raw_frame


def batch_of(frame: pd.DataFrame, data: DataConfig):
    sent = json.loads(frame.drop(columns=[data.target]).to_json(orient="records"))
    schema = build_schema(data).remove_columns([data.target])
    batch, errors = check_records(sent, data, schema, None)
    assert errors == []
    return batch


@pytest.mark.parametrize("family", sorted(SMALL))
def test_array_path_equals_the_pipeline_exactly(family):
    model, _ = fit(family)
    data = build(DataConfig, data_dict(), "data")
    batch = batch_of(raw_frame(), data)
    scorer = Scorer(model)
    assert scorer.plan is not None
    expected = model.predict_proba(batch.frame())[:, 1]
    np.testing.assert_array_equal(scorer.positive_proba(batch), expected)  # checked, both paths
    assert scorer.checked and scorer.plan is not None
    np.testing.assert_array_equal(scorer.positive_proba(batch), expected)  # array path only
    one = batch_of(raw_frame().iloc[[0]], data)  # null total_charges, tenure 0 (a bucket edge)
    np.testing.assert_array_equal(scorer.positive_proba(one), expected[:1])


def test_nullable_int_and_bool_columns_score_as_in_the_pipeline():
    columns = {
        **data_dict()["columns"],
        "lines": {"dtype": "int", "nullable": True, "min": 0},
        "autopay": {"dtype": "bool", "nullable": True},
    }
    data = build(DataConfig, data_dict(columns=columns), "data")
    frame = raw_frame()
    frame["lines"] = pd.array([None, 1, 2, 3] * 5, dtype="Int64")
    frame["autopay"] = pd.array([True, False, None, True, False] * 4, dtype="boolean")
    valid = build_schema(data).validate(frame)
    X, y = valid.drop(columns=[data.target]), valid[data.target] == "Yes"
    estimator = make_estimator({"family": "logistic_regression", "max_iter": 500}, 0)
    model = loads_model(dumps_model(make_pipeline(data, DERIVED, estimator).fit(X, y)))
    batch = batch_of(valid, data)
    scorer = Scorer(model)
    expected = model.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(scorer.positive_proba(batch), expected)
    assert scorer.plan is not None
    np.testing.assert_array_equal(scorer.positive_proba(batch), expected)


def test_a_log1p_feature_scores_as_in_the_pipeline():
    data = build(DataConfig, data_dict(), "data")
    derived = [
        *DERIVED,
        {"name": "log_tenure", "kind": "log1p", "column": "tenure"},
        {"name": "log_total", "kind": "log1p", "column": "total_charges"},  # has nulls
    ]
    valid = build_schema(data).validate(raw_frame())
    X, y = valid.drop(columns=[data.target]), valid[data.target] == "Yes"
    estimator = make_estimator({"family": "logistic_regression", "max_iter": 500}, 0)
    model = loads_model(dumps_model(make_pipeline(data, derived, estimator).fit(X, y)))
    assert {"log_tenure", "log_total"} <= set(model["preprocess"].transformers_[0][2])
    scorer = Scorer(model)
    expected = model.predict_proba(X)[:, 1]
    batch = batch_of(valid, data)
    for _ in range(2):  # the checked first batch, then the array path alone
        np.testing.assert_array_equal(scorer.positive_proba(batch), expected)
        assert scorer.plan is not None


def test_a_pipeline_of_another_shape_is_scored_by_the_pipeline_itself():
    _, X = fit("logistic_regression")
    numeric = X[["tenure", "monthly_charges"]]
    model = Pipeline([("model", LogisticRegression())]).fit(numeric, [0, 1] * 10)
    scorer = Scorer(model)
    assert scorer.plan is None

    class Rows:
        def frame(self):
            return numeric

    np.testing.assert_array_equal(scorer.positive_proba(Rows()), model.predict_proba(numeric)[:, 1])


def test_an_array_path_that_disagrees_is_dropped_after_the_first_batch():
    model, _ = fit("logistic_regression")
    data = build(DataConfig, data_dict(), "data")
    batch = batch_of(raw_frame(), data)
    scorer = Scorer(model)
    specs, branches, estimator = scorer.plan
    scorer.plan = (specs, branches[::-1], estimator)  # columns in the wrong order
    expected = model.predict_proba(batch.frame())[:, 1]
    with pytest.warns(RuntimeWarning, match="differs from the Pipeline"):
        got = scorer.positive_proba(batch)
    np.testing.assert_array_equal(got, expected)
    assert scorer.plan is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(scorer.positive_proba(batch), expected)


def test_the_linear_head_gives_predict_proba_exactly_row_by_row_and_at_once():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 7))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
    estimator = LogisticRegression(C=0.3).fit(X, y)
    head = linear_head(estimator)
    np.testing.assert_array_equal(head(X), estimator.predict_proba(X)[:, 1])
    for row in range(len(X)):
        np.testing.assert_array_equal(
            head(X[row : row + 1]), estimator.predict_proba(X[[row]])[:, 1]
        )
    three = LogisticRegression().fit(X, np.arange(60) % 3)  # softmax, not one sigmoid
    assert linear_head(three) is None and linear_head(fit("random_forest")[0][-1]) is None


def test_a_linear_head_that_disagrees_is_dropped_with_the_array_path():
    model, _ = fit("logistic_regression")
    batch = batch_of(raw_frame(), build(DataConfig, data_dict(), "data"))
    scorer = Scorer(model)
    assert scorer.head is not None
    honest = scorer.head
    scorer.head = lambda matrix: honest(matrix) + 1e-12
    with pytest.warns(RuntimeWarning, match="differs from the Pipeline"):
        got = scorer.positive_proba(batch)
    np.testing.assert_array_equal(got, model.predict_proba(batch.frame())[:, 1])
    assert scorer.head is None and scorer.plan is None


def test_scoring_runs_blas_and_openmp_on_the_set_number_of_threads():
    from threadpoolctl import threadpool_info, threadpool_limits

    from lockstep.serve import scoring

    model, _ = fit("hist_gradient_boosting")  # OpenMP in its predict
    batch = batch_of(raw_frame(), build(DataConfig, data_dict(), "data"))
    blas = max([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] or [1])
    seen: list = []

    def score_in_a_new_thread() -> None:
        Scorer(model).positive_proba(batch)
        seen.extend(threadpool_info())  # OpenMP's cap is the calling thread's

    worker = threading.Thread(target=score_in_a_new_thread)
    try:
        worker.start()
        worker.join()
    finally:
        threadpool_limits(limits={"blas": blas})  # BLAS's cap is process-wide: undo it
    assert {i["user_api"] for i in seen} >= {"openmp"}
    assert {i["num_threads"] for i in seen} == {scoring.THREADS}
