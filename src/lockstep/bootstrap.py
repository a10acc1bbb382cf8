"""Bootstrap confidence intervals for test-set metrics, in plain numpy (fast, seeded).

The metric functions match scikit-learn's (roc_auc_score, average_precision_score, ...) on the
same inputs (precision and recall with ``zero_division=nan``: undefined, not 0, so a resample or a
slice without positives shows "n/a" and is left out of an interval); they exist so that a few
hundred resamples take well under a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

Metric = Callable[[np.ndarray, np.ndarray, float], float]


def average_ranks(p: np.ndarray) -> np.ndarray:
    """1-based ranks of ``p``, ties sharing their average rank (scipy.stats.rankdata's default,
    without importing scipy.stats: a second of start-up for the model card)."""
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # the rank of the last row of each tie
    return (last - (counts - 1) / 2)[inverse]


def roc_auc(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = average_ranks(p)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def pr_auc(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    positives = int(y.sum())
    if positives == 0:
        return float("nan")
    order = np.argsort(-p, kind="mergesort")
    ys, ps = y[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]  # last index of each distinct score
    tps = np.cumsum(ys)[last]
    precision = tps / (last + 1)
    recall = tps / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _confusion(y: np.ndarray, p: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    pred = p >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    return tp, fp, fn, len(y) - tp - fp - fn


def accuracy(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    tp, _, _, tn = _confusion(y, p, threshold)
    return (tp + tn) / len(y)


def precision(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    tp, fp, _, _ = _confusion(y, p, threshold)
    return tp / (tp + fp) if tp + fp else float("nan")  # no predicted positive: undefined


def recall(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    tp, _, fn, _ = _confusion(y, p, threshold)
    return tp / (tp + fn) if tp + fn else float("nan")  # no actual positive: undefined


def f1(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    tp, fp, fn, _ = _confusion(y, p, threshold)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def log_loss(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    q = np.clip(p, np.finfo(float).eps, 1 - np.finfo(float).eps)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def brier(y: np.ndarray, p: np.ndarray, threshold: float) -> float:
    return float(np.mean((p - y) ** 2))


METRICS: dict[str, Metric] = {
    "roc_auc": roc_auc,
    "pr_auc": pr_auc,
    "accuracy": accuracy,
    "precision": precision,
    "recall": recall,
    "f1": f1,
    "log_loss": log_loss,
    "brier": brier,
}


def point(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    return {name: float(fn(y, p, threshold)) for name, fn in METRICS.items()}


def resamples(n: int, samples: int, seed: int) -> Iterator[np.ndarray]:
    """Row indices of ``samples`` seeded bootstrap resamples of ``n`` rows (the card's scheme)."""
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        yield rng.integers(0, n, n)


def draws(
    y: np.ndarray,
    p: np.ndarray,
    threshold: float,
    samples: int,
    seed: int,
    names: tuple[str, ...] = tuple(METRICS),
) -> dict[str, np.ndarray]:
    """Each named metric on ``samples`` seeded resamples of the rows (NaN where undefined)."""
    out: dict[str, list[float]] = {name: [] for name in names}
    for idx in resamples(len(y), samples, seed):
        for name in names:
            out[name].append(METRICS[name](y[idx], p[idx], threshold))
    return {name: np.asarray(values, dtype=float) for name, values in out.items()}


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of the defined draws (NaN if none)."""
    arr = values[~np.isnan(values)]
    if arr.size == 0:
        return (float("nan"), float("nan"))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(arr, [tail, 100 - tail])
    return (float(low), float(high))


def intervals(
    y: np.ndarray,
    p: np.ndarray,
    threshold: float,
    samples: int,
    confidence: float,
    seed: int,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of every metric from ``samples`` seeded resamples."""
    drawn = draws(y, p, threshold, samples, seed)
    return {name: percentile_interval(values, confidence) for name, values in drawn.items()}
