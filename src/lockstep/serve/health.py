"""GET /health, /ready and /model of `lockstep serve`: what the server can do right now.

/ready is 503 with a reason while no model is loaded, or while the prediction log cannot be
written (disk full, read-only folder): predictions would be refused then. Once the log folder
takes a write again, /ready says ready. /model shows the served model(s) and the outcome of the
last reload (time, trigger, ok, reason), so a failed reload is visible while the old model serves.
"""

from __future__ import annotations

from typing import Any


def add_health(app: Any, state: Any, log: Any, fail: Any) -> None:
    """The three GET routes; ``fail(status, detail)`` builds the error reply."""

    @app.get("/health")
    def health() -> Any:
        return {"status": "ok"}

    @app.get("/ready")
    def ready() -> Any:
        if state.current is None:
            return fail(503, state.error or "model not loaded yet")
        if log.error is not None and not log.probe():
            return fail(503, log.error)
        return {"status": "ready", "version": state.current[0].info["version"]}

    @app.get("/model")
    def model() -> Any:
        if state.current is None:
            return fail(503, state.error or "model not loaded yet")
        prod, canary = state.current
        out = {**prod.info, "threshold": prod.threshold, "last_reload": state.last_reload}
        if canary is not None:
            out["canary"] = {**canary.info, "threshold": canary.threshold}
            out["canary_fraction"] = state.fraction
        return out
