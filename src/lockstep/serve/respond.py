"""What /predict does with the records of one request: check, score, log, answer.

``score`` runs the three steps; given a ``batching.Batcher`` it awaits the probabilities from it,
so concurrent small requests are scored together, and without one it never suspends, so
``at_once`` runs it in a worker thread (large requests). Both give the same answer and log lines.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ..contract.records import Batch, check_records
from .explain import explanations
from .predlog import PredictionLog
from .sources import Loaded


def check(loaded: Loaded, records: list[Any]) -> Batch | dict[str, Any]:
    """The records as a Batch, or ``{"errors": [...]}`` when they break the data contract."""
    try:
        batch, errors = check_records(records, loaded.data, loaded.schema, loaded.key)
    except (ValueError, TypeError, OverflowError) as exc:  # input the checks could not read
        batch, errors = None, [{"record": None, "field": None, "message": str(exc)}]
    return {"errors": errors} if batch is None else batch


async def score(
    loaded: Loaded,
    role: str,
    records: list[Any],
    log: PredictionLog,
    top: int | None = None,
    log_explanations: bool = False,
    batcher: Any = None,
) -> dict[str, Any]:
    """Check, score, log and answer ``records``. With a ``batching.Batcher`` the probabilities
    are computed together with other waiting requests'; without one nothing is awaited, so
    ``at_once`` runs it in a worker thread with no event loop."""
    batch = check(loaded, records)
    if not isinstance(batch, Batch):
        return batch
    if batcher is None:
        proba = loaded.scorer.positive_proba(batch)
    else:
        proba = await batcher.proba(loaded.scorer, batch)
    return finish(loaded, role, records, batch, proba.tolist(), log, top, log_explanations)


def at_once(*args: Any) -> dict[str, Any]:
    """``score(*args)`` without a batcher, run to its end in the calling thread."""
    coroutine = score(*args)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("score waited for something although it has no batcher")


def finish(
    loaded: Loaded,
    role: str,
    records: list[Any],
    batch: Batch,
    proba: list[float],
    log: PredictionLog,
    top: int | None,
    log_explanations: bool,
) -> dict[str, Any]:
    """Labels, explanations, the log lines and the answer for scored records."""
    labels = [int(p >= loaded.threshold) for p in proba]
    version = loaded.info["version"]
    shown, logged = explanations(loaded, batch, top, log_explanations)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    request_id = uuid.uuid4().hex
    rows = [
        {"ts": now, "request": request_id, "model": role, "version": version, "id": pid,
         "features": feats, "score": p, "label": label}
        for pid, feats, p, label in zip(batch.ids, batch.features(), proba, labels, strict=True)
    ]  # fmt: skip
    for row, explanation in zip(rows, logged or (), strict=False):
        row["explanation"] = explanation
    log.write(rows)
    id_column = loaded.data.id_column
    predictions = [
        {"id": r[id_column] if id_column else None, "probability": p, "label": label}
        for r, p, label in zip(records, proba, labels, strict=True)
    ]
    for prediction, explanation in zip(predictions, shown or (), strict=False):
        prediction["explanation"] = explanation
    return {
        "request": request_id,
        "model": role,
        "version": version,
        "threshold": loaded.threshold,
        "predictions": predictions,
    }
