"""`lockstep serve` latency and throughput over loopback, next to in-process predict_proba.

A model is fitted here (on data/split/train.parquet with params.yaml's model section when the
pipeline has run, else on the tiny test data), written to a temporary folder and served by a real
`lockstep serve` process on 127.0.0.1. A local client then sends bounded, paced load: single-record
requests at --rate requests/s and 100-record requests at a tenth of that, each on keep-alive
connections, then an unpaced burst for the maximum requests per second. The same records are
then scored in this process two ways: the saved Pipeline's predict_proba on a DataFrame (the
floor the target is set against), and the server's own path without HTTP (the contract check and
lockstep.scoring.Scorer), which shows what HTTP itself adds. Target: p99 single-record latency at
100 requests/s within 5 ms of the in-process p99.

Prints figures only; it never fails on timing. Run from anywhere: python bench/serve.py --help
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import machine

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def fit_model(folder: Path) -> tuple[Path, Any, list[dict]]:
    """Fit and save a model; return (params path, model, scoring records without the target)."""
    import pandas as pd
    import yaml

    from lockstep.config import read_section
    from lockstep.contract.schema import DataConfig
    from lockstep.models import dumps_model, loads_model, make_estimator, make_pipeline

    if (ROOT / "data/split/train.parquet").exists():
        params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
        train = pd.read_parquet(ROOT / "data/split/train.parquet")
        test = pd.read_parquet(ROOT / "data/split/test.parquet")
    else:
        from tests.unit.tiny import params as tiny_params
        from tests.unit.tiny import raw_frame

        params, train = tiny_params(), raw_frame()
        test = train
    data = read_section(DataConfig, params)
    derived = params["featurize"]["derived"]
    model = make_pipeline(data, derived, make_estimator(params["model"], 0))
    model.fit(train.drop(columns=[data.target]), (train[data.target] == data.positive_class))
    blob = dumps_model(model)
    (folder / "model").mkdir()
    (folder / "model" / "model.skops").write_bytes(blob)
    (folder / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    rows = json.loads(test.drop(columns=[data.target]).to_json(orient="records"))
    return folder / "params.yaml", loads_model(blob), rows


def batches(rows: list[dict], size: int, count: int, id_column: str) -> list[bytes]:
    out = []
    for n in range(count):
        start = (n * size) % len(rows)
        chunk = [
            dict(rows[(start + i) % len(rows)], **{id_column: f"b{n}-{i}"}) for i in range(size)
        ]
        out.append(json.dumps({"records": chunk}).encode())
    return out


def paced(
    port: int, bodies: list[bytes], rate: float, threads: int, path: str = "/predict"
) -> tuple[list[float], float]:
    """Send ``bodies`` at ``rate`` requests/s in total (0: as fast as possible); latencies in s."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.05

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for i in range(k, len(bodies), threads):
            if rate:
                time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            t0 = time.perf_counter()
            conn.request("POST", path, bodies[i], {"content-type": "application/json"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status != 200:
                raise SystemExit(f"request failed with {response.status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, time.perf_counter() - start


def in_process(model: Any, bodies: list[bytes]) -> list[float]:
    """predict_proba of the saved Pipeline on the records as a DataFrame (the issue's floor)."""
    import pandas as pd

    frames = [pd.DataFrame(json.loads(b)["records"]) for b in bodies]
    model.predict_proba(frames[0])
    out = []
    for frame in frames:
        t0 = time.perf_counter()
        model.predict_proba(frame)
        out.append(time.perf_counter() - t0)
    return out


def in_process_lockstep(
    model: Any, params: Path, bodies: list[bytes], explain: bool = False
) -> list[float]:
    """What the server does per request, minus HTTP: the contract check, then the Scorer (and,
    with ``explain``, each record's top-5 contributions as `?explain=true` computes them)."""
    import yaml

    from lockstep.config import read_section
    from lockstep.contract.pseudonym import pseudonym_key
    from lockstep.contract.records import check_records
    from lockstep.contract.schema import DataConfig, build_schema
    from lockstep.serve.scoring import Scorer

    data = read_section(DataConfig, yaml.safe_load(params.read_text()))
    schema = build_schema(data).remove_columns([data.target])
    key, scorer = pseudonym_key(data.pseudonymize), Scorer(model)
    from lockstep.serve.explain import explainer_for

    records = [json.loads(b)["records"] for b in bodies]
    scorer.positive_proba(check_records(records[0], data, schema, key)[0])
    explainer_for(model)  # built once per loaded model, as in the server
    out = []
    for batch in records:
        t0 = time.perf_counter()
        checked = check_records(batch, data, schema, key)[0]
        scorer.positive_proba(checked)
        if explain:
            explainer_for(model).records(scorer.features(checked), 5)
        out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def start_server(folder: Path, params: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCKSTEP_", "DVC_"))}
    cmd = [str(BIN / "lockstep"), "serve", "--model", "model", "--params", str(params)]
    cmd += ["--port", str(port), "--log-dir", "logs"]
    proc = subprocess.Popen(cmd, cwd=folder, env=env)
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
    raise SystemExit("lockstep serve did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="single-record requests/s")
    parser.add_argument("--requests", type=int, default=1000, help="single-record requests")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lockstep-bench-serve-") as tmp:
        folder = Path(tmp)
        params, model, rows = fit_model(folder)
        import yaml

        id_column = yaml.safe_load(params.read_text())["data"]["id_column"]
        singles = batches(rows, 1, args.requests, id_column)
        hundreds = batches(rows, 100, max(20, args.requests // 10), id_column)
        proc, port = start_server(folder, params)
        try:
            paced(port, singles[:100], 0, 2)  # warm-up
            single, single_wall = paced(port, singles, args.rate, args.threads)
            batch, batch_wall = paced(port, hundreds, args.rate / 10, args.threads)
            burst, burst_wall = paced(port, singles, 0, args.threads)
            why = "/predict?explain=true"
            explained, explained_wall = paced(port, singles, args.rate, args.threads, why)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
        base1, base100 = in_process(model, singles), in_process(model, hundreds)
        own1 = in_process_lockstep(model, params, singles)
        own100 = in_process_lockstep(model, params, hundreds)
        why1 = in_process_lockstep(model, params, singles, explain=True)
        why100 = in_process_lockstep(model, params, hundreds, explain=True)
    print(f"machine: {machine()}")
    print(f"model: {len(rows[0])} input columns, {len(rows)} distinct records")
    header = f"{'':44} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}"
    print(header)
    lines = [
        (f"HTTP 1 record @ {args.rate:g}/s", single, len(single) / single_wall),
        (f"HTTP 100 records @ {args.rate / 10:g}/s", batch, len(batch) / batch_wall),
        (f"HTTP 1 record, unpaced, {args.threads} clients", burst, len(burst) / burst_wall),
        (
            f"HTTP 1 record ?explain=true @ {args.rate:g}/s",
            explained,
            len(explained) / explained_wall,
        ),
        ("in-process predict_proba, 1 record", base1, None),
        ("in-process predict_proba, 100 records", base100, None),
        ("in-process check + Scorer, 1 record", own1, None),
        ("in-process check + Scorer, 100 records", own100, None),
        ("in-process + explain top 5, 1 record", why1, None),
        ("in-process + explain top 5, 100 records", why100, None),
    ]
    for name, values, rps in lines:
        rate = f"{rps:8.1f}" if rps else f"{'':>8}"
        print(f"{name:44} {pct(values, 0.5):8.2f} {pct(values, 0.99):8.2f} {rate}")
    for floor, values in (("predict_proba", base1), ("check + Scorer", own1)):
        gap = pct(single, 0.99) - pct(values, 0.99)
        print(f"p99 single-record HTTP minus in-process {floor}: {gap:+.2f} ms (target: <= +5 ms)")


if __name__ == "__main__":
    main()
