"""lockstep.stages.evaluate: what Git tracks and what importance costs stay bounded with rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import lockstep.stages.evaluate as evaluate
from lockstep.errors import LockstepError
from lockstep.models import make_estimator, make_pipeline
from lockstep.stages.evaluate import EvaluateParams, confusion_counts, curves, thin
from lockstep.stages.train import labels
from tests.helpers.tiny import DERIVED, data_config, raw_frame


def test_thin_keeps_both_ends_and_stays_close_to_the_full_curve():
    angle = np.linspace(0, np.pi / 2, 1000)
    x, y = 1 - np.cos(angle), np.sin(angle)
    kept = thin(x, y, 50)
    assert len(kept) <= 50 and kept[0] == 0 and kept[-1] == 999
    assert np.all(np.diff(kept) > 0)
    # every dropped point lies near the straight line through the kept points around it
    on_line = np.interp(x, x[kept], y[kept])
    assert np.max(np.abs(on_line - y)) < 0.02
    assert list(thin(x[:30], y[:30], 50)) == list(range(30))


def test_curves_hold_at_most_the_configured_points_and_every_row_in_the_counts():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5000)
    proba = np.clip(y * 0.3 + rng.random(5000) * 0.7, 0, 1)
    plots = curves(y, proba, ("No", "Yes"), 0.5, bins=5, points=40)
    assert 2 <= len(plots["roc"]) <= 40 and 2 <= len(plots["precision_recall"]) <= 40
    area = np.trapezoid([r["tpr"] for r in plots["roc"]], [r["fpr"] for r in plots["roc"]])
    assert area == pytest.approx(skm.roc_auc_score(y, proba), abs=0.01)
    counts = confusion_counts(plots["confusion_matrix"])
    assert len(counts) == 4 and sum(c["count"] for c in counts) == 5000
    per_row = pd.DataFrame(plots["confusion_matrix"]).value_counts()
    assert all(per_row[(c["actual"], c["predicted"])] == c["count"] for c in counts)


def test_importance_scores_a_seeded_sample_of_at_most_importance_rows(monkeypatch):
    cfg = data_config()
    frame = pd.concat([raw_frame()] * 20, ignore_index=True)
    X, y = frame.drop(columns=[cfg.target, cfg.id_column]), labels(frame, cfg)
    estimator = make_estimator({"family": "logistic_regression", "max_iter": 500}, seed=0)
    model = make_pipeline(cfg, DERIVED, estimator).fit(X, y)
    featurized = model[0].transform(X)
    seen: list[int] = []
    real = evaluate.permutation_importance

    def counting(estimator, X, y, **kwargs):
        seen.append(len(X))
        return real(estimator, X, y, **kwargs)

    monkeypatch.setattr(evaluate, "permutation_importance", counting)
    few = EvaluateParams(seed=0, importance_repeats=1, importance_rows=100)
    assert evaluate.importance(model, featurized, y, few) == evaluate.importance(
        model, featurized, y, few
    )
    evaluate.importance(model, featurized, y, EvaluateParams(seed=0, importance_repeats=1))
    assert seen == [100, 100, len(featurized)] and len(featurized) > 100
    with pytest.raises(LockstepError, match="importance_rows"):
        EvaluateParams(seed=0, importance_rows=10)
