"""The probe batch a candidate model must score before `lockstep serve` swaps it in.

Three records built from the data contract alone: every column at its lowest, middle and highest
allowed value (categories in turn, ids distinct). They go through the same contract check and
``Scorer`` as a request, so a model that cannot score requests (a bare estimator saved without
the pipeline, another dataset's model, a broken file) is refused while the old model serves on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..contract.records import check_records
from ..errors import LockstepError

ROWS = 3


def _value(name: str, spec: Any, i: int, id_column: str | None) -> Any:
    if spec.allowed:
        return spec.allowed[i % len(spec.allowed)]
    if spec.dtype == "bool":
        return i % 2 == 0
    if spec.dtype == "str":
        return f"probe-{i + 1}" if name == id_column or spec.unique else "probe"
    low = spec.min if spec.min is not None else 0.0
    high = spec.max if spec.max is not None else low + 100.0
    if spec.dtype == "int":
        low, high = math.ceil(low), math.floor(high)
        return low + (high - low) * i // (ROWS - 1)
    return low + (high - low) * i / (ROWS - 1)


def probe_records(data: Any) -> list[dict[str, Any]]:
    """Records every column of the contract accepts (the target left out, as callers do)."""
    return [
        {
            name: _value(name, spec, i, data.id_column)
            for name, spec in data.columns.items()
            if name != data.target
        }
        for i in range(ROWS)
    ]


def probe(loaded: Any) -> None:
    """Score the probe batch with ``loaded``; LockstepError (what failed) when it cannot."""
    batch, errors = check_records(probe_records(loaded.data), loaded.data, loaded.schema, None)
    if batch is None:
        raise LockstepError(f"the data contract refuses its own probe batch: {errors[:3]}")
    try:
        proba = np.asarray(loaded.scorer.positive_proba(batch), dtype=float)
    except Exception as exc:  # any failure here is the candidate model's, never the caller's
        raise LockstepError(
            f"the model cannot score a probe batch ({type(exc).__name__}: {str(exc)[:300]}); "
            "is model.skops the fitted lockstep pipeline for this data contract?"
        ) from exc
    if proba.shape != (ROWS,) or not np.all((proba >= 0) & (proba <= 1)):
        raise LockstepError(
            f"the model scored a {ROWS}-record probe batch as {proba.tolist()[:5]} "
            f"(shape {proba.shape}), not {ROWS} probabilities in [0, 1]"
        )
