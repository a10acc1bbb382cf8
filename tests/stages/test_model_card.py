"""The model_card stage's pure parts: metric tables with intervals, slices, unknown columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lockstep import bootstrap
from lockstep.errors import LockstepError
from lockstep.stages.model_card import ModelCardParams, metric_table, slice_tables

FRAME = pd.DataFrame(
    {
        "contract": ["Month-to-month"] * 6 + ["Two year"] * 4,
        "senior_citizen": [0, 1] * 5,
    }
)
Y = np.array([1, 0, 1, 0, 1, 0, 0, 0, 1, 0])
P = np.array([0.9, 0.2, 0.7, 0.4, 0.6, 0.3, 0.1, 0.2, 0.55, 0.35])


def test_metric_table_is_seeded_and_complete():
    card = ModelCardParams(bootstrap_samples=30, confidence=0.9)
    values = dict.fromkeys(bootstrap.METRICS, 0.25)  # as in evaluate's reports/metrics.json
    first = metric_table(Y, P, 0.5, card, 7, values)
    assert first == metric_table(Y, P, 0.5, card, 7, values)
    assert first[0] == "| metric | value | 90% CI |"
    assert all(line.split(" | ")[1] == "0.2500" for line in first[2:])
    assert {line.split(" | ")[0][2:] for line in first[2:]} == {
        "accuracy",
        "brier",
        "f1",
        "log_loss",
        "pr_auc",
        "precision",
        "recall",
        "roc_auc",
    }


def test_slice_tables_have_one_row_per_value():
    lines = slice_tables(FRAME, Y, P, 0.5, ("contract", "senior_citizen"))
    assert "### By `contract`" in lines and "### By `senior_citizen`" in lines
    rows = [line for line in lines if line.startswith("| Month") or line.startswith("| Two")]
    assert rows[0].startswith("| Month-to-month | 6 | 0.5000 | 1.0000 |")
    assert rows[1].startswith("| Two year | 4 | 0.2500 |")


def test_unknown_slice_column_names_the_column():
    with pytest.raises(LockstepError, match="column 'region'"):
        slice_tables(FRAME, Y, P, 0.5, ("region",))


def test_slice_without_predicted_positives_shows_na_precision_and_names_the_target():
    frame = pd.DataFrame({"region": ["north"] * 4 + ["south"] * 4})
    y = np.array([1, 0, 1, 0, 0, 0, 1, 0])
    p = np.array([0.9, 0.1, 0.8, 0.2, 0.1, 0.2, 0.3, 0.1])  # south: nothing scored positive
    lines = slice_tables(frame, y, p, 0.5, ("region",), "defaulted")
    assert "| value | rows | defaulted rate | roc_auc | precision | recall |" in lines
    south = next(line for line in lines if line.startswith("| south"))
    assert south.split(" | ")[4] == "n/a"  # precision: no predicted positives
    assert south.split(" | ")[5] == "0.0000 |"  # recall: one positive, missed


def test_render_prints_the_source_readably():
    from lockstep.stages.model_card import render
    from tests.helpers.tiny import data_config

    ingest = {"source": {"kind": "file", "path": "data/source/x.csv"}, "rows": 3}
    params = {"split": {"test_size": 0.2}, "evaluate": {"threshold": 0.5}, "test_rows": 1}
    params.update(model={}, train={})
    text = render(data_config(), ingest, params, [], [], ModelCardParams(), {})
    assert "- source: kind `file`, path `data/source/x.csv`" in text
    assert "{" not in text.split("## Data")[1].split("\n")[2]
