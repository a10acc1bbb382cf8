"""lockstep.stages.evaluate: test-set scores, curves and permutation importance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from lockstep.errors import LockstepError
from lockstep.io import dumps_json
from lockstep.models import labels, make_estimator, make_pipeline
from lockstep.stages.evaluate import EvaluateParams, curves, importance, score_rows, scores
from tests.helpers.tiny import DERIVED, data_config, raw_frame

Y = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0])
PROBA = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.55, 0.7, 0.3])
CLASSES = ("No", "Yes")


def test_scores_match_sklearn_at_the_threshold():
    got = scores(Y, PROBA, 0.5)
    pred = (PROBA >= 0.5).astype(int)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(Y, pred), abs=1e-6)
    assert got["precision"] == pytest.approx(skm.precision_score(Y, pred), abs=1e-6)
    assert got["recall"] == pytest.approx(skm.recall_score(Y, pred), abs=1e-6)
    assert got["f1"] == pytest.approx(skm.f1_score(Y, pred), abs=1e-6)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(Y, PROBA), abs=1e-6)
    assert got["pr_auc"] == pytest.approx(skm.average_precision_score(Y, PROBA), abs=1e-6)
    assert got["log_loss"] == pytest.approx(skm.log_loss(Y, PROBA), abs=1e-6)
    assert got["brier"] == pytest.approx(skm.brier_score_loss(Y, PROBA), abs=1e-6)


def test_scores_depend_on_the_threshold_only_for_label_metrics():
    low, high = scores(Y, PROBA, 0.5), scores(Y, PROBA, 0.75)
    assert high["recall"] < low["recall"]
    for ranking in ("roc_auc", "pr_auc", "log_loss", "brier"):
        assert high[ranking] == low[ranking]


def test_scores_with_no_positive_prediction_give_zero_precision_not_an_error():
    got = scores(Y, PROBA, 0.99)
    assert got["precision"] == 0.0
    assert got["recall"] == 0.0


def test_scores_reject_mismatched_lengths():
    with pytest.raises(ValueError):
        scores(Y, PROBA[:-2], 0.5)


def test_curves_use_the_threshold_for_the_confusion_matrix():
    at_half = curves(Y, PROBA, CLASSES, 0.5, bins=2)["confusion_matrix"]
    at_high = curves(Y, PROBA, CLASSES, 0.75, bins=2)["confusion_matrix"]
    assert len(at_half) == len(Y)
    assert [row["actual"] for row in at_half] == ["Yes" if v else "No" for v in Y]
    assert [row["predicted"] for row in at_half] == ["Yes" if p >= 0.5 else "No" for p in PROBA]
    assert sum(row["predicted"] == "Yes" for row in at_high) == int((PROBA >= 0.75).sum())
    assert at_high != at_half


def test_curves_are_json_safe_and_match_sklearn_curves():
    plots = curves(Y, PROBA, CLASSES, 0.5, bins=2)
    dumps_json(plots)
    fpr, tpr, _ = skm.roc_curve(Y, PROBA)
    assert [row["fpr"] for row in plots["roc"]] == pytest.approx(list(fpr))
    assert [row["tpr"] for row in plots["roc"]] == pytest.approx(list(tpr))
    assert max(row["threshold"] for row in plots["roc"]) <= 1.0
    assert len(plots["calibration"]) == 2
    assert all(0 <= row["fraction_positive"] <= 1 for row in plots["calibration"])
    assert all(0 <= row["recall"] <= 1 for row in plots["precision_recall"])


def test_curves_reject_mismatched_lengths():
    with pytest.raises(ValueError):
        curves(Y[:-1], PROBA, CLASSES, 0.5, bins=2)


def test_importance_ranks_every_input_column():
    cfg = data_config()
    frame = raw_frame()
    X, y = frame.drop(columns=[cfg.target, cfg.id_column]), labels(frame, cfg)
    estimator = make_estimator({"family": "logistic_regression", "max_iter": 500}, seed=0)
    model = make_pipeline(cfg, DERIVED, estimator).fit(X, y)
    featurized = model[0].transform(X)
    params = EvaluateParams(seed=0, importance_repeats=2)
    rows = importance(model, featurized, y, params)
    assert sorted(r["feature"] for r in rows) == sorted(featurized.columns)
    values = [r["importance"] for r in rows]
    assert values == sorted(values, reverse=True)
    assert rows == importance(model, featurized, y, params)
    with pytest.raises(LockstepError, match="importance_metric: 'nope'"):
        EvaluateParams(seed=0, importance_metric="nope")
    with pytest.raises(LockstepError, match="threshold"):
        EvaluateParams(seed=0, threshold=1.5)


def test_score_rows_keep_ids_labels_and_exact_probabilities_in_order():
    import pandas as pd

    from lockstep.significance import Scores

    proba = np.array([0.123456789012, 0.9, 0.5])
    frame = score_rows(pd.Series(["c", "a", "b"]), np.array([1, 0, 1]), proba)
    assert list(frame.columns) == ["id", "label", "probability"]
    assert list(frame["id"]) == ["c", "a", "b"]
    assert frame["probability"].to_numpy().tolist() == proba.tolist()  # not rounded
    assert Scores.from_frame(frame).labels.tolist() == [1, 0, 1]
