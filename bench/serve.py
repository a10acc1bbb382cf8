"""`lockstep serve` latency and throughput over loopback, next to in-process predict_proba.

A model is fitted here (on data/split/train.parquet with params.yaml's model section when the
pipeline has run, else on the tiny test data), written to a temporary folder and served by real
`lockstep serve` processes on 127.0.0.1. An asyncio client on keep-alive connections sends
single-record requests to two servers in turn, load by load and round by round (--rounds), so
their figures share the machine's state: one scoring every request alone (--batch-wait-ms 0,
as before micro-batching), one with the default micro-batching, and (unpaced loads only) an app
with the same HTTP handling that answers without a model: the ceiling HTTP and this client set.
Loads: --rate requests/s over --threads connections, and unpaced over --threads and over
--connections connections. The ratio of requests/s (batched / alone) is the figure to read on a
shared machine. Then, on one batching server: 100-record requests at a tenth of --rate, and
?explain=true. The same records are then scored in this process two ways: the saved Pipeline's
predict_proba on a DataFrame (the floor the target is set against), and the server's own path
without HTTP (the contract check and lockstep.serve.scoring.Scorer), which shows what HTTP itself
adds. Targets: p99 single-record latency at 100 requests/s no worse than about 9 ms; >= 1,000
single-record requests/s with p99 <= 25 ms unpaced over 16 connections.

Prints figures only; it never fails on timing. Run from anywhere: python bench/serve.py --help
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine
from loopback import batch_totals, paced, start_server, start_trivial

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fit_model(folder: Path) -> tuple[Path, Any, list[dict]]:
    """Fit and save a model; return (params path, model, scoring records without the target)."""
    import pandas as pd
    import yaml

    from lockstep.config import read_section
    from lockstep.contract.dataconfig import DataConfig
    from lockstep.modelfile import dumps_model, loads_model
    from lockstep.models import make_estimator, make_pipeline

    if (ROOT / "data/split/train.parquet").exists():
        params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
        train = pd.read_parquet(ROOT / "data/split/train.parquet")
        test = pd.read_parquet(ROOT / "data/split/test.parquet")
    else:
        from tests.helpers.tiny import params as tiny_params
        from tests.helpers.tiny import raw_frame

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
    from lockstep.contract.dataconfig import DataConfig
    from lockstep.contract.pseudonym import pseudonym_key
    from lockstep.contract.records import check_records
    from lockstep.contract.schema import build_schema
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


def cpu_per_request(folder: Path, params: Path, bodies: list[bytes], group: int = 16) -> tuple:
    """CPU seconds per single-record request of the server's path without HTTP (check, score,
    log, answer: lockstep.serve.respond), each alone and ``group`` at a time through a Batcher.
    CPU time, not wall time: the figure that a busy machine disturbs least."""
    from lockstep.serve.batching import Batcher
    from lockstep.serve.predlog import PredictionLog
    from lockstep.serve.respond import at_once, score
    from lockstep.serve.sources import DirSource, State

    loaded, _ = State(DirSource(str(folder / "model"), str(params)), None, 0, False).reload()
    log = PredictionLog(str(folder / "in-process"))
    records = [json.loads(b)["records"] for b in bodies]
    at_once(loaded, "prod", records[0], log)
    t0 = time.process_time()
    for r in records:
        at_once(loaded, "prod", r, log)
    alone = (time.process_time() - t0) / len(records)
    batcher = Batcher(64, 0.002)

    async def grouped() -> None:
        for k in range(0, len(records), group):
            chunk = records[k : k + group]
            scored = (score(loaded, "prod", r, log, None, False, batcher) for r in chunk)
            await asyncio.gather(*scored)

    t0 = time.process_time()
    asyncio.run(grouped())
    return alone, (time.process_time() - t0) / len(records)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


# The servers compared, each its own process: every request scored alone (as before batching),
# and the default adaptive micro-batching.
SERVERS = {"alone": ("--batch-wait-ms", "0"), "batched": ()}


def compare(folder: Path, params: Path, singles: list[bytes], args: Any) -> dict[str, dict]:
    """Each server in turn, ``--rounds`` times: single records at ``--rate`` over ``--threads``
    connections, then unpaced over ``--threads`` and over ``--connections`` connections."""
    loads = {
        f"1 record @ {args.rate:g}/s, {args.threads} conns": (args.rate, args.threads),
        f"1 record, unpaced, {args.threads} conns": (0, args.threads),
        f"1 record, unpaced, {args.connections} conns": (0, args.connections),
    }
    out: dict[str, dict] = {name: {load: [] for load in loads} for name in [*SERVERS, "http"]}
    per_batch: dict[str, list[float]] = {load: [] for load in loads}
    servers = {name: start_server(folder, params, extra, name) for name, extra in SERVERS.items()}
    servers["http"] = start_trivial()  # the same HTTP handling, no model: the ceiling
    try:
        for _, port in servers.values():
            paced(port, singles[:200], 0, 2)  # warm-up
        for _ in range(args.rounds):
            for load, (rate, conns) in loads.items():
                for name, (proc, port) in servers.items():  # alone, batched, http, in turn
                    if rate == 0 or name != "http":
                        before = batch_totals(port) if name == "batched" else (0, 0)
                        out[name][load].append(measured(proc, port, singles, rate, conns))
                        if name == "batched":  # this load's batches only
                            after = batch_totals(port)
                            scored = after[0] - before[0]
                            per_batch[load].append(scored / max(1.0, after[1] - before[1]))
        out["batched"]["requests per batch"] = per_batch
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=15)
    return out


def measured(proc: Any, port: int, bodies: list[bytes], rate: float, conns: int) -> tuple:
    """``paced``'s (latencies, wall) and the server process's CPU seconds (user + sys) meanwhile:
    the figure a busy machine disturbs least."""
    import psutil

    server = psutil.Process(proc.pid)
    before = sum(server.cpu_times()[:2])
    latencies, wall = paced(port, bodies, rate, conns)
    return latencies, wall, sum(server.cpu_times()[:2]) - before


def report_compare(results: dict[str, dict]) -> None:
    head = f"{'per round (alone | batched)':44} {'p50 ms':>15} {'p99 ms':>15} {'req/s':>15}"
    print(f"{head}  ratio  server CPU ms/request")
    alone, batched = results["alone"], dict(results["batched"])
    per_batch = batched.pop("requests per batch")
    for load, runs in alone.items():
        for (a, a_wall, a_cpu), (b, b_wall, b_cpu) in zip(runs, batched[load], strict=True):
            p50 = f"{pct(a, 0.5):6.2f} |{pct(b, 0.5):6.2f}"
            p99 = f"{pct(a, 0.99):6.2f} |{pct(b, 0.99):6.2f}"
            rps = f"{len(a) / a_wall:6.0f} |{len(b) / b_wall:6.0f}"
            ratio = (len(b) / b_wall) / (len(a) / a_wall)
            cpu = f"{a_cpu / len(a) * 1e3:.2f} | {b_cpu / len(b) * 1e3:.2f}"
            print(f"{load:44} {p50:>15} {p99:>15} {rps:>15}  x{ratio:.2f}  {cpu}")
    for load, means in per_batch.items():
        sizes = ", ".join(f"{m:.2f}" for m in means)
        print(f"batched server, {load}: {sizes} requests per scored batch (mean per round)")
    for load, runs in results["http"].items():
        if runs:
            rates = ", ".join(f"{len(lat) / wall:.0f}" for lat, wall, _ in runs)
            cpu = ", ".join(f"{c / len(lat) * 1e3:.2f}" for lat, _, c in runs)
            print(f"HTTP only (no model), {load[10:]}: {rates} req/s; server CPU {cpu} ms/request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="single-record requests/s")
    parser.add_argument("--requests", type=int, default=1000, help="single-record requests")
    parser.add_argument("--threads", type=int, default=4, help="connections of the paced load")
    parser.add_argument("--connections", type=int, default=16, help="of the heavy unpaced load")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server")
    parser.add_argument("--compare-only", action="store_true", help="skip the other figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lockstep-bench-serve-") as tmp:
        folder = Path(tmp)
        params, model, rows = fit_model(folder)
        import yaml

        id_column = yaml.safe_load(params.read_text())["data"]["id_column"]
        singles = batches(rows, 1, args.requests, id_column)
        hundreds = batches(rows, 100, max(20, args.requests // 10), id_column)
        results = compare(folder, params, singles, args)
        alone, grouped = cpu_per_request(folder, params, singles)
        cpu = f"CPU per request without HTTP: alone {alone * 1e3:.2f} ms, 16 at a time batched "
        cpu += f"{grouped * 1e3:.2f} ms (x{alone / grouped:.1f})"
        if args.compare_only:
            print(f"machine: {machine()}")
            report_compare(results)
            return print(cpu)
        proc, port = start_server(folder, params)
        try:
            paced(port, singles[:100], 0, 2)  # warm-up
            batch, batch_wall = paced(port, hundreds, args.rate / 10, args.threads)
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
    report_compare(results)
    print(cpu)
    print(f"{'':44} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    lines = [
        (f"HTTP 100 records @ {args.rate / 10:g}/s", batch, len(batch) / batch_wall),
        (f"HTTP 1 record ?explain=true @ {args.rate:g}/s", explained,
         len(explained) / explained_wall),
        ("in-process predict_proba, 1 record", base1, None),
        ("in-process predict_proba, 100 records", base100, None),
        ("in-process check + Scorer, 1 record", own1, None),
        ("in-process check + Scorer, 100 records", own100, None),
        ("in-process + explain top 5, 1 record", why1, None),
        ("in-process + explain top 5, 100 records", why100, None),
    ]  # fmt: skip
    for name, values, rps in lines:
        rate = f"{rps:8.1f}" if rps else f"{'':>8}"
        print(f"{name:44} {pct(values, 0.5):8.2f} {pct(values, 0.99):8.2f} {rate}")
    single = [x for r in results["batched"][next(iter(results["batched"]))] for x in r[0]]
    for floor, values in (("predict_proba", base1), ("check + Scorer", own1)):
        gap = pct(single, 0.99) - pct(values, 0.99)
        print(f"p99 single-record HTTP minus in-process {floor}: {gap:+.2f} ms (target: <= +5 ms)")


if __name__ == "__main__":
    main()
