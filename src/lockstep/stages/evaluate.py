"""Stage evaluate: models/model.skops + data/features/test.parquet → reports/metrics.json + plots.

The scored test rows (pseudonymized id, label 0/1, probability) go to data/scores/test.parquet,
a DVC-cached output that lets two revisions' models be compared row by row (lockstep.significance).

Params: ``data`` (target, positive class), ``evaluate`` (threshold, seed, calibration bins,
permutation-importance repeats, metric and rows, curve points). Plot data (ROC, precision-recall,
confusion matrix, calibration, permutation importance) goes to reports/plots/*.json, declared as
DVC plots. What Git tracks stays small at any row count: curves are thinned to ``curve_points``,
the per-row confusion records stay in the DVC cache and reports/confusion_counts.json holds the
counts; permutation importance scores a seeded sample of at most ``importance_rows`` rows.
The signed effect of each model feature (lockstep.explain) goes to reports/feature_effects.json
for the model card, which reads it and the scores instead of loading the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import click
import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance

from .. import explain
from ..config import DEFAULT_THRESHOLD, check_threshold, load_params, read_section
from ..contract.schema import DataConfig
from ..encoding import text_categories
from ..errors import LockstepError
from ..io import read_parquet, rounded, write_json, write_parquet
from ..modelfile import load_model
from ..models import check_scorer, labels, model_input
from ..options import params_option
from ..paths import (
    CONFUSION_COUNTS,
    EFFECTS_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PLOTS_DIR,
    SCORES_FILE,
    TEST_FEATURES,
)

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py);
# numerics is read by `lockstep` itself, before the stage (the BLAS kernel and threads).
PARAMS = ("data.target", "data.positive_class", "data.id_column", "evaluate", "numerics")


@dataclass(frozen=True)
class EvaluateParams:
    SECTION: ClassVar[str] = "evaluate"
    seed: int
    threshold: float = DEFAULT_THRESHOLD
    calibration_bins: int = 10
    importance_repeats: int = 5
    importance_metric: str = "roc_auc"
    importance_rows: int = 10_000
    curve_points: int = 200

    def __post_init__(self) -> None:
        check_threshold(self.threshold)
        if self.calibration_bins < 2 or self.importance_repeats < 1:
            raise LockstepError(
                "evaluate.calibration_bins must be at least 2 and importance_repeats at least 1"
            )
        if self.importance_rows < 100 or self.curve_points < 10:
            raise LockstepError(
                "evaluate.importance_rows must be at least 100 and curve_points at least 10, got "
                f"{self.importance_rows} and {self.curve_points}"
            )
        check_scorer(self.importance_metric, "evaluate.importance_metric")


def scores(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    if len(np.unique(y)) < 2:
        raise LockstepError("the test set holds one class only: ROC AUC and PR AUC are undefined")
    pred = (proba >= threshold).astype(int)
    values = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": skm.recall_score(y, pred, zero_division=0),
        "f1": skm.f1_score(y, pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, proba),
        "pr_auc": skm.average_precision_score(y, proba),
        "log_loss": skm.log_loss(y, proba, labels=[0, 1]),
        "brier": skm.brier_score_loss(y, proba),
    }
    return {k: rounded(v) for k, v in values.items()}


def thin(x: np.ndarray, y: np.ndarray, points: int) -> np.ndarray:
    """Indices of at most ``points`` curve points, evenly spaced along the curve's length.

    Both ends are kept, and a stretch where the curve turns keeps more points than a straight
    one, so a thinned curve drawn with straight lines looks like the full one.
    """
    if len(x) <= points:
        return np.arange(len(x))
    length = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    marks = np.linspace(0.0, length[-1], points)
    picked = np.searchsorted(length, marks, side="left").clip(0, len(x) - 1)
    return np.unique(np.concatenate([[0, len(x) - 1], picked]))


def confusion_counts(confusion: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The per-row confusion records as counts, one record per (actual, predicted) pair."""
    pairs = pd.DataFrame(confusion, columns=["actual", "predicted"]).value_counts(sort=False)
    return [{"actual": a, "predicted": p, "count": int(n)} for (a, p), n in sorted(pairs.items())]


def curves(
    y: np.ndarray,
    proba: np.ndarray,
    classes: tuple[str, str],
    threshold: float,
    bins: int,
    points: int = 200,
) -> dict[str, list]:
    fpr, tpr, roc_t = skm.roc_curve(y, proba)
    roc = thin(fpr, tpr, points)
    fpr, tpr, roc_t = fpr[roc], tpr[roc], roc_t[roc]
    precision, recall, pr_t = skm.precision_recall_curve(y, proba)
    pr = thin(recall[:-1], precision[:-1], points)
    precision, recall, pr_t = precision[:-1][pr], recall[:-1][pr], pr_t[pr]
    frac_pos, mean_pred = calibration_curve(y, proba, n_bins=bins, strategy="quantile")
    pred = (proba >= threshold).astype(int)
    return {
        "roc": [
            {"fpr": rounded(a), "tpr": rounded(b), "threshold": rounded(min(t, 1.0))}
            for a, b, t in zip(fpr, tpr, roc_t, strict=True)
        ],
        "precision_recall": [
            {"recall": rounded(r), "precision": rounded(p), "threshold": rounded(t)}
            for r, p, t in zip(recall, precision, pr_t, strict=True)
        ],
        "calibration": [
            {"mean_predicted": rounded(m), "fraction_positive": rounded(f)}
            for m, f in zip(mean_pred, frac_pos, strict=True)
        ],
        "confusion_matrix": [
            {"actual": classes[a], "predicted": classes[p]} for a, p in zip(y, pred, strict=True)
        ],
    }


