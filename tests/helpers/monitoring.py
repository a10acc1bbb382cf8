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
    key: bytes = KEY,
) -> None:
    """One logged prediction per id (ids are raw: hashed here with ``key`` as serve does)."""
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
        for i, (pid, s) in enumerate(zip(pseudonymize_values(ids, key), scores, strict=True))
    ]
    log.write(rows)
    log.close()


def outcome_rows(ids: list[str], labels: list[str], when: datetime) -> list[dict[str, Any]]:
    return [
        {"customer_id": i, "churn": lab, "observed_at": when.isoformat()}
        for i, lab in zip(ids, labels, strict=True)
    ]


def production_window(
    project: Path, folder: Path, prefix: str, start: datetime, relabel: bool
) -> list[str]:
    """The project's test rows served again as new customers (raw ids ``<prefix>00000``...):
    appended to the prediction log ``folder/logs`` as `lockstep serve` writes it (scored by the
    project's model, ids pseudonymized with the project's key), and their outcomes, two days on,
    in ``folder/<prefix>.csv``: the true labels, or with churn doubled among month-to-month
    customers (``relabel``). Returns the raw ids."""
    import json

    import pandas as pd
    import yaml

    from lockstep.config import build, threshold
    from lockstep.contract.dataconfig import DataConfig
    from lockstep.contract.pseudonym import pseudonym_key
    from lockstep.modelfile import load_model
    from lockstep.monitor.concept import relabel_segment

    params = yaml.safe_load((project / "params.yaml").read_text())
    data = build(DataConfig, params["data"], "data")
    rows = pd.read_parquet(project / "data/split/test.parquet")
    inputs = rows.drop(columns=[data.target])
    scores = load_model(str(project / "models/model.skops")).predict_proba(inputs)[:, 1]
    ids = [f"{prefix}{i:05d}" for i in range(len(rows))]
    features = json.loads(inputs.drop(columns=[data.id_column]).to_json(orient="records"))
    cut = threshold(params["evaluate"])
    key = pseudonym_key(data.pseudonymize)
    write_log(folder / "logs", ids, scores, start=start, features=features, threshold=cut, key=key)
    y = (rows[data.target] == data.positive_class).to_numpy()
    if relabel:
        y = relabel_segment(y, (rows["contract"] == "Month-to-month").to_numpy(), 2.0, seed=0)
    negative = next(v for v in data.columns[data.target].allowed if v != data.positive_class)
    labels = [data.positive_class if v else negative for v in y]
    outcomes = pd.DataFrame(outcome_rows(ids, labels, start + timedelta(days=2)))
    outcomes.to_csv(folder / f"{prefix}.csv", index=False)
    return ids
