"""What one hostile request costs `lockstep serve`: extra memory, answer size, /health latency.

A real `lockstep serve` process on 127.0.0.1 (model fitted as in bench/serve.py) gets, one at a
time: a record with 1.2 million unknown keys (about 15 MB), a record with an 8 MB string value,
and 1000 records that each break the contract in 40 ways. For each it prints the server's peak
resident memory above its idle level (sampled every 5 ms), the answer's status and size, and the
slowest /health answer while the request was in flight. Goals: under 100 MB extra, under 64 KB.

Prints figures only. Run: python bench/serve_abuse.py
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil

from common import machine
from loopback import start_server
from serve import fit_model


def hostile_bodies(rows: list[dict]) -> dict[str, bytes]:
    known = json.dumps(rows[0])[1:-1].encode()
    keys = b",".join(b'"k%d":1' % i for i in range(1_200_000))
    many = [dict(r, **{f"extra_{k}": "z" * 200 for k in range(40)}) for r in rows[:1000]]
    return {
        "1.2M unknown keys": b'{"records":[{' + known + b"," + keys + b"}]}",
        "8 MB string value": json.dumps(
            {"records": [dict(rows[0], contract="y" * 8_000_000)]}
        ).encode(),
        "1000 records x 40 errors": json.dumps({"records": many}).encode(),
    }


def post(port: int, body: bytes) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/predict", body, {"content-type": "application/json"})
    response = conn.getresponse()
    return response.status, len(response.read())


def measure(port: int, pid: int, body: bytes) -> dict:
    proc = psutil.Process(pid)
    idle = proc.memory_info().rss
    peak, health, done = [idle], [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)

    def probe() -> None:
        while not done.is_set():
            start = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/health")
            conn.getresponse().read()
            health[0] = max(health[0], time.perf_counter() - start)
            time.sleep(0.02)

    threads = [threading.Thread(target=f, daemon=True) for f in (sample, probe)]
    for t in threads:
        t.start()
    status, size = post(port, body)
    done.set()
    for t in threads:
        t.join()
    return {"status": status, "answer_bytes": size, "extra_mb": (peak[0] - idle) / 2**20,
            "slowest_health_ms": health[0] * 1000}  # fmt: skip


def main() -> None:
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        params, _, rows = fit_model(folder)
        proc, port = start_server(folder, params)
        try:
            for name, body in hostile_bodies(rows).items():
                result = measure(port, proc.pid, body)
                print(f"{name:26s} body {len(body) / 2**20:5.1f} MB -> " + ", ".join(
                    f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in result.items()))  # fmt: skip
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
