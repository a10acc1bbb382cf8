"""lockstep.tune.space: the search-space config and its checks."""

from __future__ import annotations

import pytest
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from lockstep.config import build
from lockstep.errors import LockstepError
from lockstep.tune.space import TuneParams, distributions


def params(space, **more) -> TuneParams:
    return build(TuneParams, {"space": space, "seed": 1, **more}, "tune")


def test_ranges_and_choices_become_distributions():
    space = {
        "C": {"low": 0.001, "high": 10, "log": True},
        "max_iter": {"low": 100, "high": 1000, "step": 100},
        "tol": {"low": 0.0001, "high": 0.01, "step": 0.0001},
        "class_weight": {"choices": [None, "balanced"]},
    }
    out = distributions(params(space), "logistic_regression")
    assert out["C"] == FloatDistribution(0.001, 10.0, log=True)
    assert out["max_iter"] == IntDistribution(100, 1000, step=100)
    assert out["tol"] == FloatDistribution(0.0001, 0.01, step=0.0001)
    assert out["class_weight"] == CategoricalDistribution((None, "balanced"))


def test_a_param_the_estimator_lacks_is_named():
    space = {"C": {"low": 0.1, "high": 1.0}, "depth": {"low": 1, "high": 3}}
    with pytest.raises(LockstepError, match=r"tune.space.depth: LogisticRegression has no param"):
        distributions(params(space), "logistic_regression")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"low": 1.0, "high": 1.0}, r"tune.space.C: empty range, low 1.0 is not below high 1.0"),
        ({"low": 5, "high": 1}, r"tune.space.C: empty range"),
        ({"choices": []}, r"tune.space.C.choices is empty"),
        ({"low": 0.0, "high": 1.0, "log": True}, r"tune.space.C: a log range needs low > 0"),
        ({"low": 0.1, "high": 1.0, "log": "yes"}, r"tune.space.C.log must be true or false"),
        ({"low": 0.1}, r"tune.space.C: a range needs low and high"),
        ({"low": 0.1, "high": 1.0, "scale": 2}, r"tune.space.C: a range needs low and high"),
        ({"low": "a", "high": 1.0}, r"tune.space.C.low must be a number"),
        ({"low": 0.1, "high": 1.0, "step": 5}, r"tune.space.C.step 5 must be > 0"),
        ({"choices": [1], "low": 0}, r"tune.space.C: give either choices or low/high"),
        ({"choices": [[1, 2]]}, r"tune.space.C.choices: \[1, 2\] is not a number"),
        (3, r"tune.space.C must be a mapping"),
    ],
)
def test_bad_entries_fail_naming_the_entry(spec, message):
    with pytest.raises(LockstepError, match=message):
        distributions(params({"C": spec}), "logistic_regression")


@pytest.mark.parametrize(
    ("family", "key", "spec", "value"),
    [
        ("logistic_regression", "l1_ratio", {"low": 0.0, "high": 2.0}, "2.0"),
        ("logistic_regression", "solver", {"choices": ["saga", "newton"]}, "'newton'"),
        ("hist_gradient_boosting", "learning_rate", {"low": -0.1, "high": 0.3}, "-0.1"),
    ],
)
def test_a_bound_or_choice_the_estimator_rejects_is_named(family, key, spec, value):
    with pytest.raises(LockstepError, match=rf"tune.space.{key}: \w+ rejects {value}: The '{key}'"):
        distributions(params({key: spec}), family)


def test_an_unknown_metric_fails_naming_it():
    with pytest.raises(LockstepError, match=r"tune.metric: 'auc' is not a scikit-learn scorer"):
        params({"C": {"low": 0.1, "high": 1.0}}, metric="auc")


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ({"n_trials": 0}, "tune.n_trials must be at least 1"),
        ({"cv_folds": 1}, "tune.cv_folds must be at least 2"),
        ({"cv_repeats": 0}, r"tune.cv_repeats must be at least 1, got 0"),
        ({"cv_repeats": 1.5}, r"tune.cv_repeats must be int, got 1.5"),
        ({"startup_trials": -1}, "tune.startup_trials must be 0 or more"),
    ],
)
def test_budget_and_folds_are_checked(more, message):
    with pytest.raises(LockstepError, match=message):
        params({"C": {"low": 0.1, "high": 1.0}}, **more)


def test_an_empty_space_and_an_unknown_family_fail():
    with pytest.raises(LockstepError, match=r"tune.space is empty"):
        params({})
    with pytest.raises(LockstepError, match=r"model.family: 'svm' is not one of"):
        distributions(params({"C": {"low": 0.1, "high": 1.0}}), "svm")


def test_every_committed_space_fits_its_estimator():
    """Each conf/tune/<family>.yaml names only params its family's estimator takes."""
    import yaml

    from lockstep.compose import compose
    from tests.conftest import ROOT

    for path in sorted((ROOT / "conf" / "tune").glob("*.yaml")):
        family = path.stem
        cfg = yaml.safe_load(compose(ROOT / "conf", (f"model={family}", f"+tune={family}")))
        tune = build(TuneParams, cfg["tune"], "tune")
        assert set(distributions(tune, cfg["model"]["family"])) == set(tune.space)