def importance(model: Any, X: pd.DataFrame, y: np.ndarray, params: EvaluateParams) -> list[dict]:
    """Permutation importance of every input column the model sees (derived ones included).

    On a seeded sample of ``importance_rows`` rows when there are more, so its cost is bounded.
    """
    scored = model[1:]  # past DerivedFeatures, so derived columns are permuted on their own
    if len(X) > params.importance_rows:
        rows = np.sort(
            np.random.default_rng(params.seed).choice(len(X), params.importance_rows, replace=False)
        )
        X, y = X.iloc[rows], y[rows]
    with text_categories():
        result = permutation_importance(
            scored,
            X,
            y,
            scoring=params.importance_metric,
            n_repeats=params.importance_repeats,
            random_state=params.seed,
        )
    rows = [
        {"feature": str(c), "importance": rounded(m), "std": rounded(s)}
        for c, m, s in zip(X.columns, result.importances_mean, result.importances_std, strict=True)
    ]
    return sorted(rows, key=lambda r: (-r["importance"], r["feature"]))


def feature_effects(model: Any, X: pd.DataFrame) -> dict[str, Any]:
    """The model card's signed effects, or why a model has none (shap cannot read it)."""
    try:
        return explain.card_effects(model, X)
    except LockstepError as exc:
        return {"error": str(exc)}


def score_rows(ids: pd.Series, y: np.ndarray, proba: np.ndarray) -> pd.DataFrame:
    """The scored test rows, in test-set order: id, label (1 = positive class), probability."""
    return pd.DataFrame(
        {
            "id": ids.astype(str).to_numpy(),
            "label": np.asarray(y, dtype="int8"),
            "probability": np.asarray(proba, dtype="float64"),
        }
    )


class Scored(NamedTuple):
    """The held-out rows scored by the saved model, with the config that read them."""

    params: dict[str, Any]
    data: DataConfig
    ev: EvaluateParams
    frame: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray
    model: Any
    proba: np.ndarray


def score_test_rows(params_path: str, model_path: str, input_path: str) -> Scored:
    """Load the params, the test rows and the model; score the rows."""
    params = load_params(params_path, PARAMS)
    data = read_section(DataConfig, params)
    ev = read_section(EvaluateParams, params)
    frame = read_parquet(input_path)
    model = load_model(model_path)
    X, y = model_input(model, frame.drop(columns=[data.target])), labels(frame, data)
    with text_categories():
        proba = model.predict_proba(X)[:, 1]
    return Scored(params, data, ev, frame, X, y, model, proba)


@click.command("evaluate")
@params_option()
@click.option("--model", "model_path", default=MODEL_FILE, show_default=True)
@click.option("--input", "input_path", default=TEST_FEATURES, show_default=True)
@click.option("--metrics", default=METRICS_FILE, show_default=True)
@click.option("--plots-dir", default=PLOTS_DIR, show_default=True)
@click.option("--counts", default=CONFUSION_COUNTS, show_default=True)
@click.option("--scores", "scores_path", default=SCORES_FILE, show_default=True)
@click.option("--effects", default=EFFECTS_FILE, show_default=True)
def command(
    params_path: str,
    model_path: str,
    input_path: str,
    metrics: str,
    plots_dir: str,
    scores_path: str,
    counts: str,
    effects: str,
) -> None:
    """Score the held-out test rows: metrics at the threshold, curves and feature importance."""
    _, data, ev, frame, X, y, model, proba = score_test_rows(params_path, model_path, input_path)
    negative = next((str(v) for v in frame[data.target].unique() if v != data.positive_class), "0")
    classes = (negative, str(data.positive_class))
    result = {"threshold": ev.threshold, "rows": len(frame), **scores(y, proba, ev.threshold)}
    plots = curves(y, proba, classes, ev.threshold, ev.calibration_bins, ev.curve_points)
    ids = [data.id_column] if data.id_column else []
    plots["feature_importance"] = importance(model, X.drop(columns=ids), y, ev)
    for name, rows in plots.items():
        write_json(f"{plots_dir}/{name}.json", rows)
    write_json(counts, confusion_counts(plots["confusion_matrix"]))
    write_parquet(scores_path, score_rows(frame[data.id_column], y, proba))
    write_json(effects, feature_effects(model, X))
    write_json(metrics, result)
    click.echo("evaluate: " + ", ".join(f"{k} {v}" for k, v in result.items()))
