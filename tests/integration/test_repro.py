"""The commands users run, for real: dvc repro in a temp git repo."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run

pytestmark = pytest.mark.slow


def test_repro_meets_the_auc_bar_and_reruns_nothing(project):
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert metrics["roc_auc"] >= 0.84
    again = run(["dvc", "repro"], project)
    assert "Running stage" not in again.stdout
    assert run(["git", "status", "--porcelain"], project).stdout == ""
