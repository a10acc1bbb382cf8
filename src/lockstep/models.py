"""Model families and the preprocessing pipeline.

The saved model is one scikit-learn Pipeline: derived features → learned preprocessing
(imputation, scaling, one-hot encoding; fitted on training rows only) → estimator. Histogram
gradient boosting instead takes each categorical column as one column of ordinal codes and splits
it natively (``categorical_features: from_dtype``, its default), and numbers unscaled. It scores
validated raw rows. Saving and loading it: lockstep.modelfile.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .contract.schema import DataConfig
from .errors import LockstepError
from .features import DerivedFeatures, derived_columns, spec_inputs, text_as_categories

FAMILIES = {
    "logistic_regression": "sklearn.linear_model:LogisticRegression",
    "random_forest": "sklearn.ensemble:RandomForestClassifier",
    "hist_gradient_boosting": "sklearn.ensemble:HistGradientBoostingClassifier",
}


def estimator_class(family: Any) -> type:
    """The estimator class of a model family named in ``model.family``."""
    if family not in FAMILIES:
        raise LockstepError(
            f"model.family: {family!r} is not one of {', '.join(FAMILIES)} (see conf/model/)"
        )
    module, name = FAMILIES[family].split(":")
    return getattr(importlib.import_module(module), name)


def estimator_params(family: Any) -> set[str]:
    """The parameter names the family's estimator takes."""
    return set(estimator_class(family)().get_params())


def make_estimator(model: dict[str, Any], seed: int) -> ClassifierMixin:
    """An unfitted estimator from the ``model`` section: ``family`` plus the estimator's params."""
    params = dict(model)
    cls = estimator_class(params.pop("family", None))
    accepted = estimator_params(model.get("family"))
    for key in params:
        if key not in accepted:
            raise LockstepError(
                f"model.{key}: {cls.__name__} has no parameter '{key}' "
                f"(it takes: {', '.join(sorted(accepted))})"
            )
    if "random_state" in accepted and "random_state" not in params:
        params["random_state"] = seed
    return checked(cls(**params))


def checked(estimator: Any) -> Any:
    """``estimator`` when its params have the types and ranges scikit-learn accepts; else an error
    naming the param (scikit-learn itself would only complain later, from inside a fit)."""
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        found = re.search(r"The '(\w+)' parameter", str(exc))
        key = found.group(1) if found else "?"
        raise LockstepError(f"model.{key}: {exc} (see conf/model/)") from exc
    return estimator


def check_scorer(name: str, where: str) -> None:
    """Fail with a short message when ``name`` is not a scikit-learn scorer."""
    from sklearn.metrics import get_scorer_names

    if name not in get_scorer_names():
        raise LockstepError(
            f"{where}: '{name}' is not a scikit-learn scorer (e.g. roc_auc, average_precision, "
            "neg_log_loss, accuracy, f1)"
        )


def labels(frame: pd.DataFrame, data: DataConfig) -> np.ndarray:
    """1 where the target equals ``data.positive_class``, else 0."""
    positive = (frame[data.target] == data.positive_class).to_numpy(dtype=int)
    if not positive.any():
        seen = sorted(
            repr(v.item() if hasattr(v, "item") else v)
            for v in frame[data.target].dropna().unique()
        )[:5]
        raise LockstepError(
            f"data.positive_class {data.positive_class!r} never occurs in '{data.target}' "
            f"(values: {', '.join(seen)}); quote it in YAML only if the column holds text"
        )
    return positive


def cv_folds(n_splits: int, seed: int) -> StratifiedKFold:
    """The cross-validation splitter that training and tuning share: same seed, same folds."""
    return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)


def native_categorical(estimator: Any) -> bool:
    """Whether ``estimator`` takes the categorical columns as they are, ordinal-encoded.

    A histogram gradient boosting classifier with ``categorical_features`` at its default
    ``from_dtype`` does: its trees split on category sets, so one column per category (one-hot)
    would only cost time and memory. ``model.categorical_features: null`` one-hot encodes
    them as for the other families (how models were built before).
    """
    params = estimator.get_params()
    if "categorical_features" not in params:
        return False
    value = params["categorical_features"]
    if value is None:
        return False
    if isinstance(value, str) and value == "from_dtype":
        return True
    raise LockstepError(
        f"model.categorical_features: {value!r} is not supported; lockstep takes 'from_dtype' "
        "(the contract's categorical columns, natively) or null (one-hot encoded)"
    )


def _branches(estimator: Any) -> tuple[Any, Any]:
    """The (numeric, categorical) preprocessing for ``estimator``, unfitted."""
    from sklearn.preprocessing import OrdinalEncoder

    if native_categorical(estimator):
        # Numbers go in as they are, missing ones as nan: the trees learn where those go. (A
        # scaler that neither centres nor scales turns nullable ints into floats; "passthrough"
        # would keep pd.NA, and its saved form names functions skops does not trust.)
        return StandardScaler(with_mean=False, with_std=False), OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,  # a category unseen in training scores as a missing one
            max_categories=estimator.get_params()["max_bins"],
        )
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return numeric, categorical


def make_pipeline(data: DataConfig, derived: list[dict[str, Any]], estimator: Any) -> Pipeline:
    """derived features → preprocessing (learned on the training rows) → ``estimator``."""
    extra_numeric, extra_categorical = derived_columns(derived)
    hidden = set() if data.sensitive_as_features else set(data.sensitive_columns)
    for spec in derived:  # a feature derived from a hidden sensitive column would carry it in
        if hidden.intersection(spec_inputs(spec)):
            hidden.add(str(spec["name"]))
    excluded = data.excluded_features() | hidden
    numeric = data.numeric_columns() + [c for c in extra_numeric if c not in excluded]
    categorical = data.categorical_columns() + [c for c in extra_categorical if c not in excluded]
    numeric_step, categorical_step = _branches(estimator)
    branches = [("numeric", numeric_step, numeric), ("categorical", categorical_step, categorical)]
    if native_categorical(estimator):
        # Categorical columns first: the estimator puts them first internally too, so the trees'
        # feature numbers are the matrix's columns.
        branches.reverse()
        estimator = clone(estimator).set_params(categorical_features=list(range(len(categorical))))
    preprocess = ColumnTransformer(
        branches,
        remainder="drop",
        verbose_feature_names_out=False,
    )
    return Pipeline(
        [
            ("features", DerivedFeatures(list(derived))),
            ("preprocess", preprocess),
            ("model", estimator),
        ]
    )


def model_input(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    """``X`` as ``model`` (a pipeline of ``make_pipeline``, fitted or not) reads it cheaply.

    When its categorical branch is a bare ordinal encoder (native categories), the text columns
    it encodes become categoricals (``text_as_categories``): at 1M rows that saves the encoder
    hundreds of MB of string objects; it learns the same categories, the scores are the same.
    Other pipelines get ``X`` as it is: an imputer before a one-hot encoder would keep a
    category's one string object twice, which the saved file records as one shared object
    (other bytes, same model).
    """
    from sklearn.preprocessing import OrdinalEncoder

    preprocess = getattr(model, "named_steps", {}).get("preprocess")
    if not isinstance(preprocess, ColumnTransformer):
        return X
    encoded = [
        column
        for name, encoder, columns in preprocess.transformers
        if name == "categorical" and isinstance(encoder, OrdinalEncoder)
        for column in columns
    ]
    return text_as_categories(X, encoded) if encoded else X
