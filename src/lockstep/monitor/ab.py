"""The canary's A/B verdict: better, worse or indistinguishable from prod on one metric.

Each arm's labelled predictions are bootstrapped independently (seeded); the difference canary −
prod gets a percentile interval and a two-sided z-test, z = difference / bootstrap standard
error (the arms are independent samples, so their variances add). The verdict is "better" or
"worse" (by the metric's direction) when p < 1 − confidence, else "indistinguishable".

How many more labelled outcomes would settle it: the standard error shrinks as 1/sqrt(n), so at
the current split between the arms, n_total × ((z_{1−a/2} + z_{power}) × SE / effect)² labelled
outcomes detect ``effect`` with the given power; ``effect`` is the difference seen, or
``monitor.ab_min_effect`` when that is smaller (a difference too small to matter needs no proof).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from .. import bootstrap


def arm_draws(y: np.ndarray, p: np.ndarray, metric: str, samples: int, seed: int) -> np.ndarray:
    values = bootstrap.draws(y, p, 0.5, samples, seed, (metric,))[metric]
    return values[~np.isnan(values)]


def verdict(
    prod: tuple[np.ndarray, np.ndarray],
    canary: tuple[np.ndarray, np.ndarray],
    metric: str,
    direction: str,
    samples: int,
    confidence: float,
    seed: int,
    min_effect: float,
    power: float,
) -> dict[str, Any]:
    """``prod`` and ``canary`` are (labels, scores) of each arm's labelled predictions."""
    fn = bootstrap.METRICS[metric]
    values = {"prod": fn(*prod, 0.5), "canary": fn(*canary, 0.5)}
    a, b = arm_draws(*prod, metric, samples, seed), arm_draws(*canary, metric, samples, seed + 1)
    size = min(len(a), len(b))
    diff = float(values["canary"] - values["prod"])
    se = float(math.sqrt(np.var(a, ddof=1) + np.var(b, ddof=1))) if size > 1 else float("nan")
    z = diff / se if se and se > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z)))
    alpha = 1 - confidence
    low, high = bootstrap.percentile_interval(b[:size] - a[:size], confidence)
    gain = diff if direction == "higher" else -diff
    result = "indistinguishable"
    if p_value < alpha:
        result = "better" if gain > 0 else "worse"
    n_now = len(prod[0]) + len(canary[0])
    effect = max(abs(diff), min_effect)
    z_need = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    needed = math.ceil(n_now * (z_need * se / effect) ** 2) if se == se else None
    more = 0 if result != "indistinguishable" or needed is None else max(0, needed - n_now)
    return {
        "metric": metric,
        "test": "bootstrap z-test (two-sided)",
        "prod": float(values["prod"]),
        "canary": float(values["canary"]),
        "difference": diff,
        "interval": [low, high],
        "standard_error": se,
        "z": float(z),
        "p_value": p_value,
        "verdict": result,
        "labelled": {"prod": len(prod[0]), "canary": len(canary[0])},
        "effect_sought": effect,
        "power": power,
        "more_labels_needed": more,
    }
