"""lockstep.monitor.retrain: the retrained model vs production, on the test split and the window."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from lockstep.cli import main
from lockstep.config import build
from lockstep.monitor.config import MonitorParams
from lockstep.monitor.feedback import window_rows
from lockstep.monitor.retrain import SECTIONS, compare_on, render
from lockstep.significance import Settings
from tests.helpers.models import fitted, saved
from tests.helpers.monitoring import START, hashed, monitor_params, outcome_rows, write_log
from tests.helpers.tiny import data_config, raw_frame, write_params

DIRECTIONS = {"roc_auc": "higher", "accuracy": "higher", "brier": "lower"}
SETTINGS = Settings(threshold=0.5, confidence=0.95, samples=200, seed=3)


@pytest.fixture
def window(tmp_path) -> pd.DataFrame:
    """The tiny rows served as new customers (w01..w20), their labels back as outcomes."""
    raw = raw_frame()
    ids = [f"w{i:02d}" for i in range(1, 21)]
    features = json.loads(raw.drop(columns=["customer_id", "churn"]).to_json(orient="records"))
    params = monitor_params(tmp_path)
    write_params(tmp_path / "params.yaml", params)
    write_log(tmp_path / "logs", ids, np.linspace(0.1, 0.9, 20), features=features)
    outcomes = pd.DataFrame(outcome_rows(ids, raw["churn"].tolist(), START + timedelta(days=3)))
    outcomes.to_csv(tmp_path / "o.csv", index=False)
    added = CliRunner().invoke(
        main,
        ["outcomes", "add", str(tmp_path / "o.csv"), "--params", str(tmp_path / "params.yaml")],
    )
    assert added.exit_code == 0, added.output
    cfg = build(MonitorParams, params["monitor"], "monitor")
    return window_rows(data_config(), cfg, None, None, None)


def test_both_sections_are_compared_pairwise_with_verdicts(window):
    data = data_config()
    models = (saved("logistic_regression")[0], fitted("random_forest")[0])
    test = raw_frame()
    assert sorted(window["customer_id"]) == sorted(hashed([f"w{i:02d}" for i in range(1, 21)]))
    trained = {"c01", "c05", window["customer_id"].iloc[0]}  # a model was fitted on these
    sections = [
        compare_on(title, rows, models, trained, data, DIRECTIONS, SETTINGS)
        for title, rows in zip(SECTIONS, (test, window), strict=True)
    ]
    assert [(s.rows, s.left_out) for s in sections] == [(18, 2), (19, 1)]
    kept = test[~test["customer_id"].isin(trained)]
    y = (kept["churn"] == "Yes").to_numpy()
    auc = sections[0].review.comparisons["roc_auc"]
    assert auc.base == pytest.approx(roc_auc_score(y, models[0].predict_proba(kept)[:, 1]))
    assert auc.head == pytest.approx(roc_auc_score(y, models[1].predict_proba(kept)[:, 1]))
    assert auc.test == "DeLong (paired)" and auc.paired
    text = render(sections, "`prod` v1.0.0 at `abc`", DIRECTIONS)
    parts = text.split("### ")
    assert [p.splitlines()[0] for p in parts[1:]] == list(SECTIONS)
    for part, section in zip(parts[1:], sections, strict=True):
        assert f"{section.rows} rows compared, {section.left_out} left out." in part
        assert "| `roc_auc` |" in part and "| `brier` |" in part and "McNemar exact" in part
        judged = section.review.verdicts(DIRECTIONS)
        assert set(judged) == set(DIRECTIONS)
        assert f"{list(judged.values()).count('indistinguishable')} indistinguishable" in part


def test_a_window_of_one_class_is_shown_untested(window):
    data = data_config()
    models = (saved("logistic_regression")[0], saved("logistic_regression")[0])
    one_class = window[window["churn"] == "No"]
    section = compare_on(SECTIONS[1], one_class, models, set(), data, DIRECTIONS, SETTINGS)
    assert not section.review.comparisons and "1 class(es)" in section.review.missing
    assert "_No test: " in render([section], "`HEAD`", DIRECTIONS)
