"""Pure parts of lockstep explain: factors of a change, coalitions, Shapley values, intervals."""

from __future__ import annotations

import numpy as np
import pytest

from lockstep.bootstrap import roc_auc
from lockstep.review.explain import coalitions, paired_intervals, shapley, split_changes


def test_changed_files_split_into_data_params_code() -> None:
    paths = [
        "src/lockstep/a.py",
        "conf/model/x.yaml",
        "params.yaml",
        "data/source/t.csv",
        "README.md",
        "dvc.lock",
        "reports/metrics.json",
        "dvc.yaml",
    ]
    assert split_changes(paths) == {
        "data": ["data/source/t.csv"],
        "params": ["conf/model/x.yaml", "params.yaml"],
        "code": ["dvc.yaml", "src/lockstep/a.py"],
    }


def test_coalitions_cover_every_subset_once() -> None:
    subsets = coalitions(["data", "params", "code"])
    assert len(subsets) == 8 == len(set(subsets))
    assert subsets[0] == frozenset() and subsets[-1] == frozenset({"data", "params", "code"})


def test_shapley_parts_sum_to_the_total_with_interactions() -> None:
    table = {
        frozenset(): 0.80,
        frozenset({"data"}): 0.82,
        frozenset({"params"}): 0.79,
        frozenset({"code"}): 0.80,
        frozenset({"data", "params"}): 0.84,
        frozenset({"data", "code"}): 0.83,
        frozenset({"params", "code"}): 0.78,
        frozenset({"data", "params", "code"}): 0.86,
    }
    parts = shapley(["data", "params", "code"], table.__getitem__)
    assert sum(parts.values()) == pytest.approx(0.86 - 0.80, abs=1e-12)
    # an additive game gives each factor its own effect
    effects = {"data": 0.02, "params": -0.01}
    additive = shapley(list(effects), lambda s: 0.8 + sum(effects[f] for f in s))
    assert additive == pytest.approx(effects, abs=1e-12)


def test_a_factor_without_effect_gets_zero() -> None:
    parts = shapley(["data", "code"], lambda s: 0.9 if "data" in s else 0.8)
    assert parts == pytest.approx({"data": 0.1, "code": 0.0}, abs=1e-12)


def test_paired_intervals_hold_each_part() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.3).astype(int)
    base = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1.5, 300))))
    better = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 0.5, 300))))
    proba = {
        frozenset(): base,
        frozenset({"params"}): better,
        frozenset({"code"}): base,
        frozenset({"params", "code"}): better,
    }
    bounds = paired_intervals(["params", "code"], y, proba, roc_auc, 0.5, 200, 0.95, seed=1)
    assert bounds["code"] == (0.0, 0.0)  # switching code never changed a score
    assert bounds["params"][0] > 0  # the better scores are better on every resample's interval
