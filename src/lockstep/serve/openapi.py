"""The OpenAPI description of `lockstep serve` (GET /openapi.json), built from the data contract.

/predict is a plain Starlette route that reads its body by hand (the contract check is faster and
more precise than a pydantic model), so FastAPI does not describe it. ``describe`` adds it, with
what clients and fuzzers need: the request body (records with the contract's columns, types,
ranges, allowed values and the id; the target may be sent and is ignored), the answer, every 4xx
the route gives, and /metrics as Prometheus text. The description follows the model being
served: a reload with another contract changes it.
"""

from __future__ import annotations

from typing import Any

TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}
PROMETHEUS = "text/plain; version=0.0.4"

ERROR = {
    "type": "object",
    "required": ["detail", "errors"],
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Per record (counted from 1) and field; at most 100.",
            "items": {
                "type": "object",
                "properties": {
                    "record": {"type": ["integer", "null"]},
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

ANSWER = {
    "type": "object",
    "required": ["request", "model", "version", "threshold", "predictions"],
    "properties": {
        "request": {"type": "string", "description": "Request id, as in the prediction log."},
        "model": {"type": "string", "description": "The stage served, or 'canary'."},
        "version": {"type": "string"},
        "threshold": {"type": "number"},
        "predictions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "probability", "label"],
                "properties": {
                    "id": {"description": "The record's id as sent (null without an id column)."},
                    "probability": {"type": "number", "minimum": 0, "maximum": 1},
                    "label": {"type": "integer", "enum": [0, 1]},
                    "explanation": {"type": "object", "description": "With ?explain=true."},
                },
            },
        },
    },
}

FAILURES = {
    "413": "Over --max-records records, a body over --max-records x 16 KiB, or too many fields.",
    "415": "The body is not application/json.",
    "422": "Not JSON, no records, or records that break the data contract (errors name them).",
    "501": "?explain=true for a model that needs an extra that is not installed.",
    "503": "No model loaded yet (see GET /ready).",
}


def column(spec: Any) -> dict[str, Any]:
    """The JSON Schema of one contract column's values as /predict accepts them."""
    kind = TYPES[spec.dtype]
    out: dict[str, Any] = {"type": [kind, "null"] if spec.nullable else kind}
    if spec.allowed is not None:
        out["enum"] = [*spec.allowed, *([None] if spec.nullable else [])]
    if spec.min is not None:
        out["minimum"] = spec.min
    if spec.max is not None:
        out["maximum"] = spec.max
    return out


def record(data: Any) -> dict[str, Any]:
    """One record: every column of the contract but the target (which may be sent, ignored)."""
    properties = {name: column(spec) for name, spec in data.columns.items()}
    properties[data.target] = {"description": "The target: accepted and ignored."}
    if data.id_column:
        properties[data.id_column]["description"] = "The id: unique in a request; picks the canary."
    return {
        "type": "object",
        "description": "One record of the data contract. Values in their JSON types; text the "
        'contract would read from a CSV ("12" for an int column) is accepted too.',
        "required": [name for name in data.columns if name != data.target],
        "properties": properties,
        "additionalProperties": data.extra_columns != "fail",
    }


def predict(data: Any, max_records: int) -> dict[str, Any]:
    """The requestBody and responses of POST /predict."""
    records = {"type": "array", "minItems": 1, "maxItems": max_records}
    records["items"] = record(data) if data is not None else {"type": "object"}
    body = {"type": "object", "required": ["records"], "properties": {"records": records}}
    failures = {
        code: {"description": text, "content": {"application/json": {"schema": ERROR}}}
        for code, text in FAILURES.items()
    }
    top = {"type": "integer", "minimum": 0, "description": "contributions per record, 0: all"}
    return {
        "parameters": [
            {"name": "explain", "in": "query", "required": False, "schema": {"type": "boolean"}},
            {"name": "top", "in": "query", "required": False, "schema": top},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": {"description": "Scored", "content": {"application/json": {"schema": ANSWER}}},
            **failures,
        },
    }


def describe(app: Any, state: Any, max_records: int) -> None:
    """Make ``app.openapi()`` (GET /openapi.json) describe the contract of the model served."""
    generate = app.openapi
    built: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        data = state.current[0].data if state.current is not None else None
        if built.get("data") is not data or "schema" not in built:
            app.openapi_schema = None  # FastAPI caches it: build afresh for this contract
            schema = generate()
            post = {"summary": "Predict", "operationId": "predict_predict_post", "responses": {}}
            post.update(predict(data, max_records))
            schema["paths"] = {"/predict": {"post": post}, **schema["paths"]}
            schema["paths"]["/metrics"]["get"]["responses"]["200"] = {
                "description": "Prometheus text exposition format",
                "content": {PROMETHEUS: {"schema": {"type": "string"}}},
            }
            built.update(data=data, schema=schema)
        return built["schema"]

    app.openapi = openapi
