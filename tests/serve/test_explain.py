"""`POST /predict?explain=true`: contributions that add up to the log-odds; unchanged without."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from lockstep.explain import Explainer
from lockstep.serve.app import create_app
from lockstep.serve.explain import parse_request
from lockstep.serve.sources import DirSource
from tests.helpers.tiny import params, write_params
from tests.serve.test_app import logged, model_dir, records


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
