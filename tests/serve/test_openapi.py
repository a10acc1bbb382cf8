"""lockstep.serve.openapi: GET /openapi.json describes the real /predict contract and /metrics."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("jsonschema")
import jsonschema
from fastapi.testclient import TestClient

from lockstep.serve.app import create_app
from lockstep.serve.sources import DirSource
from tests.helpers.tiny import data_config, params, write_params
from tests.serve.test_app import model_dir, records

# the served model's Scorer turns this off when it loads: in another test's scope, it is back on
pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> DirSource:
    folder = tmp_path_factory.mktemp("openapi")
    prm = write_params(folder / "params.yaml", params())
    return DirSource(str(model_dir(folder / "prod", "v1.0.0")), str(prm))


@pytest.fixture(scope="module")
def described(source, tmp_path_factory):
    app = create_app(source, log_dir=str(tmp_path_factory.mktemp("logs")), max_records=7)
    return TestClient(app), TestClient(app).get("/openapi.json").json()


def body_schema(spec: dict) -> dict:
    return spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]


def test_predict_body_is_built_from_the_data_contract(described):
    _, spec = described
    data = data_config()
    items = body_schema(spec)["properties"]["records"]
    assert items["minItems"] == 1 and items["maxItems"] == 7
    record = items["items"]
    assert set(record["required"]) == set(data.columns) - {data.target}
    assert data.id_column in record["required"]
    assert record["additionalProperties"] is (data.extra_columns != "fail")
    for name, column in data.columns.items():
        if name == data.target:
            continue
        prop = record["properties"][name]
        if column.allowed is not None:
            assert set(prop["enum"]) - {None} == set(column.allowed)
        if column.min is not None:
            assert prop["minimum"] == column.min
        assert ("null" in prop["type"]) is column.nullable


def test_the_schema_accepts_what_predict_accepts_and_refuses_what_it_refuses(described):
    client, spec = described
    schema = body_schema(spec)
    good = {"records": records(3)}
    jsonschema.validate(good, schema)
    assert client.post("/predict", json=good).status_code == 200
    bad = {"records": [dict(records(1)[0], contract="Forever")]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    assert client.post("/predict", json=bad).status_code == 422
    extra = {"records": [dict(records(1)[0], favourite_colour="blue")]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(extra, schema)
    assert client.post("/predict", json=extra).status_code == 422


def test_predict_failures_and_metrics_text_are_described(described):
    _, spec = described
    responses = spec["paths"]["/predict"]["post"]["responses"]
    assert {"200", "413", "415", "422", "503"} <= set(responses)
    error = responses["422"]["content"]["application/json"]["schema"]
    assert {"detail", "errors"} <= set(error["properties"])
    metrics = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain; version=0.0.4"]
    assert "application/json" not in metrics


def test_predict_is_described_as_a_post_operation_with_its_name(described):
    client, spec = described
    assert list(spec["paths"]["/predict"]) == ["post"]
    operation = spec["paths"]["/predict"]["post"]
    assert operation["operationId"] == "predict_predict_post" and operation["summary"] == "Predict"
    other = client.get("/predict")  # the route takes POST only
    assert other.status_code == 405 and other.headers["allow"] == "POST"


def test_before_a_model_is_loaded_records_are_plain_objects(source, tmp_path):
    app = create_app(source, log_dir=str(tmp_path), eager=False)
    spec = TestClient(app).get("/openapi.json").json()
    assert body_schema(spec)["properties"]["records"]["items"] == {"type": "object"}
