"""lockstep.explain and `POST /predict?explain=true`: contributions that add up to the score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lockstep.explain import Explainer, card_section, global_effects, parse_request
from tests.unit.test_models import fitted

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from lockstep.serve import create_app
from lockstep.serving import DirSource
from tests.unit.test_serve import logged, model_dir, records
from tests.unit.tiny import params, write_params


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
    text = "\n".join(card_section(model, X, rows=3))
    assert "its coefficient" in text and text.count("\n| ") == 4  # header + 3 rows


@pytest.mark.slow  # imports shap (seconds)
@pytest.mark.parametrize("family", ["hist_gradient_boosting", "random_forest"])
def test_tree_contributions_are_shap_values_that_add_up(family):
    pytest.importorskip("shap")
    model, X = fitted(family)
    explainer = Explainer(model)
    values, base = explainer.by_input(model[:-1].transform(X))
    if family == "random_forest":
        raw = model.predict_proba(X)[:, 1]
        assert explainer.units == "probability"
    else:
        raw = model.decision_function(X)
        assert explainer.units == "log-odds"
    assert np.max(np.abs(base + values.sum(axis=1) - raw)) < 1e-6
    assert "slope of its SHAP value" in "\n".join(card_section(model, X))


@pytest.mark.parametrize(
    ("explain", "top", "expected"),
    [(None, None, None), ("false", "3", None), ("true", None, 5), ("TRUE", "0", 0), ("1", "2", 2)],
)
def test_parse_request(explain, top, expected):
    assert parse_request(explain, top) == expected


@pytest.mark.parametrize(("explain", "top"), [("maybe", None), ("true", "-1"), ("true", "x")])
def test_parse_request_refuses_bad_values(explain, top):
    with pytest.raises(ValueError, match=r"explain|top"):
        parse_request(explain, top)


@pytest.fixture
def source(tmp_path: Path) -> DirSource:
    prm = write_params(tmp_path / "params.yaml", params())
    return DirSource(str(model_dir(tmp_path / "prod", "v1.0.0")), str(prm))


def test_predict_without_explain_is_unchanged_and_with_it_adds_up(source, tmp_path):
    client = TestClient(create_app(source, log_dir=str(tmp_path / "logs")))
    body = {"records": records(4)}
    plain = client.post("/predict", json=body).json()
    assert all(set(p) == {"id", "probability", "label"} for p in plain["predictions"])
    explained = client.post("/predict?explain=true&top=3", json=body)
    assert explained.status_code == 200, explained.text
    model = source.load().model
    log_odds = model.decision_function(pd.DataFrame(records(4)))
    for p, q, expected in zip(
        plain["predictions"], explained.json()["predictions"], log_odds, strict=True
    ):
        assert q["probability"] == p["probability"] and q["label"] == p["label"]
        e = q["explanation"]
        assert len(e["contributions"]) == 3
        total = e["base"] + sum(c["contribution"] for c in e["contributions"]) + e["rest"]
        assert abs(total - expected) < 1e-9
    assert "explanation" not in logged(tmp_path / "logs")[0]  # not kept unless configured
    assert client.post("/predict?explain=perhaps", json=body).status_code == 422


def test_the_log_keeps_full_explanations_when_configured(source, tmp_path):
    app = create_app(source, log_dir=str(tmp_path / "logs"), log_explanations=True)
    reply = TestClient(app).post("/predict", json={"records": records(2)}).json()
    assert all("explanation" not in p for p in reply["predictions"])
    for row in logged(tmp_path / "logs"):
        e = row["explanation"]
        assert e["rest"] == 0.0 and len(e["contributions"]) == len(
            Explainer(source.load().model).inputs
        )
