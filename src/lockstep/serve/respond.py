"""What /predict does with the records of one request: check, score, log, answer.

``score`` runs the three steps in one go (a worker thread scores large requests this way);
``score_batched`` awaits the probabilities from a ``batching.Batcher``, so concurrent small
requests are scored together. Both give the same answer and the same log lines.
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


def score(
    loaded: Loaded,
    role: str,
    records: list[Any],
    log: PredictionLog,
    top: int | None = None,
    log_explanations: bool = False,
) -> dict[str, Any]:
    batch = check(loaded, records)
    if not isinstance(batch, Batch):
        return batch
    proba = loaded.scorer.positive_proba(batch).tolist()
    return finish(loaded, role, records, batch, proba, log, top, log_explanations)


async def score_batched(
    batcher: Any,
    loaded: Loaded,
    role: str,
    records: list[Any],
    log: PredictionLog,
    top: int | None = None,
    log_explanations: bool = False,
) -> dict[str, Any]:
    """``score``, with the probabilities computed together with other waiting requests'."""
    batch = check(loaded, records)
    if not isinstance(batch, Batch):
        return batch
    proba = (await batcher.proba(loaded.scorer, batch)).tolist()
    return finish(loaded, role, records, batch, proba, log, top, log_explanations)


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
