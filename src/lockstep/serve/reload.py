"""Reloading the served model: POST /reload, SIGHUP, and who may ask for it.

A reload loads the candidate model(s), scores a probe batch (``probe``) and only then swaps them
in; on failure the old model serves on and ``State.last_reload`` (shown by GET /model) says when
and why it failed. POST /reload must be ``application/json`` (a cross-site form or ``text/plain``
POST cannot trigger it) and, when ``LOCKSTEP_RELOAD_TOKEN`` is set, carry it as
``Authorization: Bearer <token>``. `lockstep serve` refuses to bind to anything but loopback
without that token.
"""

import hmac
import ipaddress
import os
import sys
from typing import Any

from ..errors import LockstepError

TOKEN_ENV = "LOCKSTEP_RELOAD_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_bind(host: str) -> None:
    """Refuse to serve /reload off loopback without a token."""
    if not is_loopback(host) and not os.environ.get(TOKEN_ENV):
        raise LockstepError(
            f"--host {host} is reachable from other machines: set {TOKEN_ENV} to a secret "
            f"(e.g. `export {TOKEN_ENV}=$(openssl rand -hex 32)`); POST /reload then needs "
            "the header 'Authorization: Bearer <token>'"
        )


def refusal(headers: Any, token: str | None) -> tuple[int, str] | None:
    """(status, why) when this POST /reload must be refused, else None."""
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        return 415, "POST /reload with content-type: application/json"
    if headers.get("sec-fetch-site", "") == "cross-site":
        return 403, "cross-site requests may not reload the model"
    if token is not None:
        sent = headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return 401, f"POST /reload needs 'Authorization: Bearer <token>' ({TOKEN_ENV})"
    return None


def add_reload(app: Any, state: Any, fail: Any) -> None:
    """POST /reload on ``app``; ``fail(status, detail)`` builds the error reply."""
    from fastapi import Request
    from starlette.concurrency import run_in_threadpool

    token = os.environ.get(TOKEN_ENV) or None

    @app.post("/reload")
    async def reload(request: Request) -> Any:
        refused = refusal(request.headers, token)
        if refused is not None:
            return fail(*refused)
        try:
            prod, canary = await run_in_threadpool(state.reload, "http")
        except LockstepError as exc:
            return fail(503, f"reload failed, still serving the previous model: {exc.message}")
        return {"prod": prod.info["version"], "canary": canary.info["version"] if canary else None}


def try_reload(state: Any, trigger: str = "sighup") -> None:
    """Reload, reporting a failure on stderr instead of raising (SIGHUP, background start)."""
    try:
        state.reload(trigger)
    except LockstepError as exc:
        serving = state.current
        if serving is None:
            print(f"serve: model not loaded: {exc.message}", file=sys.stderr, flush=True)
        else:
            version = serving[0].info["version"]
            print(
                f"serve: reload failed, still serving {version}: {exc.message}",
                file=sys.stderr,
                flush=True,
            )
