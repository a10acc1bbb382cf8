"""lockstep.serve.reload and probe: a candidate model must score a probe batch before it is
swapped in; /model shows the last reload's outcome; /reload wants JSON and, if set, the token."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from lockstep.errors import LockstepError
from lockstep.modelfile import dumps_model
from lockstep.serve.app import create_app
from lockstep.serve.probe import probe_records
from lockstep.serve.reload import TOKEN_ENV, check_bind, try_reload
from lockstep.serve.sources import DirSource
from tests.helpers.models import fitted
from tests.helpers.tiny import data_config, params, write_params
from tests.serve.test_app import model_dir, records


@pytest.fixture
def served(tmp_path: Path, monkeypatch) -> tuple[TestClient, Path]:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    prm = write_params(tmp_path / "params.yaml", params())
    folder = model_dir(tmp_path / "prod", "v1.0.0")
    app = create_app(DirSource(str(folder), str(prm)), log_dir=str(tmp_path / "logs"))
    return TestClient(app), folder


def test_probe_records_pass_the_contract_they_are_built_from():
    from lockstep.contract.records import check_records
    from lockstep.contract.schema import build_schema

    data = data_config()
    rows = probe_records(data)
    schema = build_schema(data).remove_columns([data.target])
    batch, errors = check_records(rows, data, schema, None)
    assert errors == [] and batch is not None and len(rows) == 3
    assert len({r[data.id_column] for r in rows}) == 3
    assert {r["tenure"] for r in rows} == {0, 60, 120}  # min, middle, max of the contract


def test_a_bare_estimator_is_refused_and_the_old_model_serves_on(served, capsys):
    client, folder = served
    pipeline = fitted("logistic_regression")[0]
    (folder / "model.skops").write_bytes(dumps_model(pipeline.steps[-1][1]))  # no pipeline
    (folder / "version.json").write_text('{"version": "v2.0.0"}', encoding="utf-8")
    refused = client.post("/reload", json={})
    assert refused.status_code == 503
    assert "probe batch" in refused.json()["detail"] and "still serving" in refused.json()["detail"]
    info = client.get("/model").json()
    assert info["version"] == "v1.0.0"
    last = info["last_reload"]
    assert last["ok"] is False and last["trigger"] == "http" and "probe batch" in last["reason"]
    assert last["at"]
    assert client.get("/ready").status_code == 200
    assert client.post("/predict", json={"records": records(2)}).json()["version"] == "v1.0.0"
    try_reload(client.app.state.lockstep)  # what SIGHUP runs
    err = capsys.readouterr().err
    assert "reload failed, still serving v1.0.0" in err and "not loaded" not in err
    assert client.get("/model").json()["last_reload"]["trigger"] == "sighup"


def test_a_good_reload_is_shown_as_ok(served):
    client, folder = served
    model_dir(folder, "v2.0.0")
    assert client.post("/reload", json={}).json()["prod"] == "v2.0.0"
    last = client.get("/model").json()["last_reload"]
    assert last["ok"] is True and last["reason"] is None


def test_reload_refuses_what_a_cross_site_page_can_send(served):
    client, folder = served
    model_dir(folder, "v2.0.0")
    for headers, status in [
        ({"content-type": "text/plain"}, 415),
        ({}, 415),
        ({"content-type": "application/x-www-form-urlencoded"}, 415),
        ({"content-type": "application/json", "sec-fetch-site": "cross-site"}, 403),
    ]:
        assert client.post("/reload", content=b"{}", headers=headers).status_code == status
    assert client.get("/model").json()["version"] == "v1.0.0"


def test_reload_needs_the_token_when_one_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "s3cret")
    prm = write_params(tmp_path / "params.yaml", params())
    source = DirSource(str(model_dir(tmp_path / "prod", "v1.0.0")), str(prm))
    client = TestClient(create_app(source, log_dir=str(tmp_path / "logs")))
    assert client.post("/reload", json={}).status_code == 401
    wrong = {"authorization": "Bearer nope"}
    assert client.post("/reload", json={}, headers=wrong).status_code == 401
    right = {"authorization": "Bearer s3cret"}
    assert client.post("/reload", json={}, headers=right).status_code == 200


def test_binding_off_loopback_needs_a_token(monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        check_bind(host)
    for host in ("0.0.0.0", "192.168.1.5", "example.internal"):
        with pytest.raises(LockstepError, match=TOKEN_ENV):
            check_bind(host)
    monkeypatch.setenv(TOKEN_ENV, "s3cret")
    check_bind("0.0.0.0")
