"""lockstep.models: estimators from config, the pipeline, and safe byte-stable model files."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import MinMaxScaler, OrdinalEncoder

from lockstep.errors import LockstepError
from lockstep.models import (
    TRUSTED_TYPES,
    dumps_model,
    labels,
    load_model,
    loads_model,
    make_estimator,
    make_pipeline,
    model_input,
    skops_io,
)
from tests.helpers.models import SMALL, fitted
from tests.helpers.tiny import DERIVED, data_config, raw_frame


class Shout(TransformerMixin, BaseEstimator):
    """A harmless transformer that lockstep has not declared trusted."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


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


@pytest.mark.parametrize("family", sorted(SMALL))
def test_dumps_model_is_byte_identical_and_loads_model_round_trips(family):
    model, X = fitted(family)
    first = dumps_model(model)
    assert dumps_model(model) == first
    loaded = loads_model(first)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_refitting_with_the_same_seed_gives_the_same_bytes():
    assert dumps_model(fitted("random_forest", seed=3)[0]) == dumps_model(
        fitted("random_forest", seed=3)[0]
    )


def test_model_file_has_fixed_timestamps_and_sequential_names():
    archive = zipfile.ZipFile(io.BytesIO(dumps_model(fitted("logistic_regression")[0])))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    names = [n for n in archive.namelist() if n != "schema.json"]
    assert names == [f"{i:05d}.npy" for i in range(len(names))]


def test_dumps_model_refuses_a_type_not_trusted():
    model, _ = fitted("logistic_regression")
    model.steps.insert(0, ("shout", Shout()))
    with pytest.raises(LockstepError, match=r"does not trust to load: .*Shout"):
        dumps_model(model)


def test_loads_model_refuses_a_type_not_trusted():
    model, _ = fitted("logistic_regression")
    model.steps.insert(0, ("shout", Shout()))
    data = skops_io().dumps(model)
    with pytest.raises(LockstepError, match=r"fetched\.skops contains untrusted types.*Shout"):
        loads_model(data, where="fetched.skops")


def test_a_scikit_learn_type_no_pipeline_holds_is_not_trusted_either():
    model, _ = fitted("logistic_regression")
    model.steps.insert(0, ("scale", MinMaxScaler()))
    with pytest.raises(LockstepError, match=r"does not trust to load: .*MinMaxScaler"):
        dumps_model(model)
    with pytest.raises(LockstepError, match=r"untrusted types.*MinMaxScaler"):
        loads_model(skops_io().dumps(model))


def test_loading_a_model_does_not_import_every_scikit_learn_module(tmp_path):
    """skops.io's default trust list would import all of scikit-learn (about 1 s per process)."""
    path = tmp_path / "model.skops"
    path.write_bytes(dumps_model(fitted("logistic_regression")[0]))
    script = (
        "import sys, sklearn.utils\n"
        "from lockstep.models import load_model\n"
        "real = sklearn.utils.all_estimators\n"
        f"load_model({str(path)!r})\n"
        "assert sklearn.utils.all_estimators is real, 'all_estimators was not put back'\n"
        "print(sorted(m for m in ('sklearn.neural_network', 'sklearn.gaussian_process')"
        " if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_trusted_types_are_only_the_ones_lockstep_needs():
    assert not any(t.startswith(("builtins.", "os.", "subprocess.")) for t in TRUSTED_TYPES)
    assert "lockstep.features.DerivedFeatures" in TRUSTED_TYPES


def test_load_model_reads_a_file_and_names_a_missing_one(tmp_path):
    model, X = fitted("hist_gradient_boosting")
    path = tmp_path / "model.skops"
    path.write_bytes(dumps_model(model))
    np.testing.assert_array_equal(load_model(str(path)).predict(X), model.predict(X))
    with pytest.raises(LockstepError, match=r"model file .*missing\.skops not found"):
        load_model(str(tmp_path / "missing.skops"))


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
