"""lockstep.bootstrap: point metrics equal scikit-learn's; intervals are seeded and cover them."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from lockstep import bootstrap


def test_bootstrap_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 10)
    p = np.round(rng.random(20), 1)  # ties on purpose
    got = bootstrap.point(y, p, 0.5)
    pred = (p >= 0.5).astype(int)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert got["pr_auc"] == pytest.approx(skm.average_precision_score(y, p))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, p))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert got["precision"] == pytest.approx(skm.precision_score(y, pred))
    first = bootstrap.intervals(y, p, 0.5, 50, 0.9, seed=1)
    assert first == bootstrap.intervals(y, p, 0.5, 50, 0.9, seed=1)
    low, high = first["roc_auc"]
    assert low <= got["roc_auc"] <= high


def test_average_ranks_are_scipys_with_ties_exactly():
    from scipy.stats import rankdata

    rng = np.random.default_rng(3)
    for p in (np.round(rng.random(200), 1), rng.random(50), np.array([0.5, 0.5, 0.5])):
        assert np.array_equal(bootstrap.average_ranks(p), rankdata(p))
