"""On the bundled data, after a real `dvc repro`: the card's fairness table, reports/fairness.json
and the PR report's fairness section agree with fairlearn computed here from the model and rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from fairlearn import metrics as fm

from lockstep.modelfile import load_model
from tests.conftest import run

pytestmark = pytest.mark.slow


def test_fairness_report_card_and_pr_section_match_fairlearn(reproduced_project):
    import pandas as pd

    root = reproduced_project
    params = yaml.safe_load((root / "params.yaml").read_text())
    data, threshold = params["data"], params["evaluate"]["threshold"]
    frame = pd.read_parquet(root / "data/features/test.parquet")
    y = (frame[data["target"]] == data["positive_class"]).to_numpy(dtype=int)
    model = load_model(str(root / "models/model.skops"))
    pred = (model.predict_proba(frame.drop(columns=[data["target"]]))[:, 1] >= threshold).astype(
        int
    )
    report = json.loads((root / "reports/fairness.json").read_text())
    card = (root / "reports/model_card.md").read_text()
    pr = run(["lockstep", "report", "--base", "HEAD"], root).stdout
    assert sorted(report["columns"]) == sorted(data["sensitive_columns"])  # JSON keys are sorted
    if not data["sensitive_columns"]:
        pytest.skip("the dataset declares no sensitive columns")
    for column in data["sensitive_columns"]:
        ours = report["columns"][column]
        small = [g for g, e in ours["groups"].items() if "too_small" in e]
        for group in small:
            assert f"| {group} | {ours['groups'][group]['rows']} |" in card and "n/a (too" in card
        keep = ~np.isin(frame[column].astype(str).to_numpy(), small)
        if len(ours["groups"]) - len(small) < 2:
            assert "fewer than two groups" in card
            continue
        groups = frame[column].astype(str).to_numpy()[keep]
        y_kept, pred_kept = y[keep], pred[keep]
        theirs = fm.MetricFrame(
            metrics={"tpr": fm.true_positive_rate, "fpr": fm.false_positive_rate,
                     "selection_rate": fm.selection_rate},
            y_true=y_kept, y_pred=pred_kept, sensitive_features=groups,
        ).by_group  # fmt: skip
        for group, row in theirs.iterrows():
            for rate in ("tpr", "fpr", "selection_rate"):
                assert ours["groups"][group][rate] == pytest.approx(row[rate], abs=1e-6)
            sr = ours["groups"][group]["selection_rate"]
            assert f"| {group} | {int(np.sum(groups == group))} |" in card and f"{sr:.4f}" in card
        for name in ("demographic_parity_difference", "equalized_odds_difference"):
            value = getattr(fm, name)(y_kept, pred_kept, sensitive_features=groups)
            entry = ours[name]
            assert entry["value"] == pytest.approx(value, abs=1e-6)
            assert entry["low"] <= entry["high"]
            shown = f"{entry['value']:.4f} ({entry['low']:.4f}–{entry['high']:.4f})"
            assert f"| `{column}` | {name} | {shown} | {shown} |" in pr
            assert f"| {name} | {entry['value']:.4f} |" in card
