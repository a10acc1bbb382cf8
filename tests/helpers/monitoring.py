"""Prediction logs, outcome files and params for the monitoring tests (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lockstep.contract.pseudonym import pseudonymize_values
from lockstep.serve.predlog import PredictionLog
from tests.helpers.tiny import params

KEY = b"tiny-test-key"  # the tiny data config's default_key
START = datetime(2026, 11, 2, tzinfo=UTC)


def hashed(ids: list[str]) -> list[str]:
    return pseudonymize_values(ids, KEY)


def monitor_params(tmp: Path, **monitor: Any) -> dict[str, Any]:
    """The tiny params with a monitor section whose store and log live under ``tmp``."""
    section = {
        "seed": 7,
        "store": str(tmp / "store"),
        "log_dir": str(tmp / "logs"),
        "min_labels": 20,
        "bootstrap_samples": 100,
        **monitor,
    }
    return params(monitor=section)


def write_log(
    folder: Path,
    ids: list[str],
    scores: np.ndarray,
    *,
    model: str = "prod",
    version: str = "v1.0.0",
    start: datetime = START,
    step: timedelta = timedelta(minutes=1),
    features: list[dict] | None = None,
    threshold: float = 0.5,
) -> None:
    """One logged prediction per id (ids are raw: hashed here as serve does)."""
    log = PredictionLog(str(folder))
    rows = [
        {
            "ts": (start + i * step).isoformat(timespec="milliseconds"),
            "request": f"r{i}",
            "model": model,
            "version": version,
            "id": pid,
            "features": (features or [{}] * len(ids))[i],
            "score": float(s),
            "label": int(s >= threshold),
        }
        for i, (pid, s) in enumerate(zip(hashed(ids), scores, strict=True))
    ]
    log.write(rows)
    log.close()


def outcome_rows(ids: list[str], labels: list[str], when: datetime) -> list[dict[str, Any]]:
    return [
        {"customer_id": i, "churn": lab, "observed_at": when.isoformat()}
        for i, lab in zip(ids, labels, strict=True)
    ]
