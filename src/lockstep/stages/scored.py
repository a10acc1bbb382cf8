"""The test rows as evaluate scored them (data/scores/test.parquet), for the stages that judge the
model by its scores (fairness, model_card): they never load the model, so they start without
scikit-learn and skops (seconds per stage)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..config import section, threshold
from ..errors import LockstepError
from ..io import read_parquet


def decision(params: dict[str, Any]) -> float:
    """The ``evaluate.threshold`` the scores were judged at (evaluate checked the section)."""
    return threshold(section(params, "evaluate"))


def read_scored(scores_path: str, input_path: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(test features, label 1/0, probability), row for row: evaluate wrote the scores in the
    test features' order."""
    frame = read_parquet(input_path)
    scored = read_parquet(scores_path)
    if len(scored) != len(frame) or not {"label", "probability"} <= set(scored.columns):
        raise LockstepError(
            f"{scores_path} ({len(scored)} rows) is not the scores of {input_path} "
            f"({len(frame)} rows): run `dvc repro evaluate`"
        )
    return frame, scored["label"].to_numpy(dtype=int), scored["probability"].to_numpy(dtype=float)
