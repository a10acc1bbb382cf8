"""lockstep.stages.scored: the scores evaluate wrote, read row for row with the test features."""

from __future__ import annotations

import pandas as pd
import pytest

from lockstep.config import load_params
from lockstep.errors import LockstepError
from lockstep.io import write_parquet
from lockstep.stages.scored import decision, read_scored


def files(tmp_path, rows: int, scored: int) -> tuple[str, str]:
    features = pd.DataFrame({"region": ["north", "south"] * rows})
    scores = pd.DataFrame({"id": ["a", "b"] * scored, "label": [1, 0] * scored})
    scores["probability"] = [0.8, 0.1] * scored
    write_parquet(tmp_path / "test.parquet", features)
    write_parquet(tmp_path / "scores.parquet", scores)
    return str(tmp_path / "scores.parquet"), str(tmp_path / "test.parquet")


def test_labels_and_scores_come_in_the_test_rows_order(tmp_path):
    frame, y, proba = read_scored(*files(tmp_path, 3, 3))
    assert list(frame["region"][:2]) == ["north", "south"]
    assert y.tolist() == [1, 0] * 3 and proba.tolist() == [0.8, 0.1] * 3


def test_scores_of_other_rows_are_refused_with_the_fix(tmp_path):
    with pytest.raises(LockstepError, match=r"4 rows.*6 rows.*dvc repro evaluate"):
        read_scored(*files(tmp_path, 3, 2))


def test_the_threshold_is_checked(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("evaluate:\n  threshold: 0.3\n  seed: 1\n")
    assert decision(load_params(path, ["evaluate.threshold"])) == 0.3
    path.write_text("evaluate:\n  threshold: 1.5\n")
    with pytest.raises(LockstepError, match=r"evaluate\.threshold must be between 0 and 1"):
        decision(load_params(path, ["evaluate.threshold"]))
