"""lockstep.fairness and fairness_checks: hand-counted rates, fairlearn's definitions, limits."""

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
    resampled_disparities,
)
from lockstep.fairness_checks import breaches, card_section, changes, check_limits, report_section

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
    assert (dpd["highest_group"], dpd["lowest_group"]) == ("a", "b")
    eod = report["equalized_odds_difference"]  # the worse of |2/3 - 1/2| and |1/3 - 0|
    assert eod["value"] == pytest.approx(1 / 3, abs=1e-6) and eod["rate"] == "fpr"
    assert report["demographic_parity_ratio"]["value"] == pytest.approx((1 / 6) / (3 / 6), abs=1e-6)
    assert report["equalized_odds_ratio"]["value"] == pytest.approx(0.0, abs=1e-6)


def test_a_small_group_is_reported_as_too_small_and_left_out():
    report = column_report(Y, PRED, GROUPS, SMALL)
    c = report["groups"]["c"]
    assert c["too_small"].startswith("too few rows") and "selection_rate" not in c
    card = "\n".join(card_section({**fairness_report(Y, PRED, 0.5, {"g": GROUPS}, SMALL)}))
    assert "| c | 2 | 1 | n/a (too few rows (< 3)) |" in card
    only_a = column_report(Y[:8], PRED[:8], GROUPS[:8], SMALL)  # b has 2 rows here
    assert "fewer than two groups" in only_a["note"]
    assert not any(name in only_a for name in DISPARITIES)


def test_point_values_are_fairlearns_on_the_groups_kept():
    report = column_report(Y, PRED, GROUPS, SMALL)
    keep = GROUPS != "c"
    for name in DISPARITIES:
        theirs = getattr(fm, name)(Y[keep], PRED[keep], sensitive_features=GROUPS[keep])
        assert report[name]["value"] == pytest.approx(theirs, abs=1e-6)


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


def entry(value: float, low: float, high: float) -> dict:
    return {"value": value, "low": low, "high": high, "rate": "tpr"} | {
        "lowest_group": "0",
        "highest_group": "1",
    }


def report_of(**disparities: dict) -> dict:
    return {"confidence": 0.95, "columns": {"senior": dict(disparities)}}


def test_a_limit_is_breached_only_by_an_interval_wholly_beyond_it():
    above = report_of(equalized_odds_difference=entry(0.3, 0.2, 0.4))
    straddles = report_of(equalized_odds_difference=entry(0.15, 0.05, 0.25))
    _, reasons = breaches(above, {"equalized_odds_difference": 0.1})
    assert len(reasons) == 1
    assert "equalized_odds_difference for `senior`" in reasons[0]
    assert "tpr of group 1 vs 0" in reasons[0] and "wholly above the limit 0.1" in reasons[0]
    assert breaches(straddles, {"equalized_odds_difference": 0.1})[1] == []
    ratio = report_of(demographic_parity_ratio=entry(0.5, 0.4, 0.6))
    assert "wholly below" in breaches(ratio, {"demographic_parity_ratio": 0.8})[1][0]
    assert breaches(ratio, {"demographic_parity_ratio": 0.5})[1] == []


def test_unmeasured_disparities_breach_nothing_and_bad_limits_are_named():
    report = {"columns": {"senior": {"groups": {}, "note": "fewer than two groups"}}}
    lines, reasons = breaches(report, {"equalized_odds_difference": 0.1})
    assert reasons == [] and "not measured" in lines[0]
    with pytest.raises(LockstepError, match=r"promote\.fairness_limits: 'eod'"):
        check_limits({"eod": 0.1}, "promote")


def test_a_change_is_flagged_only_when_significantly_worse():
    base = report_of(equalized_odds_difference=entry(0.10, 0.08, 0.12))
    much = report_of(equalized_odds_difference=entry(0.20, 0.18, 0.22))
    noise = report_of(equalized_odds_difference=entry(0.11, 0.09, 0.13))
    assert [r["worse"] for r in changes(base, much)] == [True]
    assert [r["worse"] for r in changes(base, noise)] == [False]
    assert [r["worse"] for r in changes(much, base)] == [False]  # better is never flagged
    text = "\n".join(report_section(base, much, {}))
    assert "🔻 `senior` equalized_odds_difference is significantly worse" in text
    assert report_section(None, None, {}) == []


def test_bad_fairness_params_are_refused():
    with pytest.raises(LockstepError, match="min_group_rows"):
        FairnessParams(seed=1, min_group_rows=0)
