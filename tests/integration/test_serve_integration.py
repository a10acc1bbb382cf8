"""`lockstep serve` for real: uvicorn on 127.0.0.1 and a free port, started and stopped here.

The model is fitted on the tiny data in tests/helpers/tiny.py, so no pipeline runs.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from lockstep.io import write_bytes, write_text
from lockstep.modelfile import dumps_model
from tests.conftest import BIN, project_env, run
from tests.helpers.models import fitted
from tests.helpers.tiny import params, raw_frame, write_params

pytestmark = pytest.mark.slow
FEATURES = json.loads(raw_frame().drop(columns=["churn"]).to_json(orient="records"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def put_model(folder: Path, version: str, family: str = "logistic_regression") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes(folder / "model.skops", dumps_model(fitted(family)[0]))
    info = {"artifact": "churn-model", "version": version, "stages": ["prod"]}  # as `model get`
    write_text(folder / "version.json", json.dumps(info))
    return folder


def records(n: int, start: int = 0) -> list[dict]:
    return [dict(FEATURES[(start + i) % 20], customer_id=f"r{start + i}") for i in range(n)]


class Server:
    """`lockstep serve ARGS` in a subprocess; ``call`` sends one request over loopback."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.port = free_port()
        cmd = [str(BIN / "lockstep"), "serve", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=project_env(LOCKSTEP_TEST_PSEUDONYM_KEY="tiny-test-key"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(self.proc.stdout.read().decode())
            try:
                if self.call("GET", "/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("lockstep serve did not become ready in 60 s")

    def call(self, method: str, path: str, body: bytes | None = None, ctype: str = "") -> tuple:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"content-type": ctype or "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            kind = response.getheader("content-type", "")
            return response.status, json.loads(data) if "json" in kind else data.decode()
        finally:
            conn.close()

    def predict(self, rows: list) -> tuple:
        return self.call("POST", "/predict", json.dumps({"records": rows}).encode())

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_params(tmp_path / "params.yaml", params())
    put_model(tmp_path / "prod", "v1.0.0")
    put_model(tmp_path / "canary", "v1.1.0")
    return tmp_path


@pytest.fixture
def server(workdir: Path):
    running = Server(workdir, "--model", "prod", "--log-dir", "logs")
    yield running
    running.stop()


def test_api_contract_on_a_real_server(server, workdir):
    status, body = server.predict(records(3))
    assert status == 200 and body["model"] == "prod" and body["version"] == "v1.0.0"
    assert [p["label"] for p in body["predictions"]] == [
        int(p["probability"] >= 0.5) for p in body["predictions"]
    ]
    bad = records(2)
    bad[1]["tenure"] = "twelve"
    status, body = server.predict(bad)
    assert status == 422 and [(e["record"], e["field"]) for e in body["errors"]] == [(2, "tenure")]
    assert server.predict([])[0] == 422
    assert server.predict(records(1001))[0] == 413
    assert server.call("POST", "/predict", b"tenure=1", "text/plain")[0] == 415
    assert server.call("POST", "/predict", b"{oops")[0] == 422
    assert server.call("GET", "/health") == (200, {"status": "ok"})
    assert server.call("GET", "/model")[1]["version"] == "v1.0.0"
    metrics = server.call("GET", "/metrics")[1]
    assert 'route="/predict",status="413"' in metrics and "lockstep_prediction_score" in metrics
    logged = (workdir / "logs" / "predictions.jsonl").read_text().splitlines()
    assert len(logged) == 3


def test_canary_share_over_2000_requests(workdir):
    server = Server(
        workdir, "--model", "prod", "--canary-model", "canary", "--canary-fraction", "0.1",
        "--log-dir", "logs",
    )  # fmt: skip
    seen: Counter = Counter()
    lock = threading.Lock()

    def client(k: int) -> None:
        for i in range(500):
            status, body = server.predict(records(1, k * 500 + i))
            with lock:
                seen[(status, body["model"])] += 1

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        metrics = server.call("GET", "/metrics")[1]
    finally:
        server.stop()
    assert sum(seen.values()) == 2000 and {s for s, _ in seen} == {200}
    share = seen[(200, "canary")] / 2000
    assert 0.075 <= share <= 0.125, share
    logged = Counter(
        json.loads(line)["model"]
        for line in (workdir / "logs" / "predictions.jsonl").read_text().splitlines()
    )
    assert logged == {"prod": seen[(200, "prod")], "canary": seen[(200, "canary")]}
    count = f'lockstep_prediction_score_count{{model="canary",version="v1.1.0"}} {share * 2000}'
    assert count in metrics


def test_reload_under_load_loses_no_request(server, workdir):
    results: list = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(k: int) -> None:
        after = 0  # requests sent once the last reload is done
        for i in range(100_000):
            outcome = server.predict(records(2, k * 100_000 + i))
            with lock:
                results.append((outcome[0], outcome[1].get("version")))
            after += stop.is_set()
            if after > 20:
                return

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for n, version in enumerate(["v2.0.0", "v3.0.0", "v4.0.0"]):
        time.sleep(0.5)
        put_model(workdir / "prod", version, "random_forest" if n == 1 else "logistic_regression")
        if version == "v3.0.0":
            server.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while server.call("GET", "/model")[1]["version"] != version:
                assert time.monotonic() < deadline, "SIGHUP did not reload the model"
                time.sleep(0.1)
        else:
            assert server.call("POST", "/reload", b"{}")[0] == 200
    stop.set()
    for t in threads:
        t.join()
    assert results and all(status == 200 for status, _ in results), Counter(results)
    versions = {v for _, v in results}
    assert {"v1.0.0", "v4.0.0"} <= versions
    assert server.call("GET", "/model")[1]["version"] == "v4.0.0"


def test_serve_stage_prod_resolves_through_the_registry(project):
    commit = run(["git", "rev-parse", "HEAD"], project).stdout.strip()
    run(["git", "tag", "-a", "churn-model@v0.1.0", "-m", "register", commit], project)
    run(["git", "tag", "-a", "churn-model#prod#1", "-m", "assign", commit], project)
    rows = pd.read_parquet(project / "data/split/test.parquet").drop(columns=["churn"])
    server = Server(project, "--stage", "prod", "--log-dir", str(project.parent / "logs"))
    try:
        info = server.call("GET", "/model")[1]
        status, body = server.predict(json.loads(rows.head(5).to_json(orient="records")))
    finally:
        server.stop()
    assert info["version"] == "v0.1.0" and info["commit"] == commit and info["stage"] == "prod"
    assert info["metrics"]["roc_auc"] > 0.5
    assert status == 200 and body["version"] == "v0.1.0" and len(body["predictions"]) == 5
