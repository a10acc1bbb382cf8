"""Stage train: data/features/train.parquet + reports/column_types.json → models/model.skops +
reports/cv.json.

Params: ``data`` (column roles), ``featurize``, ``model`` (family + estimator params), ``train``
(seed, cv_folds, cv_metrics, cv_rows, scheduler). The column types come from validate's
reports/column_types.json, not from ``data.columns``, so a changed check bound in the contract
does not re-run training. Stratified k-fold cross-validation on the
training rows (a seeded stratified sample of ``cv_rows`` when there are more, so its cost is
bounded) is recorded as metrics; then the whole pipeline is fitted on all training rows and saved.
With ``train.scheduler`` set (``tcp://HOST:PORT``), the CV folds run on that Dask cluster through
joblib's Dask backend; the metrics are the same as when they run here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import click
import numpy as np
import pandas as pd
from sklearn.model_selection import cross_validate, train_test_split

from ..cluster import check_address, fold_backend
from ..config import load_params, read_section, section
from ..contract.column_types import with_column_types
from ..contract.schema import DataConfig
from ..encoding import text_categories
from ..errors import LockstepError
from ..features import FeaturizeParams
from ..io import read_parquet, rounded, write_bytes, write_json
from ..modelfile import dumps_model
from ..models import check_scorer, cv_folds, labels, make_estimator, make_pipeline, model_input
from ..numerics import check as numerics_check
from ..options import params_option
from ..paths import COLUMN_TYPES_FILE, CV_FILE, MODEL_FILE, TRAIN_FEATURES

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py);
# numerics is read by `lockstep` itself, before the stage (the BLAS kernel and threads).
PARAMS = (
    "data.target",
    "data.positive_class",
    "data.id_column",
    "data.exclude_features",
    "data.sensitive_columns",
    "data.sensitive_as_features",
    "featurize",
    "model",
    "train",
    "numerics",
)


@dataclass(frozen=True)
class TrainParams:
    SECTION: ClassVar[str] = "train"
    seed: int
    cv_folds: int = 5
    cv_metrics: tuple[str, ...] = ("roc_auc",)
    cv_rows: int | None = 100_000  # cross-validate on at most this many rows; None: all
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.cv_folds < 2:
            raise LockstepError(f"train.cv_folds must be at least 2, got {self.cv_folds}")
        if self.cv_rows is not None and self.cv_rows < 100:
            raise LockstepError(f"train.cv_rows must be at least 100 or null, got {self.cv_rows}")
        for metric in self.cv_metrics:
            check_scorer(metric, "train.cv_metrics")
        if self.scheduler:
            check_address(self.scheduler, "train.scheduler")


def cv_sample(X: pd.DataFrame, y: np.ndarray, params: TrainParams) -> tuple[pd.DataFrame, Any]:
    """All rows, or a seeded sample of ``cv_rows`` with the classes in their proportions."""
    if params.cv_rows is None or len(X) <= params.cv_rows:
        return X, y
    rows, _ = train_test_split(
        np.arange(len(X)), train_size=params.cv_rows, stratify=y, random_state=params.seed
    )
    rows = np.sort(rows)
    return X.iloc[rows], y[rows]


def cross_validation(pipeline: Any, X: pd.DataFrame, y: np.ndarray, params: TrainParams) -> dict:
    X, y = cv_sample(X, y, params)
    folds = cv_folds(params.cv_folds, params.seed)
    scores = cross_validate(
        pipeline, X, y, cv=folds, scoring=list(params.cv_metrics), error_score="raise"
    )
    out = {}
    for metric in params.cv_metrics:
        values = scores[f"test_{metric}"]
        if np.isnan(values).any():
            raise LockstepError(
                f"train.cv_metrics: '{metric}' is undefined in some fold (a fold with one class?); "
                "use fewer train.cv_folds or more rows"
            )
        name, sign = (metric[4:], -1.0) if metric.startswith("neg_") else (metric, 1.0)
        out[name] = {"mean": rounded(sign * values.mean()), "std": rounded(values.std())}
    return {"cv": out, "folds": params.cv_folds, "rows": len(X)}


@click.command("train")
@params_option()
@click.option("--input", "input_path", default=TRAIN_FEATURES, show_default=True)
@click.option("--model", "model_path", default=MODEL_FILE, show_default=True)
@click.option("--metrics", default=CV_FILE, show_default=True)
@click.option("--column-types", "types_path", default=COLUMN_TYPES_FILE, show_default=True)
def command(
    params_path: str, input_path: str, model_path: str, metrics: str, types_path: str
) -> None:
    """Cross-validate, then fit the model pipeline on all training rows and save it."""
    params = load_params(params_path, PARAMS)
    data = with_column_types(read_section(DataConfig, params), types_path)
    train_params = read_section(TrainParams, params)
    derived = list(read_section(FeaturizeParams, params).derived)
    frame = read_parquet(input_path)
    pipeline = make_pipeline(
        data, derived, make_estimator(section(params, "model"), train_params.seed)
    )
    X, y = model_input(pipeline, frame.drop(columns=[data.target])), labels(frame, data)
    del frame  # its text columns: X holds them as categoricals
    with text_categories():
        with fold_backend(train_params.scheduler):
            report = cross_validation(pipeline, X, y, train_params)
        pipeline.fit(X, y)
    write_bytes(model_path, dumps_model(pipeline))
    write_json(metrics, report)
    summary = ", ".join(f"{k} {v['mean']:.4f}±{v['std']:.4f}" for k, v in report["cv"].items())
    click.echo(f"train: {report['folds']}-fold CV {summary} -> {model_path}")
    warning = numerics_check()
    if warning:
        click.echo(f"lockstep: warning: {warning}", err=True)
