"""Model-level checks on the saved scikit-learn pipeline, for every model family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lockstep.features import derive
from lockstep.models import FAMILIES
from lockstep.stages.train import labels
from tests.helpers.models import SMALL
from tests.helpers.models import saved as saved_model
from tests.helpers.tiny import DERIVED, data_config, raw_frame


@pytest.fixture(params=sorted(FAMILIES))
def saved(request):
    return (request.param, *saved_model(request.param))


def test_every_family_has_a_small_config():
    assert set(SMALL) == set(FAMILIES)


def test_probabilities_on_raw_rows_equal_those_on_featurized_rows(saved):
    _, model, X = saved
    raw = model.predict_proba(X)
    featurized = model.predict_proba(derive(X, DERIVED))
    np.testing.assert_allclose(raw, featurized, rtol=0, atol=1e-12)


def test_probabilities_are_valid(saved):
    _, model, X = saved
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_the_id_column_does_not_change_predictions(saved):
    _, model, X = saved
    renamed = X.assign(customer_id=[f"other-{i}" for i in range(len(X))])
    np.testing.assert_array_equal(model.predict_proba(renamed), model.predict_proba(X))


def test_column_order_does_not_change_predictions(saved):
    _, model, X = saved
    shuffled = X[list(reversed(X.columns))]
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(X))


def test_unseen_category_and_missing_numbers_are_scored(saved):
    _, model, X = saved
    odd = X.head(3).copy()
    odd["contract"] = ["Three year", None, "Month-to-month"]
    odd["monthly_charges"] = [np.nan, 50.0, np.nan]
    odd["tenure"] = [0, 500, 12]
    proba = model.predict_proba(odd)
    assert np.isfinite(proba).all()


def test_scoring_rows_missing_a_column_fails(saved):
    _, model, X = saved
    with pytest.raises((KeyError, ValueError)):
        model.predict_proba(X.drop(columns=["tenure"]))


def test_month_to_month_contract_raises_churn_probability_in_the_linear_model():
    model, X = saved_model("logistic_regression")
    m2m = model.predict_proba(X.assign(contract="Month-to-month"))[:, 1]
    two_year = model.predict_proba(X.assign(contract="Two year"))[:, 1]
    assert (m2m > two_year).all()


def test_model_separates_the_training_classes_better_than_chance(saved):
    _, model, X = saved
    y = labels(pd.concat([X, raw_frame()[["churn"]]], axis=1), data_config())
    proba = model.predict_proba(X)[:, 1]
    assert proba[y == 1].mean() > proba[y == 0].mean()
