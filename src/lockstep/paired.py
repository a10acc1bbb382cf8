"""Comparing two models on test rows: the difference of a metric with its confidence interval.

Paired tests (both models scored the same rows, aligned):
- ROC AUC: DeLong, DeLong & Clarke-Pearson's test for correlated AUCs (1988), computed with
  Sun & Xu's fast midrank algorithm (2014); normal interval of the difference.
- accuracy at the threshold: exact McNemar test (binomial on the discordant rows) and the exact
  (Clopper-Pearson) interval of the difference, conditional on the number of discordant rows.
- any other metric: a seeded paired bootstrap (the same resampled rows for both models).
Unpaired fallbacks (the rows differ, e.g. after a data change): DeLong's variance of each AUC
taken as independent, and a bootstrap that resamples each model's rows on its own.

Every function is pure (arrays in, a Comparison out); nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import bootstrap

VERDICTS = ("better", "worse", "indistinguishable")


@dataclass(frozen=True)
class Comparison:
    """``head - base`` for one metric, with a two-sided interval at ``confidence``."""

    metric: str
    base: float
    head: float
    diff: float
    low: float
    high: float
    test: str
    paired: bool
    confidence: float
    p_value: float | None = None


def verdict(direction: str, low: float, high: float) -> str:
    """'better'/'worse' when the interval of ``head - base`` excludes 0, else indistinguishable."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "indistinguishable"
    sign = 1.0 if direction == "higher" else -1.0
    gain_low, gain_high = sorted((sign * low, sign * high))
    if gain_low > 0:
        return "better"
    if gain_high < 0:
        return "worse"
    return "indistinguishable"


def _z(confidence: float) -> float:
    from scipy.stats import norm

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))


def _two_class(y: np.ndarray) -> tuple[np.ndarray, int, int]:
    y = np.asarray(y).astype(int)
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        raise ValueError("DeLong needs both classes among the rows")
    return y, positives, len(y) - positives


def delong(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(AUCs, covariance matrix) of k score rows on labels ``y`` (Sun & Xu's midrank method).

    ``scores`` has shape (k, n_rows). The covariance is DeLong's: S10/m + S01/n, from the
    structural components of the positives (V10) and of the negatives (V01).
    """
    from scipy.stats import rankdata

    y, m, n = _two_class(y)
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    x, z = scores[:, y == 1], scores[:, y == 0]
    tx = rankdata(x, axis=1)
    tz = rankdata(z, axis=1)
    tall = rankdata(np.concatenate([x, z], axis=1), axis=1)
    aucs = (tall[:, :m].sum(axis=1) / m - (m + 1) / 2) / n
    v10 = (tall[:, :m] - tx) / n
    v01 = 1 - (tall[:, m:] - tz) / m
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return aucs, cov


def _normal(
    metric: str, base: float, head: float, var: float, confidence: float, test: str, paired: bool
) -> Comparison:
    from scipy.stats import norm

    diff = head - base
    se = float(np.sqrt(max(var, 0.0)))
    half = _z(confidence) * se
    p = float(2 * norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return Comparison(
        metric, base, head, diff, diff - half, diff + half, test, paired, confidence, p
    )


def delong_paired(
    y: np.ndarray, base: np.ndarray, head: np.ndarray, confidence: float
) -> Comparison:
    """DeLong's test of two correlated AUCs on the same rows."""
    aucs, cov = delong(y, np.vstack([base, head]))
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    return _normal(
        "roc_auc", float(aucs[0]), float(aucs[1]), float(var), confidence, "DeLong (paired)", True
    )


def delong_unpaired(
    y_base: np.ndarray, base: np.ndarray, y_head: np.ndarray, head: np.ndarray, confidence: float
) -> Comparison:
    """Two AUCs on different rows: DeLong's variance of each, taken as independent."""
    auc_b, cov_b = delong(y_base, base)
    auc_h, cov_h = delong(y_head, head)
    var = float(cov_b[0, 0] + cov_h[0, 0])
    test = "DeLong (unpaired)"
    return _normal("roc_auc", float(auc_b[0]), float(auc_h[0]), var, confidence, test, False)


def mcnemar(
    y: np.ndarray, base: np.ndarray, head: np.ndarray, threshold: float, confidence: float
) -> Comparison:
    """Exact McNemar test of accuracy at ``threshold`` and the interval of the difference.

    Of the N rows where exactly one model is right, head is right on c. Under "no difference",
    c ~ Binomial(N, 1/2); the difference in accuracy is N/n * (2 pi - 1) with pi the share of
    those rows head gets right, so the Clopper-Pearson interval of pi maps to one of the
    difference. With p = 1/2 the binomial is symmetric, so the two-sided p-value is exact.
    """
    from scipy.stats import binomtest

    y = np.asarray(y).astype(int)
    right_b = (np.asarray(base) >= threshold).astype(int) == y
    right_h = (np.asarray(head) >= threshold).astype(int) == y
    b = int(np.sum(right_b & ~right_h))
    c = int(np.sum(~right_b & right_h))
    n, discordant = len(y), b + c
    acc_b, acc_h = float(right_b.mean()), float(right_h.mean())
    test = "McNemar exact (paired)"
    if discordant == 0:
        return Comparison("accuracy", acc_b, acc_h, 0.0, 0.0, 0.0, test, True, confidence, 1.0)
    result = binomtest(c, discordant, 0.5)
    ci = result.proportion_ci(confidence_level=confidence, method="exact")
    scale = discordant / n
    low, high = scale * (2 * ci.low - 1), scale * (2 * ci.high - 1)
    diff, p = (c - b) / n, float(result.pvalue)
    return Comparison("accuracy", acc_b, acc_h, diff, low, high, test, True, confidence, p)


def _percentile(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def _bootstrap(
    metric: str,
    base: tuple,
    head: tuple,
    paired: bool,
    threshold: float,
    samples: int,
    confidence: float,
    seed: int,
) -> Comparison:
    """Percentile interval of ``metric(head) - metric(base)`` over seeded resamples."""
    fn = bootstrap.METRICS[metric]
    (yb, pb), (yh, ph) = ((np.asarray(y), np.asarray(p)) for y, p in (base, head))
    rng = np.random.default_rng(seed)
    draws = np.empty(samples)
    for i in range(samples):
        ib = rng.integers(0, len(yb), len(yb))
        ih = ib if paired else rng.integers(0, len(yh), len(yh))
        draws[i] = fn(yh[ih], ph[ih], threshold) - fn(yb[ib], pb[ib], threshold)
    vb, vh = fn(yb, pb, threshold), fn(yh, ph, threshold)
    low, high = _percentile(draws, confidence)
    test = f"bootstrap ({'paired' if paired else 'unpaired'}, {samples} resamples)"
    return Comparison(metric, vb, vh, vh - vb, low, high, test, paired, confidence)


def bootstrap_paired(
    metric: str, y, base, head, threshold: float, samples: int, confidence: float, seed: int
) -> Comparison:
    """The same resampled rows for both models (their shared noise cancels)."""
    return _bootstrap(metric, (y, base), (y, head), True, threshold, samples, confidence, seed)


def bootstrap_unpaired(
    metric: str,
    y_base,
    base,
    y_head,
    head,
    threshold: float,
    samples: int,
    confidence: float,
    seed: int,
) -> Comparison:
    """Each model's own rows resampled independently (the rows differ)."""
    return _bootstrap(
        metric, (y_base, base), (y_head, head), False, threshold, samples, confidence, seed
    )
