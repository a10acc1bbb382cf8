"""Verdicts: how often noise reads better/worse (false alarms), and what a comparison costs.

Two exchangeable models (the same signal, independent noise of the same size) are compared on
1,409 synthetic rows with 26.5% positives (the bundled test set's size and churn rate). Under
this null every "better" or "worse" is a false alarm; at 95% confidence each metric should raise
about 5%. Paired and unpaired (another draw of rows for the head) are both measured.
The last figures isolate the percentile bootstrap's own false-alarm rate for the two metrics that
are means over rows (log_loss, brier: a resample's difference is the mean of the resampled rows'
differences, so it vectorises): 2,000 null replications at 200 and at 1,000 resamples.
Usage: python bench/verdicts.py [replications]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from lockstep.paired import verdict
from lockstep.significance import Scores, Settings, compare_all

ROWS, RATE = 1409, 0.265
WAYS = {"roc_auc": "higher", "accuracy": "higher", "log_loss": "lower", "brier": "lower"}


def draw(rng: np.random.Generator, signal=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if signal is None:
        y = (rng.random(ROWS) < RATE).astype(int)
        signal = 1.6 * y - 1.4 + rng.normal(0, 1, ROWS)
    else:
        y = signal[1]
        signal = signal[0]
    proba = 1 / (1 + np.exp(-(signal + rng.normal(0, 0.4, ROWS))))
    return y, proba, signal


def main(replications: int) -> None:
    ids = np.array([f"r{i:05d}" for i in range(ROWS)])
    settings = Settings(samples=200, seed=0)
    alarms = {kind: dict.fromkeys(WAYS, 0) for kind in ("paired", "unpaired")}
    start = time.perf_counter()
    for rep in range(replications):
        rng = np.random.default_rng(rep)
        y, base, signal = draw(rng)
        _, head, _ = draw(rng, (signal, y))
        y2, other, _ = draw(rng)
        pairs = {
            "paired": (Scores(ids, y, base), Scores(ids, y, head)),
            "unpaired": (Scores(ids, y, base), Scores(np.char.add(ids, "x"), y2, other)),
        }
        for kind, (b, h) in pairs.items():
            for name, cmp in compare_all(b, h, WAYS, settings).items():
                alarms[kind][name] += verdict(WAYS[name], cmp.low, cmp.high) != "indistinguishable"
    elapsed = time.perf_counter() - start
    print(f"false-alarm rate at 95% confidence, {replications} null replications of {ROWS} rows")
    for kind, counts in alarms.items():
        rates = ", ".join(f"{k} {v / replications:.1%}" for k, v in counts.items())
        print(f"  {kind:8s} {rates}")
    print(f"  (a rate's own 95% margin is about ±{1.96 * (0.05 * 0.95 / replications) ** 0.5:.1%})")
    print(
        f"time per comparison of {len(WAYS)} metrics (200 resamples): "
        f"{elapsed / replications / 2 * 1000:.0f} ms"
    )
    rng = np.random.default_rng(0)
    y, base, signal = draw(rng)
    _, head, _ = draw(rng, (signal, y))
    every = dict.fromkeys(
        ["roc_auc", "pr_auc", "accuracy", "precision", "recall", "f1", "log_loss", "brier"],
        "higher",
    )
    start = time.perf_counter()
    compare_all(Scores(ids, y, base), Scores(ids, y, head), every, Settings(samples=1000))
    print(
        f"time of a report's comparison (8 metrics, 1000 resamples): "
        f"{time.perf_counter() - start:.2f} s"
    )
    percentile_alarms()


def percentile_alarms(replications: int = 2000) -> None:
    """False alarms of the paired percentile interval on per-row mean metrics, by resamples."""
    for samples in (200, 1000):
        alarms = {"log_loss": 0, "brier": 0}
        for rep in range(replications):
            rng = np.random.default_rng(10_000 + rep)
            y, base, signal = draw(rng)
            _, head, _ = draw(rng, (signal, y))
            rows = {
                "log_loss": np.log(np.where(y == 1, base, 1 - base))
                - np.log(np.where(y == 1, head, 1 - head)),
                "brier": (head - y) ** 2 - (base - y) ** 2,
            }
            idx = np.random.default_rng(rep).integers(0, ROWS, (samples, ROWS))
            for name, diff in rows.items():
                low, high = np.percentile(diff[idx].mean(axis=1), [2.5, 97.5])
                alarms[name] += bool(low > 0 or high < 0)
        rates = ", ".join(f"{k} {v / replications:.1%}" for k, v in alarms.items())
        margin = 1.96 * (0.05 * 0.95 / replications) ** 0.5
        print(
            f"percentile bootstrap, {samples} resamples, {replications} replications: {rates} "
            f"(±{margin:.1%})"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
