"""`lockstep serve`: score records over HTTP with the registered model (FastAPI + uvicorn).

Routes: POST /predict (records checked against the training data contract, scored at
``evaluate.threshold``), GET /health, /ready, /model, /metrics (Prometheus text), POST /reload
(SIGHUP too). An optional canary model gets a fixed share of requests, chosen by a keyed hash of
the request body. Every scored record is appended to a size-rotated JSONL prediction log.
fastapi, uvicorn and prometheus_client are the optional ``serve`` extra, imported on first use.

The parts: ``serving`` (model sources, the loaded pair, the canary split), ``records`` (the data
contract check), ``scoring`` (the fast path through the fitted pipeline), ``predlog`` (the
prediction log) and ``serve_metrics`` (Prometheus metrics and request timing).
"""

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import click

from ..contract.records import check_records
from ..errors import LockstepError
from .metrics import Measured, new_metrics
from .predlog import PredictionLog
from .sources import DirSource, Loaded, StageSource, State, route

# Batches this small are scored on the event loop: handed to a worker thread, they contend with
# the loop for the GIL, which raised the unpaced single-record p99 from 25 to 31 ms (bench/).
INLINE_RECORDS = 20


def _score(loaded: Loaded, role: str, records: list[Any], log: PredictionLog) -> dict[str, Any]:
    try:
        batch, errors = check_records(records, loaded.data, loaded.schema, loaded.key)
    except (ValueError, TypeError, OverflowError) as exc:  # input the checks could not read
        batch, errors = None, [{"record": None, "field": None, "message": str(exc)}]
    if batch is None:
        return {"errors": errors}
    proba = loaded.scorer.positive_proba(batch).tolist()
    labels = [int(p >= loaded.threshold) for p in proba]
    version = loaded.info["version"]
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    request_id = uuid.uuid4().hex
    log.write(
        [
            {"ts": now, "request": request_id, "model": role, "version": version, "id": pid,
             "features": feats, "score": p, "label": label}
            for pid, feats, p, label in zip(batch.ids, batch.features(), proba, labels, strict=True)
        ]
    )  # fmt: skip
    id_column = loaded.data.id_column
    return {
        "request": request_id,
        "model": role,
        "version": version,
        "threshold": loaded.threshold,
        "predictions": [
            {"id": r[id_column], "probability": p, "label": label}
            for r, p, label in zip(records, proba, labels, strict=True)
        ],
    }


