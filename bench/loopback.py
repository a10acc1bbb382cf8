"""The loopback side of the serve benchmarks: start `lockstep serve`, send it load, read it.

``start_server`` runs a real `lockstep serve --model` process on a free 127.0.0.1 port and waits
until it is ready (``start_trivial``: an app with the same HTTP handling and no model, the HTTP
ceiling); ``paced`` sends requests over keep-alive connections with an asyncio client (uvloop when
installed), at a total rate or unpaced; ``batch_totals`` reads the requests and batches scored
so far from the server's /metrics. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from fastapi import Request  # module level: the route's annotations are looked up here
from fastapi.responses import Response

BIN = Path(sys.executable).parent


def start_server(
    folder: Path, params: Path, extra: tuple[str, ...] = (), name: str = "logs"
) -> tuple[subprocess.Popen, int]:
    cmd = [str(BIN / "lockstep"), "serve", "--model", "model", "--params", str(params)]
    return _wait_ready([*cmd, "--log-dir", name, *extra], folder)


def _wait_ready(cmd: list[str], folder: Path) -> tuple[subprocess.Popen, int]:
    """Run ``cmd`` with ``--port`` (a free one) in ``folder``; wait for GET /ready."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCKSTEP_", "DVC_"))}
    proc = subprocess.Popen([*cmd, "--port", str(port)], cwd=folder, env=env)
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"{' '.join(cmd[:3])} did not become ready")


def trivial_app() -> object:
    """An app with lockstep's request handling (metrics, body deadline) and a /predict that reads
    the JSON body and answers a fixed prediction: what HTTP alone allows on this machine."""
    import json

    from fastapi import FastAPI

    from lockstep.serve.metrics import Measured, new_metrics
    from lockstep.serve.transport import install

    app = FastAPI()

    @app.get("/ready")
    def ready() -> dict:
        return {}

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        request.scope["lockstep"]["model"] = "prod"
        records = json.loads(await request.body())["records"]
        answer = {"predictions": [{"id": None, "probability": 0.5, "label": 1}] * len(records)}
        return Response(json.dumps(answer).encode(), media_type="application/json")

    install(app, 30.0)
    return Measured(app, new_metrics())


def start_trivial() -> tuple[subprocess.Popen, int]:
    """``trivial_app`` under uvicorn (httptools, uvloop) as `lockstep serve` runs it."""
    cmd = [str(BIN / "python"), "-m", "uvicorn", "loopback:trivial_app", "--factory"]
    cmd += ["--app-dir", str(Path(__file__).parent), "--log-level", "warning", "--no-access-log"]
    return _wait_ready(cmd, Path(__file__).parent)


def paced(
    port: int, bodies: list[bytes], rate: float, connections: int, path: str = "/predict"
) -> tuple[list[float], float]:
    """Send ``bodies`` at ``rate`` requests/s in total (0: as fast as possible) over
    ``connections`` keep-alive connections; (latencies in s, wall time in s)."""
    try:
        import uvloop

        return uvloop.run(_paced(port, bodies, rate, connections, path))
    except ImportError:
        return asyncio.run(_paced(port, bodies, rate, connections, path))


async def _paced(
    port: int, bodies: list[bytes], rate: float, connections: int, path: str
) -> tuple[list[float], float]:
    latencies: list[float] = []
    start = time.perf_counter() + 0.05

    async def client(k: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(k, len(bodies), connections):
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            t0 = time.perf_counter()
            head = f"POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
            writer.write(f"{head}content-length: {len(bodies[i])}\r\n\r\n".encode() + bodies[i])
            status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
            length = next(int(h[15:]) for h in lines if h.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if status_line.split()[1] != b"200":
                raise SystemExit(f"request failed: {status_line.decode()}")
        writer.close()

    await asyncio.gather(*(client(k) for k in range(connections)))
    return latencies, time.perf_counter() - start


def batch_totals(port: int) -> tuple[float, float]:
    """(requests scored in batches, batches) so far, from the server's /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    value = {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("lockstep_batch_requests_")
    }
    return value["lockstep_batch_requests_sum"], value["lockstep_batch_requests_count"]
