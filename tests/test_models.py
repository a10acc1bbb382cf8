"""lockstep.models: estimators from config and the preprocessing pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OrdinalEncoder

from lockstep.errors import LockstepError
from lockstep.modelfile import dumps_model
from lockstep.models import labels, make_estimator, make_pipeline, model_input
from tests.helpers.models import SMALL, fitted
from tests.helpers.tiny import DERIVED, data_config, raw_frame


def test_make_estimator_builds_the_family_with_its_params_and_seed():
    model = make_estimator({"family": "random_forest", "n_estimators": 7}, seed=5)
    assert isinstance(model, RandomForestClassifier)
    assert model.n_estimators == 7
    assert model.random_state == 5
    explicit = make_estimator({"family": "logistic_regression", "random_state": 9}, seed=5)
    assert isinstance(explicit, LogisticRegression)
    assert explicit.random_state == 9


def test_make_estimator_does_not_change_the_section():
    section = {"family": "logistic_regression", "C": 0.5}
    make_estimator(section, seed=1)
    assert section == {"family": "logistic_regression", "C": 0.5}


def test_make_estimator_rejects_an_unknown_family():
    with pytest.raises(LockstepError, match=r"model\.family: 'xgboost' is not one of"):
        make_estimator({"family": "xgboost"}, seed=0)
    with pytest.raises(LockstepError, match=r"model\.family: None"):
        make_estimator({"C": 1.0}, seed=0)


def test_make_estimator_rejects_an_unknown_param_and_names_it():
    with pytest.raises(LockstepError, match=r"model\.n_trees: RandomForestClassifier has no"):
        make_estimator({"family": "random_forest", "n_trees": 10}, seed=0)


def test_make_pipeline_uses_numeric_and_categorical_columns_including_derived():
    pipeline = make_pipeline(data_config(), DERIVED, LogisticRegression())
    numeric, categorical = (t[2] for t in pipeline.named_steps["preprocess"].transformers)
    assert numeric == [
        "tenure",
        "monthly_charges",
        "total_charges",
        "charges_per_month",
        "addon_count",
    ]
    assert categorical == ["contract", "online_security", "tech_support", "tenure_band"]
    assert [name for name, _ in pipeline.steps] == ["features", "preprocess", "model"]


def test_excluded_derived_features_are_not_given_to_the_model():
    cfg = data_config(exclude_features=["tenure_band", "addon_count"])
    estimator = make_estimator({"family": "logistic_regression"}, seed=0)
    columns = {
        column
        for _, _, selected in make_pipeline(cfg, DERIVED, estimator)["preprocess"].transformers
        for column in selected
    }
    assert "tenure_band" not in columns and "addon_count" not in columns
    assert "charges_per_month" in columns


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ({"family": "logistic_regression", "max_iter": "lots"}, "max_iter"),
        ({"family": "random_forest", "n_estimators": -3}, "n_estimators"),
    ],
)
def test_a_wrongly_typed_model_param_is_named(model, key):
    with pytest.raises(LockstepError, match=rf"^model\.{key}: The '{key}' parameter"):
        make_estimator(model, seed=0)


def test_gradient_boosting_splits_categories_natively_one_column_each():
    model, X = fitted("hist_gradient_boosting")  # categorical_features left at from_dtype
    (first, encoder, categorical), (_, _, numeric) = model["preprocess"].transformers_[:2]
    assert first == "categorical" and isinstance(encoder, OrdinalEncoder)
    assert categorical == [*data_config().categorical_columns(), "tenure_band"]
    assert model[-1].categorical_features == list(range(len(categorical)))
    matrix = model[:-1].transform(X)
    assert matrix.shape == (len(X), len(categorical) + len(numeric))  # no one-hot columns
    # the trees take missing numbers as they are (they learn where those go)
    assert np.isnan(matrix[X["total_charges"].isna().to_numpy(), len(categorical) + 2]).all()


def test_gradient_boosting_one_hot_encodes_when_told():
    model, X = fitted("hist_gradient_boosting", categorical_features=None)
    assert model[-1].categorical_features is None
    assert model[:-1].transform(X).shape[1] > len(model["preprocess"].feature_names_in_) - 1


def test_a_category_unseen_in_training_scores_as_a_missing_one():
    model, X = fitted("hist_gradient_boosting")
    unseen = model.predict_proba(X.assign(contract="Ten year"))
    missing = model.predict_proba(X.assign(contract=X["contract"].where(X["contract"] == "")))
    np.testing.assert_array_equal(unseen, missing)


def test_an_unsupported_categorical_features_value_is_named():
    estimator = make_estimator(
        {"family": "hist_gradient_boosting", "categorical_features": [0, 1]}, seed=0
    )
    with pytest.raises(LockstepError, match=r"^model\.categorical_features: \[0, 1\] is not"):
        make_pipeline(data_config(), DERIVED, estimator)


@pytest.mark.parametrize("family", sorted(SMALL))
def test_model_input_gives_the_same_model_and_the_same_scores(family):
    cfg, frame = data_config(), raw_frame()
    X, y = frame.drop(columns=[cfg.target]), labels(frame, cfg)

    def pipeline():
        return make_pipeline(cfg, DERIVED, make_estimator({"family": family, **SMALL[family]}, 3))

    plain = pipeline().fit(X, y)
    unfitted = pipeline()
    cheap = unfitted.fit(model_input(unfitted, X), y)
    assert dumps_model(cheap) == dumps_model(plain)
    expected = plain.predict_proba(X)
    np.testing.assert_array_equal(cheap.predict_proba(model_input(cheap, X)), expected)
    np.testing.assert_array_equal(cheap.predict_proba(X), expected)  # served rows: plain text


def test_model_input_turns_only_the_encoded_text_columns_into_categories():
    model, X = fitted("hist_gradient_boosting")
    out = model_input(model, X)
    encoded = [c for c in data_config().categorical_columns() if c in X.columns]
    assert encoded and all(isinstance(out[c].dtype, pd.CategoricalDtype) for c in encoded)
    assert out["customer_id"].dtype == X["customer_id"].dtype  # the id is no model input
    assert out["tenure"].dtype == X["tenure"].dtype
    assert model_input(LogisticRegression(), X) is X  # not a lockstep pipeline: as it is
    one_hot, _ = fitted("logistic_regression")
    assert model_input(one_hot, X) is X  # imputer + one-hot encoder: text as it is
