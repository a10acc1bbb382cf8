"""Small fitted pipelines of every model family, on the tiny data (one SMALL config each)."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from lockstep.modelfile import dumps_model, loads_model
from lockstep.models import labels, make_estimator, make_pipeline
from tests.helpers.tiny import DERIVED, data_config, raw_frame

# Estimator params small enough for a 20-row fit in milliseconds, per family.
SMALL = {
    "logistic_regression": {"C": 1.0, "max_iter": 500},
    "random_forest": {"n_estimators": 10, "max_depth": 3},
    "hist_gradient_boosting": {"max_iter": 10, "max_depth": 2, "min_samples_leaf": 2},
}


# hist_gradient_boosting one-hot encoding its categories, as every family did before native splits
ONE_HOT = {"categorical_features": None}


def fitted(family: str, seed: int = 0, **params: Any) -> tuple[Any, pd.DataFrame]:
    """A freshly fitted pipeline of ``family`` (SMALL, updated with ``params``) and its raw rows
    (no target)."""
    cfg = data_config()
    frame = raw_frame()
    X = frame.drop(columns=[cfg.target])
    estimator = make_estimator({"family": family, **SMALL[family], **params}, seed)
    return make_pipeline(cfg, DERIVED, estimator).fit(X, labels(frame, cfg)), X


@functools.cache
def saved(family: str) -> tuple[Any, pd.DataFrame]:
    """``fitted(family, seed=1)`` after a save/load round trip (cached: treat it as read-only)."""
    model, X = fitted(family, seed=1)
    return loads_model(dumps_model(model)), X
