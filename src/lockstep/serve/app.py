"""The HTTP app of `lockstep serve`: score records with the registered model (FastAPI).

Routes: POST /predict (records checked against the training data contract, scored at
``evaluate.threshold``), GET /health, /ready, /model, /metrics (Prometheus text), POST /reload
(SIGHUP too). An optional canary model gets a fixed share of requests, chosen by a keyed hash of
the records' ids. Every scored record is appended to a size-rotated JSONL prediction log before
its answer is sent; a record that cannot be logged is answered 503.
fastapi, uvicorn and prometheus_client are the optional ``serve`` extra, imported on first use.

The parts: ``sources`` (model sources, the loaded pair, the canary split), ``respond`` (check,
score, log and answer the records of one request), ``batching`` (concurrent small requests
scored together), ``scoring`` (the fast path through the fitted pipeline), ``predlog`` (the
prediction log), ``metrics`` (Prometheus metrics and request timing), ``health`` (/health /ready
/model), ``reload`` (/reload, SIGHUP), ``transport`` (timeouts, clients that go away) and
``openapi`` (GET /openapi.json from the data contract). The `lockstep serve` command is in
``cli``; nothing here imports click.
"""

import json
import threading
from typing import Any

from ..contract.text import cut
from ..errors import LockstepError
from ..paths import PREDICTIONS_DIR
from .batching import Batcher
from .explain import parse_request
from .health import add_health
from .metrics import Measured, child, new_metrics
from .openapi import describe
from .predlog import LogUnavailable, PredictionLog
from .reload import add_reload, try_reload
from .respond import at_once, score
from .sources import State, label, route
from .transport import BODY_TIMEOUT, install

# Batches this small are scored on the event loop: handed to a worker thread, they contend with
# the loop for the GIL, which raised the unpaced single-record p99 from 25 to 31 ms (bench/).
# Bodies larger than this are parsed and checked in a worker thread whatever their record count:
# a single record with an 8 MB value held the loop (and /health) for a second.
INLINE_RECORDS = 20
INLINE_BYTES = 65_536


def create_app(
    primary: Any,
    canary: Any = None,
    canary_fraction: float = 0.0,
    canary_seed: int = 0,
    log_dir: str = PREDICTIONS_DIR,
    max_records: int = 1000,
    log_max_bytes: int = 50_000_000,
    pseudonymized: bool = False,
    eager: bool = True,
    log_explanations: bool = False,
    log_keep: int | None = None,
    body_timeout: float = BODY_TIMEOUT,
    batcher: Batcher | None = None,
) -> Any:
    """The FastAPI app. ``primary``/``canary`` are model sources (DirSource or StageSource);
    ``batcher`` scores concurrent small requests together (default: ``Batcher()``)."""
    from fastapi import FastAPI

    if not 0 <= canary_fraction <= 1 or (canary_fraction > 0 and canary is None):
        raise LockstepError("--canary-fraction must be in [0, 1] and needs a canary model")
    state = State(primary, canary, canary_fraction, pseudonymized)
    log = PredictionLog(log_dir, max_bytes=log_max_bytes, keep=log_keep)
    metrics = new_metrics()
    if eager:
        state.reload("start")
    app = FastAPI(title="lockstep", lifespan=_lifespan(state, log), docs_url=None, redoc_url=None)
    app.state.lockstep = state
    batcher = batcher or Batcher()
    batcher.observe = metrics["batches"].observe
    _add_predict(app, state, log, metrics, max_records, canary_seed, log_explanations, batcher)
    _add_status(app, state, log, metrics)
    install(app, body_timeout)
    describe(app, state, max_records)
    return Measured(app, metrics)


def _lifespan(state: State, log: PredictionLog) -> Any:
    """Load the model in the background when it was not loaded up front; close the log at exit."""
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        if state.current is None:
            threading.Thread(target=try_reload, args=(state, "start"), daemon=True).start()
        yield
        log.close()

    return lifespan


