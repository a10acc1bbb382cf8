"""lockstep.serve.respond through the app: concurrent requests batched, the model that scored
named by its stage, and the canary picked by the record's id."""

from __future__ import annotations

import asyncio
import json

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx2")
import httpx2 as httpx
from fastapi.testclient import TestClient

from lockstep.serve.app import create_app
from lockstep.serve.batching import Batcher
from lockstep.serve.sources import DirSource
from tests.serve.test_app import logged, model_dir, records, setup  # noqa: F401  (fixture)


async def concurrently(app, bodies: list[dict]) -> list[dict]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
        answers = await asyncio.gather(*(client.post("/predict", json=b) for b in bodies))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return [a.json() for a in answers]


def test_concurrent_requests_are_scored_together_as_they_would_be_alone(setup):  # noqa: F811
    bodies = [{"records": records(n, start=10 * i)} for i, n in enumerate([1, 1, 2, 1, 3, 1])]
    alone = TestClient(create_app(setup["prod"], log_dir=str(setup["tmp"] / "alone")))
    expected = [alone.post("/predict", json=b).json()["predictions"] for b in bodies]
    batcher = Batcher(max_records=64, max_wait=5.0)
    app = create_app(setup["prod"], log_dir=str(setup["logs"]), batcher=batcher)
    answers = asyncio.run(concurrently(app, bodies))
    assert max(batcher.sizes) > 1  # some requests really were scored in one call
    metrics = TestClient(app).get("/metrics").text
    assert f"lockstep_batch_requests_count {float(len(batcher.sizes))}" in metrics
    assert [a["predictions"] for a in answers] == expected  # same ids, probabilities, labels
    rows = logged(setup["logs"])
    assert sorted(r["request"] for r in rows) == sorted(
        a["request"] for a in answers for _ in a["predictions"]
    )  # each record logged once, under its own request


def test_the_answer_log_and_metrics_name_the_stage_served(setup):  # noqa: F811
    folder = model_dir(setup["tmp"] / "staging", "v2.0.0")
    info = json.loads((folder / "version.json").read_text())
    (folder / "version.json").write_text(json.dumps({**info, "stages": ["staging"]}))
    source = DirSource(str(folder), setup["prod"].params)
    client = TestClient(create_app(source, log_dir=str(setup["logs"])))
    assert client.post("/predict", json={"records": records(2)}).json()["model"] == "staging"
    assert {r["model"] for r in logged(setup["logs"])} == {"staging"}
    assert 'model="staging"' in client.get("/metrics").text
    assert 'model="prod"' not in client.get("/metrics").text


def test_whitespace_in_the_body_does_not_move_a_record_to_the_canary(setup):  # noqa: F811
    app = create_app(setup["prod"], setup["canary"], 0.5, log_dir=str(setup["logs"]))
    client = TestClient(app)
    headers = {"content-type": "application/json"}
    for i in range(12):
        record = json.dumps(records(1, i)[0])
        spaced = [f'{{"records": [{record}]}}', f'{{"records":[{record}]}}{" " * i}\n']
        models = {
            client.post("/predict", content=body, headers=headers).json()["model"]
            for body in spaced
        }
        assert len(models) == 1
    assert {r["model"] for r in logged(setup["logs"])} == {"prod", "canary"}


def test_score_gives_the_same_answer_and_log_with_a_batcher_and_at_once(setup):  # noqa: F811
    from lockstep.serve.predlog import PredictionLog
    from lockstep.serve.respond import at_once, score

    loaded = setup["prod"].load()
    logs = {name: PredictionLog(str(setup["tmp"] / name)) for name in ("alone", "batched")}
    sent = records(4)
    alone = at_once(loaded, "prod", sent, logs["alone"])
    batched = asyncio.run(score(loaded, "prod", sent, logs["batched"], None, False, Batcher()))
    assert alone["predictions"] == batched["predictions"] and len(alone["predictions"]) == 4
    lines = {name: logged(setup["tmp"] / name) for name in logs}
    drop = ("ts", "request")
    assert [{k: v for k, v in r.items() if k not in drop} for r in lines["alone"]] == [
        {k: v for k, v in r.items() if k not in drop} for r in lines["batched"]
    ]
    bad = [dict(sent[0], tenure="many")]
    assert "errors" in at_once(loaded, "prod", bad, logs["alone"])
    assert len(logged(setup["tmp"] / "alone")) == 4  # nothing logged for refused records
