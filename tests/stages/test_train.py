"""lockstep.stages.train (and models.labels): labels and cross-validation metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, cross_validate

from lockstep.config import build, declared_only, read_section
from lockstep.contract.column_types import with_column_types, write_column_types
from lockstep.contract.dataconfig import DataConfig
from lockstep.errors import LockstepError
from lockstep.models import labels, make_estimator, make_pipeline
from lockstep.stages.train import PARAMS, TrainParams, cross_validation, cv_sample
from tests.helpers.tiny import DERIVED, data_config, data_dict, params, raw_frame


def pipeline():
    estimator = make_estimator({"family": "logistic_regression", "max_iter": 500}, seed=0)
    return make_pipeline(data_config(), DERIVED, estimator)


def xy():
    frame = raw_frame()
    return frame.drop(columns=["churn"]), labels(frame, data_config())


def test_labels_mark_the_positive_class():
    frame = raw_frame(6)
    assert labels(frame, data_config()).tolist() == [1, 1, 1, 1, 0, 1]
    assert labels(frame, data_config(positive_class="No")).tolist() == [0, 0, 0, 0, 1, 0]


def test_labels_fail_when_the_positive_class_never_occurs():
    with pytest.raises(LockstepError, match=r"positive_class"):
        labels(raw_frame(6), data_config(positive_class="yes"))


def test_train_params_from_a_section():
    params = build(TrainParams, {"seed": 1, "cv_metrics": ["roc_auc", "f1"]}, "train")
    assert params == TrainParams(seed=1, cv_folds=5, cv_metrics=("roc_auc", "f1"))
    with pytest.raises(LockstepError, match=r"train: unknown key 'folds'"):
        build(TrainParams, {"seed": 1, "folds": 3}, "train")


def test_cross_validation_keys_and_sign_of_neg_metrics():
    X, y = xy()
    params = TrainParams(seed=4, cv_folds=3, cv_metrics=("roc_auc", "neg_log_loss", "accuracy"))
    report = cross_validation(pipeline(), X, y, params)
    assert report["folds"] == 3
    assert report["rows"] == 20
    assert set(report["cv"]) == {"roc_auc", "log_loss", "accuracy"}
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=4)
    direct = cross_validate(pipeline(), X, y, cv=folds, scoring=["roc_auc", "neg_log_loss"])
    log_loss = report["cv"]["log_loss"]
    assert log_loss["mean"] > 0
    assert log_loss["mean"] == pytest.approx(-direct["test_neg_log_loss"].mean(), abs=1e-6)
    assert log_loss["std"] == pytest.approx(direct["test_neg_log_loss"].std(), abs=1e-6)
    assert log_loss["std"] >= 0
    assert report["cv"]["roc_auc"]["mean"] == pytest.approx(direct["test_roc_auc"].mean(), abs=1e-6)
    assert 0 <= report["cv"]["accuracy"]["mean"] <= 1


def test_cross_validation_is_repeatable_with_the_seed():
    X, y = xy()
    params = TrainParams(seed=4, cv_folds=3, cv_metrics=("roc_auc",))
    assert cross_validation(pipeline(), X, y, params) == cross_validation(pipeline(), X, y, params)


def test_cross_validation_rejects_an_unknown_metric():
    X, y = xy()
    with pytest.raises(LockstepError, match=r"cv_metrics: 'auc' is not a scikit-learn scorer"):
        cross_validation(pipeline(), X, y, TrainParams(seed=0, cv_folds=3, cv_metrics=("auc",)))


def test_cross_validation_rejects_impossible_fold_counts():
    X, y = xy()
    with pytest.raises(LockstepError, match="cv_folds must be at least 2"):
        TrainParams(seed=0, cv_folds=1)
    with pytest.raises(ValueError, match=r"n_splits"):
        cross_validation(pipeline(), X, y, TrainParams(seed=0, cv_folds=21))


def test_cross_validation_samples_at_most_cv_rows_keeping_class_shares():
    X = pd.DataFrame({"value": np.arange(1000)})
    y = (np.arange(1000) % 10 < 3).astype(int)  # 30% positive
    params = TrainParams(seed=3, cv_rows=200)
    sampled, labels_ = cv_sample(X, y, params)
    assert len(sampled) == 200 and labels_.sum() == 60
    assert sampled["value"].is_monotonic_increasing  # the training rows' order is kept
    np.testing.assert_array_equal(labels_, y[sampled["value"].to_numpy()])
    again, _ = cv_sample(X, y, params)
    other, _ = cv_sample(X, y, TrainParams(seed=4, cv_rows=200))
    assert again.equals(sampled) and not other.equals(sampled)
    whole, _ = cv_sample(X, y, TrainParams(seed=3, cv_rows=None))
    assert whole is X


def test_cv_rows_below_100_is_refused():
    with pytest.raises(LockstepError, match=r"train\.cv_rows must be at least 100 or null"):
        TrainParams(seed=0, cv_rows=50)


def branch_columns(data: DataConfig) -> dict[str, list[str]]:
    estimator = make_estimator({"family": "logistic_regression"}, seed=0)
    preprocess = make_pipeline(data, DERIVED, estimator).named_steps["preprocess"]
    return {name: list(columns) for name, _, columns in preprocess.transformers}


def test_train_builds_the_model_from_the_column_types_file_not_data_columns(tmp_path):
    """As the command reads it: its declared params (no data.columns) and validate's file."""
    path = tmp_path / "column_types.json"
    declared = read_section(DataConfig, declared_only(params(), PARAMS))
    write_column_types(path, data_config())
    assert branch_columns(with_column_types(declared, path)) == branch_columns(data_config())

    columns = data_dict()["columns"]
    columns["tenure"] = {"dtype": "str"}  # the file says tenure is text: train follows the file
    write_column_types(path, data_config(columns=columns))
    branches = branch_columns(with_column_types(declared, path))
    assert "tenure" in branches["categorical"] and "tenure" not in branches["numeric"]
