"""`lockstep serve`: the command that picks the model sources and runs the app with uvicorn."""

from __future__ import annotations

import threading

import click

from ..contract.pseudonym import key_check
from ..errors import LockstepError
from ..options import artifact_option, params_option
from ..paths import PREDICTIONS_DIR
from .reload import check_bind, try_reload
from .sources import DirSource, StageSource
from .transport import BODY_TIMEOUT, HEADER_TIMEOUT, KEEP_ALIVE_TIMEOUT, protocol


@click.command("serve")
@click.option("--stage", default=None, help="Serve the registry's current version in this stage.")
@click.option(
    "--model",
    "model_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Serve DIR/model.skops (e.g. a folder from `lockstep model get`).",
)
@params_option(help="Data contract and threshold for --model / --canary-model.")
@artifact_option
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
@click.option("--log-dir", default=PREDICTIONS_DIR, show_default=True)
@click.option("--log-max-bytes", default=50_000_000, show_default=True, type=int)
@click.option(
    "--log-keep",
    default=None,
    type=click.IntRange(min=1),
    help="Keep only this many rotated log files, deleting older ones (each deletion is "
    "reported on stderr). Default: keep all.",
)
@click.option(
    "--log-explanations",
    is_flag=True,
    help="Keep every logged record's full explanation (contributions) in the prediction log.",
)
@click.option("--max-records", default=1000, show_default=True, type=int)
@click.option(
    "--batch-records",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="Score concurrent small requests together, up to this many records (1: each alone).",
)
@click.option(
    "--batch-wait-ms",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Longest a request waits for others to join its batch (0: no batching).",
)
@click.option(
    "--header-timeout",
    default=HEADER_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a connection may take to send a request's headers.",
)
@click.option(
    "--body-timeout",
    default=BODY_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a request may take to send its body (then 408).",
)
@click.option(
    "--keep-alive-timeout",
    default=KEEP_ALIVE_TIMEOUT,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds an idle keep-alive connection stays open.",
)
@click.option(
    "--pseudonymized",
    is_flag=True,
    help="Records arrive with ids already pseudonymized: do not hash them again.",
)
def command(
    stage: str | None, model_dir: str | None, params_path: str, artifact: str | None,
    host: str, port: int, canary_stage: str | None, canary_model: str | None,
    canary_fraction: float, canary_seed: int, log_dir: str, log_max_bytes: int,
    max_records: int, batch_records: int, batch_wait_ms: float, pseudonymized: bool,
    log_explanations: bool, log_keep: int | None,
    header_timeout: float, body_timeout: float, keep_alive_timeout: int,
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
    check_bind(host)
    if not pseudonymized:
        warning = key_check(primary.data())  # raises for data that is not public sample data
        if warning:
            click.echo(f"serve: warning: {warning}", err=True)
    from .app import create_app
    from .batching import Batcher

    app = create_app(
        primary, canary, canary_fraction if canary else 0.0, canary_seed, log_dir,
        max_records, log_max_bytes, pseudonymized, eager=False,
        log_explanations=log_explanations, log_keep=log_keep, body_timeout=body_timeout,
        batcher=Batcher(batch_records, batch_wait_ms / 1000),
    )  # fmt: skip
    if hasattr(signal, "SIGHUP"):
        signal.signal(
            signal.SIGHUP,
            lambda *_: threading.Thread(target=try_reload, args=(app.state.lockstep,)).start(),
        )
    click.echo(f"serve: {primary.describe()} on http://{host}:{port}", err=True)
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False,
        http=protocol(header_timeout), timeout_keep_alive=keep_alive_timeout,
    )  # fmt: skip
