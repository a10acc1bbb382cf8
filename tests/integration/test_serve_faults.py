"""`lockstep serve` for real under faults: slow headers are cut off, and a server killed with
SIGKILL while rotating its log under load loses no answered prediction and tears nothing that
the next start does not repair."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")

from tests.helpers.tiny import params, write_params
from tests.integration.test_serve_integration import Server, put_model, records

pytestmark = pytest.mark.slow


def closed_within(port: int, first: bytes, limit: float) -> float:
    """Seconds until the server closes a connection that sent only ``first``."""
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        start = time.monotonic()
        sock.sendall(first)
        assert sock.recv(1024) == b""  # closed, with no answer
        return time.monotonic() - start


def logged(folder: Path) -> list[str]:
    """Every logged line; read again when a rotation renames a file between listing and reading."""
    while True:
        files = sorted(folder.glob("predictions*.jsonl"))
        try:
            return [line for f in files for line in f.read_text().splitlines()]
        except FileNotFoundError:
            continue


def test_slow_headers_are_cut_and_kill_9_loses_no_answered_prediction(tmp_path: Path):
    write_params(tmp_path / "params.yaml", params())
    put_model(tmp_path / "prod", "v1.0.0")
    args = ("--model", "prod", "--log-dir", "logs", "--pseudonymized", "--log-max-bytes", "4000")
    server = Server(tmp_path, *args, "--header-timeout", "1")
    try:
        assert closed_within(server.port, b"POST /predict HTTP/1.1\r\nHost: a\r\n", 10) < 5
        assert closed_within(server.port, b"", 10) < 5
        answered: list[str] = []
        statuses: list[int] = []
        lock = threading.Lock()

        def client(k: int) -> None:
            for i in range(100_000):
                try:
                    status, body = server.predict(records(2, k * 100_000 + 2 * i))
                except OSError:
                    return  # the server is gone
                with lock:
                    statuses.append(status)
                    answered.extend(p["id"] for p in body["predictions"])

        threads = [threading.Thread(target=client, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        while len(logged(tmp_path / "logs")) < 200:
            time.sleep(0.05)
        server.proc.kill()  # SIGKILL, mid-load
        server.proc.wait()
        for t in threads:
            t.join()
    finally:
        server.stop()
    assert statuses and set(statuses) == {200}
    lines = logged(tmp_path / "logs")
    assert len(list((tmp_path / "logs").glob("predictions.*.jsonl"))) >= 5  # rotated, all kept
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == len(set(ids)) and set(answered) <= set(ids)
    with open(tmp_path / "logs" / "predictions.jsonl", "ab") as handle:
        handle.write(b'{"id": "torn", "score": 0.')  # as if killed inside a write
    again = Server(tmp_path, *args)
    try:
        assert again.predict(records(1, 999_999))[0] == 200
    finally:
        again.stop()
    output = again.proc.stdout.read().decode()
    assert "cut a torn last line" in output
    after = [json.loads(line)["id"] for line in logged(tmp_path / "logs")]  # all parse
    assert sorted(after) == sorted([*ids, "r999999"])