def create_app(
    primary: Any,
    canary: Any = None,
    canary_fraction: float = 0.0,
    canary_seed: int = 0,
    log_dir: str = "reports/predictions",
    max_records: int = 1000,
    log_max_bytes: int = 50_000_000,
    pseudonymized: bool = False,
    eager: bool = True,
) -> Any:
    """The FastAPI app. ``primary``/``canary`` are model sources (DirSource or StageSource)."""
    import contextlib

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse
    from prometheus_client import generate_latest
    from starlette.concurrency import run_in_threadpool

    if not 0 <= canary_fraction <= 1 or (canary_fraction > 0 and canary is None):
        raise LockstepError("--canary-fraction must be in [0, 1] and needs a canary model")
    state = State(primary, canary, canary_fraction, pseudonymized)
    log = PredictionLog(log_dir, max_bytes=log_max_bytes)
    metrics = new_metrics()
    max_bytes = max_records * 16_384
    if eager:
        state.reload()

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        if state.current is None:
            threading.Thread(target=_try_reload, args=(state,), daemon=True).start()
        yield
        log.close()

    app = FastAPI(title="lockstep", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.lockstep = state

    class Reply(JSONResponse):
        """JSON with non-ASCII escaped: an error may quote a field name that is not valid UTF-8."""

        def render(self, content: Any) -> bytes:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()

    def fail(status: int, detail: str, errors: list | None = None) -> Any:
        return Reply({"detail": detail, "errors": errors or []}, status_code=status)

    @app.post("/predict")
    async def predict(request: Request) -> Any:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return fail(415, "send the records as application/json")
        if int(request.headers.get("content-length") or 0) > max_bytes:
            return fail(413, f"request body over {max_bytes} bytes")
        body = await _read_body(request, max_bytes)  # chunked bodies have no length up front
        if body is None:
            return fail(413, f"request body over {max_bytes} bytes")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, too many digits or levels
            return fail(422, f"body is not valid JSON: {exc}")
        records = payload.get("records") if isinstance(payload, dict) else None
        if not isinstance(records, list):
            return fail(422, 'body must be a JSON object {"records": [...]}')
        if not records:
            return fail(422, "records is empty: send at least one record")
        if len(records) > max_records:
            return fail(413, f"{len(records)} records; at most {max_records} per request")
        current = state.current
        if current is None:
            return fail(503, "model not loaded yet")
        use_canary = current[1] is not None and route(body, state.fraction, canary_seed)
        role, loaded = ("canary", current[1]) if use_canary else ("prod", current[0])
        request.scope["lockstep"]["model"] = role
        if len(records) <= INLINE_RECORDS:  # a thread hop costs more than scoring a few rows
            result = _score(loaded, role, records, log)
        else:
            result = await run_in_threadpool(_score, loaded, role, records, log)
        if "errors" in result:
            return fail(422, "some records break the data contract", result["errors"])
        version = result["version"]
        for p in result["predictions"]:
            metrics["scores"].labels(role, version).observe(p["probability"])
            metrics["predictions"].labels(role, version, str(p["label"])).inc()
        return Reply(result)  # already plain JSON: skip FastAPI's encoder walk

    @app.get("/health")
    def health() -> Any:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> Any:
        if state.current is None:
            return fail(503, state.error or "model not loaded yet")
        return {"status": "ready", "version": state.current[0].info["version"]}

    @app.get("/model")
    def model() -> Any:
        if state.current is None:
            return fail(503, state.error or "model not loaded yet")
        prod, canary = state.current
        out = {**prod.info, "threshold": prod.threshold}
        if canary is not None:
            out["canary"] = {**canary.info, "threshold": canary.threshold}
            out["canary_fraction"] = state.fraction
        return out

    @app.get("/metrics")
    def prometheus() -> Any:
        return PlainTextResponse(
            generate_latest(metrics["registry"]), media_type="text/plain; version=0.0.4"
        )

    @app.post("/reload")
    async def reload() -> Any:
        try:
            prod, canary = await run_in_threadpool(state.reload)
        except click.ClickException as exc:
            return fail(503, f"reload failed, still serving the previous model: {exc.message}")
        return {"prod": prod.info["version"], "canary": canary.info["version"] if canary else None}

    return Measured(app, metrics)


async def _read_body(request: Any, limit: int) -> bytes | None:
    """The body, or None as soon as it passes ``limit`` bytes (the rest is never held)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _try_reload(state: State) -> None:
    try:
        state.reload()
    except click.ClickException as exc:
        click.echo(f"serve: model not loaded: {exc.format_message()}", err=True)


@click.command("serve")
@click.option("--stage", default=None, help="Serve the registry's current version in this stage.")
@click.option(
    "--model",
    "model_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Serve DIR/model.skops (e.g. a folder from `lockstep model get`).",
)
@click.option(
    "--params",
    "params_path",
    default="params.yaml",
    show_default=True,
    help="Data contract and threshold for --model / --canary-model.",
)
@click.option("--artifact", default=None, help="Artifact name (default: promote.artifact).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--canary-stage", default=None, help="Send a share of requests to this stage.")
@click.option(
    "--canary-model",
    default=None,
    type=click.Path(file_okay=False),
    help="Canary from a folder instead of a stage.",
)
@click.option("--canary-fraction", default=0.1, show_default=True, type=float)
@click.option(
    "--canary-seed",
    default=0,
    show_default=True,
    type=int,
    help="Key of the request hash that picks the canary.",
)
@click.option("--log-dir", default="reports/predictions", show_default=True)
@click.option("--log-max-bytes", default=50_000_000, show_default=True, type=int)
@click.option("--max-records", default=1000, show_default=True, type=int)
@click.option(
    "--pseudonymized",
    is_flag=True,
    help="Records arrive with ids already pseudonymized: do not hash them again.",
)
def command(
    stage: str | None, model_dir: str | None, params_path: str, artifact: str | None,
    host: str, port: int, canary_stage: str | None, canary_model: str | None,
    canary_fraction: float, canary_seed: int, log_dir: str, log_max_bytes: int,
    max_records: int, pseudonymized: bool,
) -> None:  # fmt: skip
    """Serve the promoted model over HTTP: POST /predict, GET /health /ready /model /metrics."""
    import signal

    try:
        import uvicorn
    except ImportError as exc:
        raise LockstepError("serving needs the serve extra: pip install 'lockstep[serve]'") from exc
    if bool(stage) == bool(model_dir):
        raise LockstepError("pass exactly one of --stage or --model")
    if canary_stage and canary_model:
        raise LockstepError("pass at most one of --canary-stage or --canary-model")
    primary = StageSource(stage, artifact) if stage else DirSource(str(model_dir), params_path)
    canary = None
    if canary_stage:
        canary = StageSource(canary_stage, artifact)
    elif canary_model:
        canary = DirSource(canary_model, params_path)
    for source in (primary, canary):
        if source is not None:
            source.check()  # a missing stage or folder is an error now, not a 503 forever
    app = create_app(
        primary, canary, canary_fraction if canary else 0.0, canary_seed, log_dir,
        max_records, log_max_bytes, pseudonymized, eager=False,
    )  # fmt: skip
    if hasattr(signal, "SIGHUP"):
        signal.signal(
            signal.SIGHUP,
            lambda *_: threading.Thread(target=_try_reload, args=(app.state.lockstep,)).start(),
        )
    click.echo(f"serve: {primary.describe()} on http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
