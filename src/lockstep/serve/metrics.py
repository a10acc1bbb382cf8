"""Prometheus metrics of `lockstep serve` and the ASGI wrapper that counts and times requests.

Each app gets its own CollectorRegistry, so two apps in one process (tests) never share counts.
prometheus_client is part of the optional ``serve`` extra.
"""

from __future__ import annotations

import time
from typing import Any

ROUTES = ("/predict", "/health", "/ready", "/model", "/metrics", "/reload")
LATENCY = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128)
SCORES = tuple(round(0.1 * i, 1) for i in range(1, 10))


def new_metrics() -> dict[str, Any]:
    import prometheus_client as pc

    registry = pc.CollectorRegistry()
    return {
        "registry": registry,
        "children": {},  # (metric, *label values) -> its child, see ``child``
        "requests": pc.Counter(
            "lockstep_http_requests", "HTTP requests by route, status and model",
            ["route", "method", "status", "model"], registry=registry,
        ),
        "latency": pc.Histogram(
            "lockstep_http_request_duration_seconds", "Request latency by route and model",
            ["route", "model"], buckets=LATENCY, registry=registry,
        ),
        "scores": pc.Histogram(
            "lockstep_prediction_score", "Predicted probability of the positive class",
            ["model", "version"], buckets=SCORES, registry=registry,
        ),
        "batches": pc.Histogram(
            "lockstep_batch_requests", "Requests scored together per call (micro-batching)",
            buckets=BATCHES, registry=registry,
        ),
        "predictions": pc.Counter(
            "lockstep_predictions", "Scored records by model and label",
            ["model", "version", "label"], registry=registry,
        ),
    }  # fmt: skip


def child(metrics: dict[str, Any], name: str, *values: str) -> Any:
    """``metrics[name].labels(*values)``, looked up once: a ``labels`` call takes a lock and
    checks its arguments every time (a sixth of what serving a single record cost the app)."""
    key = (name, *values)
    found = metrics["children"].get(key)
    if found is None:
        found = metrics["children"][key] = metrics[name].labels(*values)
    return found


class Measured:
    """ASGI wrapper: counts requests and times them by route, status and model."""

    def __init__(self, app: Any, metrics: dict[str, Any]) -> None:
        self.app, self.metrics = app, metrics
        self.state = app.state

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, seen = time.perf_counter(), {"model": "", "status": "500"}
        scope["lockstep"] = seen

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            path = scope["path"] if scope["path"] in ROUTES else "other"
            model = seen["model"]
            child(self.metrics, "requests", path, scope["method"], seen["status"], model).inc()
            child(self.metrics, "latency", path, model).observe(time.perf_counter() - start)
