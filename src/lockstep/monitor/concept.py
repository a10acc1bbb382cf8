"""Degradation and concept drift of one window of labelled predictions.

**Degraded**: for each metric in ``monitor.degradation`` (metric → margin), the live value is
significantly worse than the model's own test-set value T by more than the margin: the one-sided
bootstrap bound at level alpha/k (k = number of metrics; Bonferroni) is past T − margin (T +
margin for a lower-is-better metric). The margin keeps a small, harmless shortfall from alarming
on a large window; the bound keeps noise from alarming on a small one. T is treated as fixed.

**Concept drift**: the relation between inputs and label changed, seen as the model's scores no
longer matching the rates observed, while the inputs themselves did not drift:
- calibration in the large, overall and in every segment (each value of ``data.slice_columns``
  with at least 30 labelled rows): z = (O − E) / sqrt(Σ p(1 − p)), O the positives observed and E
  the sum of scores, exact under the null that the scores are the true probabilities. A segment
  is flagged when its two-sided p < alpha/k (k = segments tested) and |O − E| / n exceeds
  ``calibration_margin``: a segment whose churn doubled has O ≈ 2E.
- Spiegelhalter's z (calibration of the whole score range) and the Hosmer–Lemeshow statistic
  (deciles of the score, g degrees of freedom on data the model was not fitted on) are reported
  alongside, not used to decide: they test against perfect calibration with no margin, so a large
  window flags shortfalls too small to act on, and they do not say where calibration moved.
Inputs are compared with the reference rows by `lockstep drift`'s tests; when they drifted too,
the window is reported as data drift (the two cannot be told apart from labels alone).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

MIN_SEGMENT = 30


def degradation(
    live: dict[str, Any],
    test: dict[str, float],
    margins: dict[str, float],
    directions: dict[str, str],
    alpha: float,
) -> dict[str, Any]:
    """Per metric: test value, live bound at alpha/k, and whether it is degraded."""
    judged = {m: d for m, d in margins.items() if m in live and test.get(m) is not None}
    level = alpha / max(1, len(judged))
    out: dict[str, Any] = {"level": level, "metrics": {}}
    for metric, margin in judged.items():
        draws = live[metric]["draws"]
        draws = draws[~np.isnan(draws)]
        higher = directions.get(metric, "higher") == "higher"
        bound = float(np.percentile(draws, 100 * (1 - level) if higher else 100 * level))
        limit = test[metric] - margin if higher else test[metric] + margin
        out["metrics"][metric] = {
            "test": float(test[metric]),
            "live": live[metric]["value"],
            "bound": bound,
            "limit": limit,
            "degraded": bool(bound < limit if higher else bound > limit),
        }
    out["degraded"] = any(m["degraded"] for m in out["metrics"].values())
    return out


def in_the_large(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    observed, expected, var = float(y.sum()), float(p.sum()), float(np.sum(p * (1 - p)))
    z = (observed - expected) / np.sqrt(var) if var > 0 else 0.0
    return {
        "n": len(y),
        "observed_rate": observed / len(y),
        "expected_rate": expected / len(y),
        "z": float(z),
        "p_value": float(2 * stats.norm.sf(abs(z))),
    }


def spiegelhalter(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    var = float(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    z = float(np.sum((y - p) * (1 - 2 * p)) / np.sqrt(var)) if var > 0 else 0.0
    return {"z": z, "p_value": float(2 * stats.norm.sf(abs(z)))}


def hosmer_lemeshow(y: np.ndarray, p: np.ndarray, groups: int = 10) -> dict[str, float]:
    order = np.argsort(p, kind="mergesort")
    statistic, used = 0.0, 0
    for chunk in np.array_split(order, groups):
        n, expected = len(chunk), float(p[chunk].sum())
        if n == 0 or expected <= 0 or expected >= n:
            continue
        statistic += (float(y[chunk].sum()) - expected) ** 2 / (expected * (1 - expected / n))
        used += 1
    return {
        "statistic": statistic,
        "df": used,
        "p_value": float(stats.chi2.sf(statistic, used)) if used else 1.0,
    }


def segments(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[tuple[str, np.ndarray]]:
    """("all", every row) and (column=value, rows) for each value with enough labelled rows."""
    out = [("all", np.ones(len(frame), dtype=bool))]
    for column in columns:
        if column not in frame.columns:
            continue
        for value in sorted(frame[column].dropna().astype(str).unique()):
            mask = (frame[column].astype(str) == value).to_numpy()
            if mask.sum() >= MIN_SEGMENT:
                out.append((f"{column}={value}", mask))
    return out


def concept(
    frame: pd.DataFrame, columns: tuple[str, ...], alpha: float, margin: float
) -> dict[str, Any]:
    """Calibration tests of the labelled rows ``frame`` (columns y, score and the features)."""
    y, p = frame["y"].to_numpy(dtype=float), frame["score"].to_numpy(dtype=float)
    parts = segments(frame, columns)
    level = alpha / len(parts)
    tested = {}
    for name, mask in parts:
        result = in_the_large(y[mask], p[mask])
        gap = abs(result["observed_rate"] - result["expected_rate"])
        result["flagged"] = bool(result["p_value"] < level and gap > margin)
        tested[name] = result
    return {
        "level": level,
        "segments": tested,
        "flagged_segments": [n for n, r in tested.items() if r["flagged"]],
        "spiegelhalter": spiegelhalter(y, p),
        "hosmer_lemeshow": hosmer_lemeshow(y, p),
        "calibration_moved": any(r["flagged"] for r in tested.values()),
    }


def relabel_segment(y: np.ndarray, mask: np.ndarray, factor: float, seed: int) -> np.ndarray:
    """``y`` with the positive rate inside ``mask`` multiplied by ``factor`` (capped at 1), by
    turning randomly chosen negatives of the segment positive: a change of concept for measuring
    detection (bench/monitor.py and the tests), never applied to real outcomes."""
    y = np.asarray(y, dtype=int).copy()
    rate = y[mask].mean()
    flip = (min(1.0, factor * rate) - rate) / (1 - rate) if rate < 1 else 0.0
    negatives = np.flatnonzero(mask & (y == 0))
    chosen = np.random.default_rng(seed).random(len(negatives)) < flip
    y[negatives[chosen]] = 1
    return y
