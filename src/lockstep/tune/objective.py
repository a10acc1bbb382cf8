"""One cross-validation fold of one trial: the unit of work a worker runs.

``CVData`` holds everything a fold needs (the training rows, labels, the fold indices, the column
roles and derived features, the seed and the metric). It is built once and, on a Dask cluster,
scattered to the workers once; a task then carries only a trial's model params and a fold number.
The pipeline and folds are the train stage's own (lockstep.models), so a trial's mean fold score
is the CV figure `lockstep train` reports for the same params. With ``repeats`` above 1 the
k-fold split is repeated, repeat r shuffled with seed + r (repeat 0 is train's split), so a
trial's mean has less fold noise for the search to chase. A fold runs on one thread
wherever it runs, so its score does not depend on the machine's core count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..contract.schema import DataConfig
from ..models import cv_folds, labels, make_estimator, make_pipeline


@dataclass(frozen=True)
class CVData:
    X: pd.DataFrame
    y: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    data: DataConfig
    derived: tuple[dict[str, Any], ...]
    seed: int
    metric: str


def cv_data(
    frame: pd.DataFrame,
    data: DataConfig,
    derived: list[dict[str, Any]],
    folds: int,
    seed: int,
    metric: str,
    repeats: int = 1,
) -> CVData:
    """The training rows split into ``folds`` stratified folds, as the train stage splits them,
    ``repeats`` times (fold f of repeat r is number r * folds + f)."""
    X, y = frame.drop(columns=[data.target]), labels(frame, data)
    splits = tuple(s for r in range(repeats) for s in cv_folds(folds, seed + r).split(X, y))
    return CVData(X, y, splits, data, tuple(derived), seed, metric)


def score_fold(cv: CVData, model: dict[str, Any], fold: int) -> float:
    """Fit the pipeline with ``model`` params on the other folds; score fold ``fold``."""
    from sklearn.metrics import get_scorer
    from threadpoolctl import threadpool_limits

    train, test = cv.folds[fold]
    pipeline = make_pipeline(cv.data, list(cv.derived), make_estimator(model, cv.seed))
    with threadpool_limits(limits=1):
        pipeline.fit(cv.X.iloc[train], cv.y[train])
        return float(get_scorer(cv.metric)(pipeline, cv.X.iloc[test], cv.y[test]))
