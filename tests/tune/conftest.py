"""Fixtures for the tune tests: the tiny dataset as a training split, and a conf/ that uses it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lockstep.features import derive
from lockstep.tune.objective import CVData, cv_data
from tests.conftest import ROOT
from tests.helpers.tiny import DERIVED, data_config, data_dict, raw_frame


def tiny_cv(folds: int = 2, seed: int = 3, metric: str = "roc_auc", repeats: int = 1) -> CVData:
    frame = derive(raw_frame(), DERIVED)
    return cv_data(frame, data_config(), DERIVED, folds, seed, metric, repeats)


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """The project's conf/ with the tiny dataset as a `data` option, and its training split."""
    conf = tmp_path / "conf"
    shutil.copytree(ROOT / "conf", conf)
    for tuned in (conf / "model").glob("*_tuned.yaml"):  # what a run writes, not yet written
        tuned.unlink()
    (conf / "data" / "tiny.yaml").write_text(yaml.safe_dump(data_dict()), encoding="utf-8")
    features = tmp_path / "data" / "features"
    features.mkdir(parents=True)
    derive(raw_frame(), DERIVED).to_parquet(features / "train.parquet", index=False)
    return tmp_path
