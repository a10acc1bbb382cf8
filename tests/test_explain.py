"""lockstep.explain: contributions that add up to the score, signed global effects."""

from __future__ import annotations

import numpy as np
import pytest

from lockstep.errors import LockstepError
from lockstep.explain import Explainer, card_effects, card_lines, global_effects
from lockstep.io import dumps_json
from tests.helpers.models import ONE_HOT
from tests.test_models import fitted


def test_logistic_contributions_add_up_to_the_log_odds_within_1e_9():
    model, X = fitted("logistic_regression")
    explainer = Explainer(model)
    matrix = model[:-1].transform(X)
    log_odds = model.decision_function(X)
    values, base = explainer.contributions(matrix)
    assert np.max(np.abs(base + values.sum(axis=1) - log_odds)) < 1e-9
    by_input, _ = explainer.by_input(matrix)
    assert by_input.shape == (len(X), len(explainer.inputs))
    assert np.max(np.abs(base + by_input.sum(axis=1) - log_odds)) < 1e-9
    # one-hot levels are summed back into their input column
    assert "contract" in explainer.inputs and "contract_One year" in explainer.features
    assert len(explainer.inputs) < len(explainer.features)
    for record, expected in zip(explainer.records(matrix, 2), log_odds, strict=True):
        shown = sum(c["contribution"] for c in record["contributions"])
        assert len(record["contributions"]) == 2 and record["units"] == "log-odds"
        assert abs(record["base"] + shown + record["rest"] - expected) < 1e-9
        assert abs(record["output"] - expected) < 1e-9
        sizes = [abs(c["contribution"]) for c in record["contributions"]]
        assert sizes == sorted(sizes, reverse=True)


def test_global_effect_of_a_linear_model_is_its_coefficient():
    model, X = fitted("logistic_regression")
    explainer = Explainer(model)
    effects = {r["feature"]: r for r in global_effects(explainer, model[:-1].transform(X))}
    coef = dict(zip(explainer.features, model[-1].coef_[0], strict=True))
    for name, row in effects.items():
        if row["effect"] is not None:
            assert row["effect"] == pytest.approx(coef[name], rel=1e-9, abs=1e-12)
    text = "\n".join(card_lines(card_effects(model, X), rows=3))
    assert "its coefficient" in text and text.count("\n| ") == 4  # header + 3 rows


def test_the_card_table_is_the_same_from_the_effects_file_evaluate_writes():
    import json

    model, X = fitted("logistic_regression")
    saved = json.loads(dumps_json(card_effects(model, X)))  # as reports/feature_effects.json
    assert card_lines(saved) == card_lines(card_effects(model, X))
    assert len(saved["features"]) == len(Explainer(model).features)
    assert card_lines({"error": "explain: cannot read it"}) == [
        "Not available: explain: cannot read it."
    ]


@pytest.mark.slow  # imports shap (seconds)
@pytest.mark.parametrize("family", ["hist_gradient_boosting", "random_forest"])
def test_tree_contributions_are_shap_values_that_add_up(family):
    pytest.importorskip("shap")
    model, X = fitted(family, **(ONE_HOT if family == "hist_gradient_boosting" else {}))
    explainer = Explainer(model)
    values, base = explainer.by_input(model[:-1].transform(X))
    if family == "random_forest":
        raw = model.predict_proba(X)[:, 1]
        assert explainer.units == "probability"
    else:
        raw = model.decision_function(X)
        assert explainer.units == "log-odds"
    assert np.max(np.abs(base + values.sum(axis=1) - raw)) < 1e-6
    assert "slope of its SHAP value" in "\n".join(card_lines(card_effects(model, X)))


def test_a_model_with_native_category_splits_is_refused_with_the_fix():
    model, _ = fitted("hist_gradient_boosting", categorical_features="from_dtype")
    with pytest.raises(LockstepError, match=r"model\.categorical_features: null"):
        Explainer(model)
