"""False-alarm and detection rates of `lockstep monitor` on the bundled test rows.

Needs a reproduced workspace (`dvc repro`): the model, the test features, the training split
(the reference for input drift) and reports/metrics.json (the test-set metrics compared with).
Each of --resamples rounds draws the test rows with replacement, scores them with the model and
treats the draw as one monitoring window whose outcomes are the rows' true labels (nothing
changed: any alarm is false), then again with churn doubled among month-to-month customers
(a concept change: an alarm is a detection). Prints each rate with a 95% Clopper-Pearson interval.

    python bench/monitor.py [--resamples 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from scipy import stats

from common import machine


def context(params: dict, metrics: dict):
    from lockstep.config import build, section
    from lockstep.contract.dataconfig import DataConfig
    from lockstep.io import read_parquet
    from lockstep.metric_rules import directions
    from lockstep.monitor.config import MonitorParams
    from lockstep.monitor.drift import DriftParams, conform
    from lockstep.monitor.live import Context

    data = build(DataConfig, section(params, "data"), "data")
    cfg = build(MonitorParams, section(params, "monitor"), "monitor")
    drift = build(DriftParams, section(params, "drift"), "drift")
    ref = conform(read_parquet("data/split/train.parquet"), data, "reference", "train split")
    primary = params["promote"]["primary_metric"]
    tests = {"bench": {"metrics": metrics}}
    return Context(data, cfg, directions(params), primary, tests, ref, drift)


def window(rows: pd.DataFrame, score: np.ndarray, y: np.ndarray, threshold: float) -> tuple:
    """A prediction log and its outcomes for one window of rows."""
    start = datetime(2026, 11, 2, tzinfo=UTC)
    ts = pd.Timestamp(start) + pd.to_timedelta(np.arange(len(rows)), unit="s")
    ids = [f"r{i}" for i in range(len(rows))]
    log = rows.reset_index(drop=True).assign(
        ts=ts, model="prod", version="bench", id=ids, score=score, label=(score >= threshold) * 1
    )
    outcomes = pd.DataFrame({"id": ids, "label": y, "observed_at": ts + timedelta(days=1)})
    return log, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resamples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from lockstep.config import load_params
    from lockstep.io import read_parquet
    from lockstep.modelfile import load_model
    from lockstep.monitor.concept import relabel_segment
    from lockstep.monitor.live import report

    params = load_params("params.yaml")
    with open("reports/metrics.json", encoding="utf-8") as handle:
        metrics = json.load(handle)
    ctx = context(params, metrics)
    test = read_parquet("data/features/test.parquet")
    y = (test[ctx.data.target].astype(str) == str(ctx.data.positive_class)).to_numpy(dtype=int)
    X = test.drop(columns=[ctx.data.target])
    score = load_model("models/model.skops").predict_proba(X)[:, 1]
    threshold = float(params["evaluate"]["threshold"])
    m2m = (X["contract"] == "Month-to-month").to_numpy()
    rng = np.random.default_rng(args.seed)
    counts = {"false alarm": 0, "degraded (relabelled)": 0, "concept drift (relabelled)": 0}
    for i in range(args.resamples):
        idx = rng.integers(0, len(y), len(y))
        log, outcomes = window(X.iloc[idx], score[idx], y[idx], threshold)
        result, _ = report(log, outcomes, {}, ctx, None, timedelta(days=7))
        counts["false alarm"] += bool(result["degraded"] or result["concept_drift"])
        relabelled = relabel_segment(y[idx], m2m[idx], 2.0, args.seed + i)
        log, outcomes = window(X.iloc[idx], score[idx], relabelled, threshold)
        result, _ = report(log, outcomes, {}, ctx, None, timedelta(days=7))
        counts["degraded (relabelled)"] += bool(result["degraded"])
        counts["concept drift (relabelled)"] += bool(result["concept_drift"])
    print(f"{machine()}\n{args.resamples} resamples of {len(y)} test rows, seed {args.seed}")
    for name, k in counts.items():
        ci = stats.binomtest(k, args.resamples).proportion_ci(0.95, method="exact")
        print(f"{name:<28} {k}/{args.resamples}  rate {k / args.resamples:.2f}  "
              f"95% CI [{ci.low:.2f}, {ci.high:.2f}]")  # fmt: skip


if __name__ == "__main__":
    main()
