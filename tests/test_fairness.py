"""lockstep.fairness: hand-counted rates, fairlearn's definitions, small groups, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn import metrics as fm

from lockstep import bootstrap
from lockstep.errors import LockstepError
from lockstep.fairness import (
    DISPARITIES,
    FairnessParams,
    column_report,
    fairness_report,
    group_rates,
    resampled_disparities,
)
from lockstep.fairness_checks import card_section, gap
from lockstep.io import rounded

# Group a: 6 rows, y 1 1 1 0 0 0, pred 1 1 0 1 0 0 → selected 3/6, TPR 2/3, FPR 1/3, precision 2/3
# Group b: 6 rows, y 1 1 0 0 0 0, pred 1 0 0 0 0 0 → selected 1/6, TPR 1/2, FPR 0/4, precision 1/1
# Group c: 2 rows (too few for min_group_rows 3)
GROUPS = np.array(["a"] * 6 + ["b"] * 6 + ["c"] * 2, dtype=object)
Y = np.array([1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0])
PRED = np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
SMALL = FairnessParams(seed=3, min_group_rows=3, min_group_positives=1, bootstrap_samples=50)


def test_group_rates_and_disparities_match_a_hand_count():
    report = column_report(Y, PRED, GROUPS, SMALL)
    a, b = report["groups"]["a"], report["groups"]["b"]
    assert (a["rows"], a["positives"]) == (6, 3) and (b["rows"], b["positives"]) == (6, 2)
    expected_a = {"selection_rate": 3 / 6, "tpr": 2 / 3, "fpr": 1 / 3, "precision": 2 / 3}
    expected_b = {"selection_rate": 1 / 6, "tpr": 1 / 2, "fpr": 0 / 4, "precision": 1 / 1}
    for key in expected_a:
        assert a[key] == pytest.approx(expected_a[key], abs=1e-6)
        assert b[key] == pytest.approx(expected_b[key], abs=1e-6)
    dpd = report["demographic_parity_difference"]
    assert dpd["value"] == pytest.approx(3 / 6 - 1 / 6, abs=1e-6)
    assert gap(dpd) == ("selection_rate", "a", "b")
    eod = report["equalized_odds_difference"]  # the worse of |2/3 - 1/2| and |1/3 - 0|
    assert eod["value"] == pytest.approx(1 / 3, abs=1e-6) and gap(eod)[0] == "fpr"
    assert report["demographic_parity_ratio"]["value"] == pytest.approx((1 / 6) / (3 / 6), abs=1e-6)
    assert report["equalized_odds_ratio"]["value"] == pytest.approx(0.0, abs=1e-6)


def test_a_small_group_is_reported_as_too_small_and_left_out():
    report = column_report(Y, PRED, GROUPS, SMALL)
    c = report["groups"]["c"]
    assert c["too_small"] is True and "selection_rate" not in c
    card = "\n".join(card_section({**fairness_report(Y, PRED, 0.5, {"g": GROUPS}, SMALL)}))
    assert "| c | 2 | 1 | n/a (too few rows (< 3)) |" in card
    only_a = column_report(Y[:8], PRED[:8], GROUPS[:8], SMALL)  # b has 2 rows here
    assert not any(name in only_a for name in DISPARITIES)
    alone = card_section({**fairness_report(Y[:8], PRED[:8], 0.5, {"g": GROUPS[:8]}, SMALL)})
    assert "fewer than two groups large enough" in "\n".join(alone)


def test_point_values_are_fairlearns_on_the_groups_kept():
    report = column_report(Y, PRED, GROUPS, SMALL)
    keep = GROUPS != "c"
    for name in DISPARITIES:
        theirs = getattr(fm, name)(Y[keep], PRED[keep], sensitive_features=GROUPS[keep])
        assert report[name]["value"] == pytest.approx(theirs, abs=1e-6)


def test_group_rates_are_fairlearns_metric_frame():
    from sklearn.metrics import precision_score

    rng = np.random.default_rng(5)
    groups = rng.choice(["p", "q", "r"], size=400).astype(object)
    y = rng.integers(0, 2, 400)
    pred = (rng.random(400) < np.where(groups == "p", 0.7, 0.2)).astype(int)
    frame = fm.MetricFrame(
        metrics={
            "selection_rate": fm.selection_rate,
            "tpr": fm.true_positive_rate,
            "fpr": fm.false_positive_rate,
            "precision": lambda a, b: precision_score(a, b, zero_division=np.nan),
        },
        y_true=y,
        y_pred=pred,
        sensitive_features=groups,
    ).by_group
    ours = group_rates(y, pred, groups)
    assert list(ours) == [str(g) for g in frame.index]
    for group, row in frame.iterrows():
        mask = groups == group
        assert ours[group]["rows"] == mask.sum() and ours[group]["positives"] == y[mask].sum()
        for key in ("selection_rate", "tpr", "fpr", "precision"):
            assert ours[group][key] == rounded(row[key]), (group, key)  # as the report rounds


def test_resampled_disparities_equal_fairlearn_on_every_resample():
    rng = np.random.default_rng(0)
    groups = rng.choice(["x", "y", "z"], size=300)
    y = rng.integers(0, 2, 300)
    pred = (rng.random(300) < np.where(groups == "x", 0.6, 0.3)).astype(int)
    params = FairnessParams(seed=11, bootstrap_samples=6)
    codes = np.searchsorted(np.array(["x", "y", "z"]), groups)
    ours = resampled_disparities(y, pred, codes, 3, params)
    for i, idx in enumerate(bootstrap.resamples(300, 6, 11)):
        for name in DISPARITIES:
            theirs = getattr(fm, name)(y[idx], pred[idx], sensitive_features=groups[idx])
            assert ours[name][i] == pytest.approx(theirs, abs=1e-12), (name, i)


def test_report_is_seeded_and_intervals_lie_within_the_resamples():
    one = fairness_report(Y, PRED, 0.5, {"g": GROUPS}, SMALL)
    assert one == fairness_report(Y, PRED, 0.5, {"g": GROUPS}, SMALL)
    keep = GROUPS != "c"
    codes = np.searchsorted(np.array(["a", "b"]), GROUPS[keep])
    draws = resampled_disparities(Y[keep], PRED[keep], codes, 2, SMALL)
    for name in DISPARITIES:
        finite = draws[name][~np.isnan(draws[name])]
        got = one["columns"]["g"][name]
        assert finite.min() - 1e-6 <= got["low"] <= got["high"] <= finite.max() + 1e-6


def test_bad_fairness_params_are_refused():
    with pytest.raises(LockstepError, match="min_group_rows"):
        FairnessParams(seed=1, min_group_rows=0)
