"""lockstep.monitor.live/performance/concept/ab: joins, windows, degradation, concept drift, A/B.

Synthetic scores with labels drawn from them are calibrated by construction: the null case.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from lockstep import bootstrap
from lockstep.config import build
from lockstep.monitor.config import MonitorParams
from lockstep.monitor.live import Context, report
from lockstep.monitor.performance import join
from tests.helpers.monitoring import START
from tests.helpers.tiny import data_config

DIRECTIONS = {"roc_auc": "higher", "brier": "lower", "pr_auc": "higher"}


def logged(n: int, seed: int, model: str = "prod", version: str = "v1") -> pd.DataFrame:
    """``n`` predictions a minute apart: scores, decisions, a contract segment, true labels."""
    rng = np.random.default_rng(seed)
    score = rng.beta(1.2, 2.5, n)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n)
    return pd.DataFrame(
        {
            "ts": pd.Timestamp(START) + pd.to_timedelta(np.arange(n), unit="min"),
            "model": model,
            "version": version,
            "id": [f"{model}{seed}-{i}" for i in range(n)],
            "score": score,
            "label": (score >= 0.5).astype(int),
            "contract": contract,
            "truth": (rng.random(n) < score).astype(int),
        }
    )


def outcomes_for(frame: pd.DataFrame, delay: timedelta = timedelta(days=2)) -> pd.DataFrame:
    return pd.DataFrame(
        {"id": frame["id"], "label": frame["truth"], "observed_at": frame["ts"] + delay}
    )


def context(test: dict[str, float], **cfg: object) -> Context:
    params = build(
        MonitorParams,
        {
            "seed": 3,
            "min_labels": 50,
            "bootstrap_samples": 100,
            "degradation": {"roc_auc": 0.05, "brier": 0.02},
            **cfg,
        },
        "monitor",
    )
    data = data_config(slice_columns=["contract"])
    tests = {"v1": {"metrics": test}, "v2": {"metrics": test}}
    return Context(data, params, DIRECTIONS, "roc_auc", tests, None, None)


def reference_metrics(frame: pd.DataFrame) -> dict[str, float]:
    y, p = frame["truth"].to_numpy(), frame["score"].to_numpy()
    return {m: bootstrap.METRICS[m](y, p, 0.5) for m in DIRECTIONS}


def run(frame: pd.DataFrame, outcomes: pd.DataFrame, ctx: Context, width=timedelta(days=30)):
    return report(frame.drop(columns="truth"), outcomes, {"records": len(frame)}, ctx, None, width)


def test_join_counts_unknown_and_early_outcomes_and_keeps_the_latest_prediction():
    preds = logged(4, 1)
    preds.loc[3, "id"] = preds.loc[0, "id"]  # scored twice: at minute 0 and minute 3
    outs = pd.DataFrame(
        {
            "id": [preds.loc[0, "id"], "nobody", preds.loc[1, "id"]],
            "label": [1, 0, 0],
            "observed_at": [
                preds.loc[3, "ts"] + timedelta(hours=1),
                preds.loc[0, "ts"],
                preds.loc[1, "ts"] - timedelta(hours=1),
            ],
        }
    )
    joined, counts = join(preds, outs)
    assert counts == {"outcomes": 3, "matched": 1, "unknown_id": 1, "before_prediction": 1}
    assert joined["y"].tolist()[:3] == [pytest.approx(np.nan, nan_ok=True)] * 3
    assert joined["y"].iloc[3] == 1


def test_calibrated_window_is_healthy_and_matches_the_metric_functions():
    frame = logged(1000, 11)
    result, plots = run(frame, outcomes_for(frame), context(reference_metrics(frame)))
    (window,) = result["windows"]
    assert window["coverage"] == 1.0 and window["median_hours"] == pytest.approx(48)
    y, p = frame["truth"].to_numpy(), frame["score"].to_numpy()
    assert window["metrics"]["roc_auc"]["value"] == pytest.approx(bootstrap.roc_auc(y, p, 0.5))
    low, high = window["metrics"]["roc_auc"]["low"], window["metrics"]["roc_auc"]["high"]
    assert low < window["metrics"]["roc_auc"]["value"] < high
    assert result["status"] == "healthy" and not result["degraded"] and not result["concept_drift"]
    assert plots["performance"][0]["roc_auc_low"] == low and len(plots["calibration"]) == 10


def test_labels_unrelated_to_scores_degrade():
    frame = logged(800, 12)
    test = reference_metrics(frame)
    frame["truth"] = np.random.default_rng(0).permutation(frame["truth"].to_numpy())
    result, _ = run(frame, outcomes_for(frame), context(test))
    assert (
        result["degraded"] and result["windows"][0]["degradation"]["metrics"]["roc_auc"]["degraded"]
    )


def test_doubled_churn_in_one_segment_is_concept_drift():
    frame = logged(1500, 13)
    test = reference_metrics(frame)
    m2m = frame["contract"] == "Month-to-month"
    rng = np.random.default_rng(1)
    frame.loc[m2m, "truth"] = (rng.random(int(m2m.sum())) < 2 * frame.loc[m2m, "score"]).astype(int)
    result, _ = run(frame, outcomes_for(frame), context(test))
    calib = result["windows"][0]["calibration"]
    assert "contract=Month-to-month" in calib["flagged_segments"]
    assert "contract=Two year" not in calib["flagged_segments"]
    assert result["concept_drift"] and result["status"] in ("degraded", "concept drift")


def test_small_windows_are_shown_but_not_judged():
    frame = logged(120, 14)
    result, _ = run(frame, outcomes_for(frame.head(30)), context(reference_metrics(frame)))
    assert result["windows"][0]["labelled"] == 30 and not result["windows"][0]["judged"]
    assert result["status"] == "not enough labels"


def test_windows_split_by_time_and_model():
    frame = pd.concat([logged(300, 15), logged(300, 16, "canary", "v2")], ignore_index=True)
    result, _ = run(
        frame, outcomes_for(frame), context(reference_metrics(frame)), timedelta(hours=2)
    )
    keys = [(w["window"], w["model"]) for w in result["windows"]]
    assert keys == sorted(keys) and len(keys) == 6  # 300 minutes: windows of 2 h, two models
    assert {w["version"] for w in result["windows"] if w["model"] == "canary"} == {"v2"}


def test_false_alarms_on_calibrated_windows_stay_rare():
    """Null case: the scores are the labels' true probabilities, and the test-set metrics come
    from another sample of the same population. With alpha = 0.01 per family (degradation,
    calibration) the design rate is at most 0.02 a window; 2 or more alarms in 5 windows then
    have probability under 0.4%, so asserting at most one is safe. (bench/monitor.py measures
    the rate on the real test rows.)"""
    alarms = []
    for seed in range(21, 26):
        frame = logged(800, seed)
        test = reference_metrics(logged(800, seed + 100))
        result, _ = run(frame, outcomes_for(frame), context(test))
        alarms.append(bool(result["degraded"] or result["concept_drift"]))
    assert sum(alarms) <= 1, alarms


def test_ab_verdict_worse_canary_and_an_indistinguishable_one():
    prod = logged(800, 31)
    worse = logged(800, 32, "canary", "v2")
    worse["truth"] = np.random.default_rng(2).permutation(worse["truth"].to_numpy())
    frame = pd.concat([prod, worse], ignore_index=True)
    result, _ = run(frame, outcomes_for(frame), context(reference_metrics(prod)))
    ab = result["ab"]
    assert ab["verdict"] == "worse" and ab["interval"][1] < 0 and ab["more_labels_needed"] == 0
    same = pd.concat([prod, logged(800, 33, "canary", "v2")], ignore_index=True)
    result, _ = run(same, outcomes_for(same), context(reference_metrics(prod)))
    ab = result["ab"]
    assert ab["verdict"] == "indistinguishable" and ab["interval"][0] < 0 < ab["interval"][1]
    assert ab["more_labels_needed"] > 0 and ab["labelled"] == {"prod": 800, "canary": 800}


def test_ab_verdict_when_the_primary_model_is_labelled_by_another_stage():
    staging = logged(800, 31, "staging")
    worse = logged(800, 32, "canary", "v2")
    worse["truth"] = np.random.default_rng(2).permutation(worse["truth"].to_numpy())
    frame = pd.concat([staging, worse], ignore_index=True)
    result, _ = run(frame, outcomes_for(frame), context(reference_metrics(staging)))
    assert result["ab"]["verdict"] == "worse"
    assert result["ab"]["labelled"] == {"prod": 800, "canary": 800}


def test_ab_power_calculation_scales_with_the_effect_sought():
    from lockstep.monitor.ab import verdict

    rng = np.random.default_rng(4)
    p = rng.beta(1.2, 2.5, 600)
    arm = ((rng.random(600) < p).astype(int), p)
    small = verdict(arm, arm, "roc_auc", "higher", 200, 0.95, 1, 0.01, 0.8)
    large = verdict(arm, arm, "roc_auc", "higher", 200, 0.95, 1, 0.02, 0.8)
    assert small["difference"] == 0 and small["verdict"] == "indistinguishable"
    assert small["standard_error"] == large["standard_error"] > 0
    # n grows as 1 / effect²: half the effect needs four times the labels
    total = [r["more_labels_needed"] + 1200 for r in (small, large)]
    assert total[0] / total[1] == pytest.approx(4, rel=0.01)


def test_monitor_command_writes_the_same_bytes_twice_and_fails_on_alert(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from lockstep.cli import main
    from tests.helpers.monitoring import monitor_params, write_log
    from tests.helpers.tiny import write_params

    monkeypatch.chdir(tmp_path)  # no training split here: input drift is not checked
    frame = logged(300, 41)
    write_params(tmp_path / "params.yaml", monitor_params(tmp_path, min_labels=50))
    ids = frame["id"].tolist()
    features = [{"contract": c} for c in frame["contract"]]
    write_log(tmp_path / "logs", ids, frame["score"].to_numpy(), features=features)
    rows = [
        {"customer_id": i, "churn": "Yes" if t else "No", "observed_at": "2026-12-01"}
        for i, t in zip(ids, frame["truth"], strict=True)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "o.csv", index=False)
    runner, params = CliRunner(), ["--params", str(tmp_path / "params.yaml")]
    assert runner.invoke(main, ["outcomes", "add", str(tmp_path / "o.csv"), *params]).exit_code == 0
    (tmp_path / "test.json").write_text(json.dumps({"roc_auc": 0.99, "brier": 0.01}))
    args = [
        "monitor",
        *params,
        "--test-metrics",
        str(tmp_path / "test.json"),
        "--output",
        str(tmp_path / "m.json"),
        "--plots-dir",
        str(tmp_path / "plots"),
    ]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    written = (tmp_path / "m.json").read_bytes()
    assert (
        runner.invoke(main, args).exit_code == 0 and (tmp_path / "m.json").read_bytes() == written
    )
    result = json.loads(written)
    assert result["degraded"] and result["test_metrics"]["v1.0.0"]["source"].endswith("test.json")
    metric = json.loads((tmp_path / "reports/monitoring.json").read_text())  # numbers only
    assert metric["degraded"] is True and metric["labelled"] == result["labelled"] == 300
    assert metric["latest"]["prod"]["roc_auc"] == result["latest"]["prod"]["roc_auc"]
    assert "status" not in metric and "version" not in metric["latest"]["prod"]
    assert (
        json.loads((tmp_path / "plots/performance.json").read_text())[0]["model"] == "prod v1.0.0"
    )
    assert runner.invoke(main, [*args, "--fail-on-alert"]).exit_code == 1
    with open(tmp_path / "logs" / "predictions.jsonl", "a", encoding="utf-8") as log:
        log.write('{"ts": "2026-12-01T00:00:00.000+00:00", "model": "pr')  # a torn last line
    torn = runner.invoke(main, args)
    assert torn.exit_code == 0 and "skipped 1 line(s) of the prediction log" in torn.output
    assert json.loads((tmp_path / "m.json").read_text())["log"]["skipped_lines"] == 1
