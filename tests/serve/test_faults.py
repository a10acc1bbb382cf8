"""lockstep.serve: faults answered for what they are. A log that cannot be written gives 503 and
an unready /ready (never a logged record whose caller got an error); a client that goes away
mid-body is a 499, not a 500; a body that takes too long is a 408."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from lockstep.serve import predlog
from lockstep.serve.app import create_app
from lockstep.serve.sources import DirSource
from tests.helpers.tiny import params, write_params
from tests.serve.test_app import model_dir, records


@pytest.fixture
def source(tmp_path: Path) -> DirSource:
    prm = write_params(tmp_path / "params.yaml", params())
    return DirSource(str(model_dir(tmp_path / "prod", "v1.0.0")), str(prm))


def logged_ids(folder: Path) -> list[str]:
    path = folder / "predictions.jsonl"
    return [json.loads(x)["id"] for x in path.read_text().splitlines()] if path.exists() else []


def break_disk(monkeypatch, code: int) -> None:
    def failing(fd: int, data: bytes) -> None:
        os.write(fd, data[:10])  # a part gets written before the error, as on a real disk
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(predlog, "_write_all", failing)


@pytest.mark.parametrize(
    ("code", "reason"), [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only")]
)
def test_a_log_that_cannot_be_written_gives_503_and_not_ready_until_it_can(
    source, tmp_path, monkeypatch, code, reason
):
    logs = tmp_path / "logs"
    client = TestClient(create_app(source, log_dir=str(logs)))
    assert client.post("/predict", json={"records": records(2, 0)}).status_code == 200
    break_disk(monkeypatch, code)
    refused = client.post("/predict", json={"records": records(2, 10)})
    assert refused.status_code == 503 and reason in refused.json()["detail"]
    ready = client.get("/ready")
    assert ready.status_code == 503 and reason in ready.json()["detail"]
    monkeypatch.undo()  # space freed / folder writable again
    assert client.get("/ready").status_code == 200
    assert client.post("/predict", json={"records": records(1, 20)}).status_code == 200
    ids = logged_ids(logs)
    assert len(ids) == 3  # 2 before, 1 after: none of the refused request's records
    text = (logs / "predictions.jsonl").read_text()
    assert all(json.loads(line) for line in text.splitlines()) and text.endswith("\n")
    assert 'status="503"' in client.get("/metrics").text


def asgi(app, body_parts: list, delay: float = 0.0) -> list[dict]:
    """Call the ASGI app with a POST /predict whose body arrives as ``body_parts``; a part that is
    None means the client disconnected. Returns the messages the app sent."""
    sent: list[dict] = []
    parts = list(body_parts)

    async def receive() -> dict:
        await asyncio.sleep(delay)
        if not parts:
            await asyncio.sleep(3600)
        part = parts.pop(0)
        if part is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/predict", "raw_path": b"/predict", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 8000),
        "headers": [(b"content-type", b"application/json"), (b"host", b"127.0.0.1")],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_that_leaves_mid_body_is_a_499_with_no_traceback(source, tmp_path, caplog):
    app = create_app(source, log_dir=str(tmp_path / "logs"))
    half = json.dumps({"records": records(1)}).encode()[:30]
    with caplog.at_level(logging.DEBUG):
        sent = asgi(app, [half, None])
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [499]
    assert not [r for r in caplog.records if r.exc_info] and "Traceback" not in caplog.text
    text = TestClient(app).get("/metrics").text
    assert 'route="/predict",status="499"' in text and 'status="500"' not in text
    assert logged_ids(tmp_path / "logs") == []


def test_a_body_that_takes_too_long_gets_408(source, tmp_path):
    app = create_app(source, log_dir=str(tmp_path / "logs"), body_timeout=0.3)
    body = json.dumps({"records": records(1)}).encode()
    sent = asgi(app, [body[:20], body[20:40], body[40:]], delay=0.2)  # 0.6 s in all
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    detail = json.loads(b"".join(m.get("body", b"") for m in sent))["detail"]
    assert "not received within 0.3 s" in detail
    assert asgi(app, [body[:20], body[20:]], delay=0.05)[0]["status"] == 200  # in time
