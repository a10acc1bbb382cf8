"""lockstep.serve.app: the HTTP contract through FastAPI's TestClient, on a model fitted here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")

from fastapi.testclient import TestClient

from lockstep.modelfile import dumps_model
from lockstep.serve.app import create_app
from lockstep.serve.sources import DirSource
from tests.helpers.models import fitted
from tests.helpers.tiny import params, raw_frame, write_params


def model_dir(folder: Path, version: str, family: str = "logistic_regression") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.skops").write_bytes(dumps_model(fitted(family)[0]))
    info = {"artifact": "churn-model", "version": version, "commit": "c0ffee", "stages": ["prod"]}
    (folder / "version.json").write_text(json.dumps(info), encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps({"roc_auc": 0.9}), encoding="utf-8")
    return folder


def records(n: int = 3, start: int = 0) -> list[dict]:
    frame = raw_frame().drop(columns=["churn"])
    rows = json.loads(frame.to_json(orient="records"))
    return [dict(rows[(start + i) % 20], customer_id=f"x{start + i}") for i in range(n)]


@pytest.fixture
def setup(tmp_path: Path) -> dict:
    prm = write_params(tmp_path / "params.yaml", params())
    return {
        "prod": DirSource(str(model_dir(tmp_path / "prod", "v1.0.0")), str(prm)),
        "canary": DirSource(str(model_dir(tmp_path / "canary", "v1.1.0")), str(prm)),
        "logs": tmp_path / "logs",
        "tmp": tmp_path,
    }


@pytest.fixture
def client(setup: dict) -> TestClient:
    return TestClient(create_app(setup["prod"], log_dir=str(setup["logs"]), max_records=50))


def logged(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "predictions.jsonl").read_text().splitlines()]


def test_good_batch_is_scored_at_the_threshold_by_the_prod_model(client):
    response = client.post("/predict", json={"records": records(5)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "prod" and body["version"] == "v1.0.0" and body["threshold"] == 0.5
    assert [p["id"] for p in body["predictions"]] == [f"x{i}" for i in range(5)]
    for p in body["predictions"]:
        assert 0 <= p["probability"] <= 1
        assert p["label"] == int(p["probability"] >= 0.5)


def test_target_column_is_accepted_and_ignored(client):
    rows = [dict(r, churn="Yes") for r in records(2)]
    assert client.post("/predict", json={"records": rows}).status_code == 200


def test_bad_fields_give_422_with_record_field_and_message(client):
    rows = records(4)
    rows[0]["tenure"] = -5
    rows[1]["contract"] = "Forever"
    rows[2]["monthly_charges"] = "lots"
    rows[3]["total_charges"] = None  # nullable in the contract: fine
    response = client.post("/predict", json={"records": rows})
    assert response.status_code == 422
    errors = {(e["record"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(1, "tenure"), (2, "contract"), (3, "monthly_charges")}  # from 1
    assert all(e["message"] for e in response.json()["errors"])


def test_missing_extra_and_non_object_records_are_named(client):
    rows = records(3)
    del rows[0]["tenure"]
    rows[1]["favourite_colour"] = "blue"
    rows[2] = ["not", "an", "object"]
    errors = client.post("/predict", json={"records": rows}).json()["errors"]
    assert {"record": 1, "field": "tenure", "message": "field required"} in errors
    assert {"record": 2, "field": "favourite_colour", "message": "not in the data contract"} in (
        errors
    )
    assert {"record": 3, "field": None, "message": "must be a JSON object"} in errors


def test_id_column_is_required_and_unique_in_a_batch(client):
    rows = records(2)
    del rows[0]["customer_id"]
    assert client.post("/predict", json={"records": rows}).status_code == 422
    rows = records(2)
    rows[1]["customer_id"] = rows[0]["customer_id"]
    errors = client.post("/predict", json={"records": rows}).json()["errors"]
    assert {(e["record"], e["field"]) for e in errors} == {(1, "customer_id"), (2, "customer_id")}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b'{"records": []}', {"content-type": "application/json"}, 422),
        (b"{not json", {"content-type": "application/json"}, 422),
        (b'["records"]', {"content-type": "application/json"}, 422),
        (b'{"records": {"a": 1}}', {"content-type": "application/json"}, 422),
        (b'{"records": [{}]}', {"content-type": "text/plain"}, 415),
        (b"records=1", {"content-type": "application/x-www-form-urlencoded"}, 415),
    ],
)
def test_malformed_requests_never_give_500(client, body, headers, status):
    assert client.post("/predict", content=body, headers=headers).status_code == status


def test_a_batch_over_the_maximum_gives_413(client):
    assert client.post("/predict", json={"records": records(51)}).status_code == 413
    assert client.post("/predict", json={"records": records(50)}).status_code == 200


def test_health_ready_and_model(client):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json()["version"] == "v1.0.0"
    info = client.get("/model").json()
    assert info["name"] == "churn-model" and info["stage"] == "prod"
    assert info["commit"] == "c0ffee" and info["metrics"] == {"roc_auc": 0.9}


def test_not_ready_until_a_model_is_loaded(setup):
    client = TestClient(create_app(setup["prod"], log_dir=str(setup["logs"]), eager=False))
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 503
    assert client.post("/predict", json={"records": records(1)}).status_code == 503


def test_metrics_count_requests_and_scores_by_model(client):
    client.post("/predict", json={"records": records(3)})
    client.post("/predict", json={"records": []})
    text = client.get("/metrics").text
    ok = 'lockstep_http_requests_total{method="POST",model="prod",route="/predict",status="200"}'
    assert ok in text and 'route="/predict",status="422"' in text
    assert 'lockstep_prediction_score_count{model="prod",version="v1.0.0"} 3.0' in text
    assert 'lockstep_http_request_duration_seconds_bucket{le="0.25",model="prod"' in text


def test_every_scored_record_is_logged_with_a_pseudonymized_id(client, setup):
    client.post("/predict", json={"records": records(3)})
    rows = logged(setup["logs"])
    assert len(rows) == 3
    assert {r["model"] for r in rows} == {"prod"} and {r["version"] for r in rows} == {"v1.0.0"}
    assert all(len(r["id"]) == 16 and not r["id"].startswith("x") for r in rows)
    assert set(rows[0]["features"]) == {
        "tenure", "monthly_charges", "total_charges", "contract", "online_security", "tech_support"
    }  # fmt: skip
    assert all(0 <= r["score"] <= 1 and r["ts"] for r in rows)


def test_ids_already_pseudonymized_are_logged_as_sent(setup):
    app = create_app(setup["prod"], log_dir=str(setup["logs"]), pseudonymized=True)
    TestClient(app).post("/predict", json={"records": records(2)})
    assert [r["id"] for r in logged(setup["logs"])] == ["x0", "x1"]


def test_canary_gets_its_share_deterministically_and_is_labelled(setup):
    app = create_app(setup["prod"], setup["canary"], 0.3, log_dir=str(setup["logs"]))
    client = TestClient(app)
    roles = [client.post("/predict", json={"records": records(1, i)}).json() for i in range(100)]
    canary = [r for r in roles if r["model"] == "canary"]
    assert 0.15 < len(canary) / 100 < 0.45
    assert {r["version"] for r in canary} == {"v1.1.0"}
    again = client.post("/predict", json={"records": records(1, 0)}).json()
    assert again["model"] == roles[0]["model"]
    assert 'model="canary"' in client.get("/metrics").text
    assert client.get("/model").json()["canary"]["version"] == "v1.1.0"
    assert {r["model"] for r in logged(setup["logs"])} == {"prod", "canary"}


def test_reload_swaps_in_a_new_version_and_a_failed_reload_keeps_the_old(client, setup):
    model_dir(Path(setup["prod"].path), "v2.0.0")
    answer = client.post("/reload", json={}).json()
    assert answer["prod"] == "v2.0.0", answer
    assert client.post("/predict", json={"records": records(1)}).json()["version"] == "v2.0.0"
    (Path(setup["prod"].path) / "model.skops").write_bytes(b"not a model")
    response = client.post("/reload", json={})
    assert response.status_code == 503 and "still serving" in response.json()["detail"]
    assert client.get("/model").json()["version"] == "v2.0.0"


def test_values_the_schema_coerces_are_still_accepted(client):
    rows = records(2)
    rows[0]["tenure"] = "12"
    rows[1]["monthly_charges"] = 30
    rows[1]["tenure"] = 7.0
    assert client.post("/predict", json={"records": rows}).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"tenure": 10**30},
        {"monthly_charges": float("inf")},
        {"total_charges": float("nan")},
        {"tenure": {"nested": 1}},
        {"contract": ["One year"]},
        {"online_security": True},
    ],
)
def test_odd_values_give_422_not_500(client, change):
    response = client.post(
        "/predict",
        content=json.dumps({"records": [dict(records(1)[0], **change)]}),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["record"] in (1, None)


def test_the_prediction_log_reads_back_as_a_drift_batch(client, setup):
    from lockstep.monitor.drift import conform, read_batch

    sent = records(6)
    sent[2]["tenure"] = str(sent[2]["tenure"])  # coerced by the schema: logged as the number
    body = client.post("/predict", json={"records": sent}).json()
    batch = read_batch(str(setup["logs"] / "predictions.jsonl"), "current")
    assert batch["score"].tolist() == [p["probability"] for p in body["predictions"]]
    frame = conform(batch, setup["prod"].load().data, "current", "log")
    expected = raw_frame().drop(columns=["churn", "customer_id"]).head(6).reset_index(drop=True)
    assert frame["tenure"].tolist() == expected["tenure"].astype(float).tolist()
    assert frame["contract"].tolist() == expected["contract"].tolist()
    assert frame["total_charges"].isna().tolist() == expected["total_charges"].isna().tolist()


def post_raw(client, body: bytes, content_type: str = "application/json"):
    return client.post("/predict", content=body, headers={"content-type": content_type})


@pytest.mark.parametrize(
    "body",
    [
        b'{"records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # deeper than Python recurses
        b'{"records": [{"tenure": ' + b"1" * 5000 + b"}]}",  # past Python's int-digit limit
        b'{"records": [{"customer_id": "a", "\\ud800": 1}]}',  # a lone surrogate as a name
        b'{"records": [{"\\ud800": {}}]}',
    ],
)
def test_json_python_cannot_hold_gives_422_not_500(client, body):
    response = post_raw(client, body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tenure": True}, "must be a number, not true"),
        ({"monthly_charges": False}, "must be a number, not false"),
        ({"tenure": 2**63}, "out of range for a 64-bit integer"),
        ({"monthly_charges": 10**400}, "too large for a float"),
        ({"contract": "One year\ud800"}, "not valid Unicode text"),
        ({"customer_id": "\udfff"}, "not valid Unicode text"),
    ],
)
def test_values_no_column_can_hold_are_named_by_record_and_field(client, change, message):
    rows = records(2)
    rows[1].update(change)
    body = json.dumps({"records": rows}).encode()
    response = post_raw(client, body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["record"], e["field"]) for e in errors] == [(2, next(iter(change)))]
    assert message in errors[0]["message"]


def test_text_in_a_float_column_is_read_as_the_schema_reads_it(client):
    rows = records(2)
    rows[0]["monthly_charges"] = "50.5"
    assert post_raw(client, json.dumps({"records": rows}).encode()).status_code == 200
    rows[0]["monthly_charges"] = "abc"
    errors = post_raw(client, json.dumps({"records": rows}).encode()).json()["errors"]
    assert [(e["record"], e["field"]) for e in errors] == [(1, "monthly_charges")]
    assert "cannot be read as float64" in errors[0]["message"]


def test_media_type_is_case_insensitive(client):
    body = json.dumps({"records": records(1)}).encode()
    assert post_raw(client, body, "Application/JSON; charset=utf-8").status_code == 200


def test_a_chunked_body_over_the_limit_gives_413(client):
    chunks = (b" " * 1024 for _ in range(2000))  # 2 MB, over this client's 50 × 16,384 bytes
    response = client.post("/predict", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_reading_a_body_stops_at_the_limit():
    import asyncio

    from lockstep.serve.app import _read_body

    pulled = []

    class Chunked:
        async def stream(self):
            for i in range(100):
                pulled.append(i)
                yield b"x" * 10

    assert asyncio.run(_read_body(Chunked(), 55)) is None and len(pulled) == 6
    assert asyncio.run(_read_body(Chunked(), 1000)) == b"x" * 1000


@pytest.fixture
def big_client(setup: dict) -> TestClient:
    """Bodies up to 1000 records (16 MB), as `lockstep serve` allows by default."""
    return TestClient(create_app(setup["prod"], log_dir=str(setup["logs"]), max_records=1000))


def test_a_record_with_a_million_unknown_keys_is_refused_before_parsing(big_client):
    known = json.dumps(records(1)[0])[1:-1].encode()
    unknown = b",".join(b'"k%d":1' % i for i in range(1_200_000))
    body = b'{"records":[{' + known + b"," + unknown + b"}]}"
    assert 14_000_000 < len(body) < 1000 * 16_384  # under the byte limit: the field bound stops it
    response = post_raw(big_client, body)
    assert response.status_code == 413
    assert "too many fields" in response.json()["detail"]
    assert len(response.content) < 64_000


def test_errors_are_capped_per_record_and_per_response(big_client):
    rows = records(30)
    for i, row in enumerate(rows):
        row.update({f"unknown_{i}_{k}": k for k in range(500)})
    response = post_raw(big_client, json.dumps({"records": rows}).encode())
    assert response.status_code == 422
    errors = response.json()["errors"]
    per_record = {}
    for error in errors:
        per_record[error["record"]] = per_record.get(error["record"], 0) + 1
    assert max(n for r, n in per_record.items() if r is not None) <= 21  # 20 and a "more" line
    assert len(errors) <= 101
    assert errors[-1] == {
        "record": None,
        "field": None,
        "message": "only the first 100 errors shown",
    }
    assert len(response.content) < 64_000


@pytest.mark.parametrize("field", ["contract", "x" * 5_000_000])
def test_a_huge_value_or_field_name_is_cut_in_the_answer(big_client, field):
    rows = records(2)
    rows[1][field] = "y" * 8_000_000
    response = post_raw(big_client, json.dumps({"records": rows}).encode())
    assert response.status_code == 422
    assert len(response.content) < 64_000
    (error,) = response.json()["errors"]
    assert error["record"] == 2
    assert len(error["field"]) <= 81 and len(error["message"]) < 300


@pytest.mark.parametrize("value", [False, True])
def test_a_boolean_id_is_refused_not_hashed_as_text(client, value):
    rows = records(2)
    rows[0]["customer_id"] = value
    response = client.post("/predict", json={"records": rows})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"record": 1, "field": "customer_id", "message": f"must be text, not {str(value).lower()}"}
    ]


@pytest.mark.parametrize("path", ["predictions.jsonl", "predictions.1.jsonl"])
def test_the_default_prediction_log_is_git_ignored_and_outside_reports(path):
    import subprocess

    from lockstep.paths import PREDICTIONS_DIR
    from tests.conftest import ROOT

    assert not PREDICTIONS_DIR.startswith("reports/")  # reports/ is kept in Git
    ignored = subprocess.run(["git", "check-ignore", "-q", f"{PREDICTIONS_DIR}/{path}"], cwd=ROOT)
    assert ignored.returncode == 0