def _reply(content: Any, status: int = 200) -> Any:
    """JSON with non-ASCII escaped: an error may quote a field name that is not valid UTF-8."""
    from fastapi.responses import Response

    body = json.dumps(content, allow_nan=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json")


def _fail(status: int, detail: str, errors: list | None = None) -> Any:
    return _reply({"detail": detail, "errors": errors or []}, status)


async def _records(request: Any, max_records: int, columns: int) -> tuple[bytes, list] | Any:
    """(body, records) of a /predict request, or the error reply when it cannot be scored.

    ``columns``: how many the data contract has. A body may hold at most 4 × (columns + 8) ':'
    per record (keys, and colons in values), checked before parsing: parsing a million unknown
    keys alone would take 100+ MB. Bodies over ``INLINE_BYTES`` are parsed off the event loop."""
    from starlette.concurrency import run_in_threadpool

    max_bytes = max_records * 16_384
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return _fail(415, "send the records as application/json")
    if int(request.headers.get("content-length") or 0) > max_bytes:
        return _fail(413, f"request body over {max_bytes} bytes")
    body = await _read_body(request, max_bytes)  # chunked bodies have no length up front
    if body is None:
        return _fail(413, f"request body over {max_bytes} bytes")
    max_keys = max_records * 4 * (columns + 8)
    if body.count(b":") > max_keys:
        return _fail(413, f"too many fields: at most {max_keys} ':' in a body")
    try:
        inline = len(body) <= INLINE_BYTES
        payload = json.loads(body) if inline else await run_in_threadpool(json.loads, body)
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, too many digits or levels
        return _fail(422, f"body is not valid JSON: {cut(str(exc), 200)}")
    records = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(records, list):
        return _fail(422, 'body must be a JSON object {"records": [...]}')
    if not records:
        return _fail(422, "records is empty: send at least one record")
    if len(records) > max_records:
        return _fail(413, f"{len(records)} records; at most {max_records} per request")
    return body, records


def _add_predict(
    app: Any,
    state: State,
    log: PredictionLog,
    metrics: dict,
    max_records: int,
    seed: int,
    log_explanations: bool,
    batcher: Batcher,
) -> None:
    from starlette.concurrency import run_in_threadpool
    from starlette.routing import Route

    async def predict(request: Any) -> Any:
        current = state.current
        if current is None:
            return _fail(503, "model not loaded yet")
        read = await _records(request, max_records, len(current[0].data.columns))
        if not isinstance(read, tuple):
            return read
        body, records = read
        ids = current[0].data.id_column
        use_canary = current[1] is not None and route(records, body, ids, state.fraction, seed)
        loaded = current[1] if use_canary else current[0]
        role = label(loaded, use_canary)
        request.scope["lockstep"]["model"] = role
        try:
            query = request.query_params
            top = parse_request(query.get("explain"), query.get("top"))
        except ValueError as exc:
            return _fail(422, str(exc))
        args = (loaded, role, records, log, top, log_explanations)
        try:
            if len(body) <= INLINE_BYTES and len(records) <= INLINE_RECORDS:  # no thread hop
                result = await score(*args, batcher)
            else:
                result = await run_in_threadpool(at_once, *args)
        except LogUnavailable as exc:  # disk full, read-only folder: nothing was logged
            return _fail(503, str(exc))
        except LockstepError as exc:  # e.g. a tree model to explain and no shap installed
            return _fail(501, str(exc))
        if "errors" in result:
            return _fail(422, "some records break the data contract", result["errors"])
        _count(metrics, role, result)
        return _reply(result)  # already plain JSON: skip FastAPI's encoder walk

    # A plain Starlette route: FastAPI's request handling (dependencies, its own middleware per
    # route) has nothing to do for a route that reads its body by hand, and cost a tenth of a
    # request's CPU. openapi.describe adds the route to /openapi.json.
    app.router.routes.append(Route("/predict", predict, methods=["POST"]))


def _count(metrics: dict, role: str, result: dict) -> None:
    """Each answered prediction into the score histogram and the per-label counter."""
    version = result["version"]
    scores = child(metrics, "scores", role, version)
    for p in result["predictions"]:
        scores.observe(p["probability"])
        child(metrics, "predictions", role, version, str(p["label"])).inc()


def _add_status(app: Any, state: State, log: PredictionLog, metrics: dict) -> None:
    """GET /health /ready /model /metrics and POST /reload."""
    from fastapi.responses import PlainTextResponse
    from prometheus_client import generate_latest

    add_health(app, state, log, _fail)

    @app.get("/metrics")
    def prometheus() -> Any:
        return PlainTextResponse(
            generate_latest(metrics["registry"]), media_type="text/plain; version=0.0.4"
        )

    add_reload(app, state, _fail)


async def _read_body(request: Any, limit: int) -> bytes | None:
    """The body, or None as soon as it passes ``limit`` bytes (the rest is never held)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
