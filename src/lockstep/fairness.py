"""Group fairness of a classifier at its threshold: fairlearn's definitions, seeded intervals.

For each declared sensitive column, per group (one value of the column): rows, actual positives,
selection rate, true- and false-positive rate and precision (as fairlearn's ``MetricFrame`` gives
them). Between
the groups large enough to say anything: the demographic-parity and equalized-odds difference and
ratio (fairlearn's ``demographic_parity_difference`` … ``equalized_odds_ratio``; equalized odds is
the worse of the TPR and FPR gaps). A group with fewer than ``min_group_rows`` rows, or fewer than
``min_group_positives`` actual positives or negatives, is reported as too small and left out of
the disparities: never as a rate of 0.

Each disparity has a percentile bootstrap interval from the model card's seeded resamples of the
test rows (lockstep.bootstrap). Every value, on the test rows and on each resample, comes from a
few counts per group in one vectorised form of fairlearn's definitions; tests check it against
fairlearn on the same rows and resamples. The stage itself does not import fairlearn, which loads
scikit-learn (seconds of start-up for a few counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import bootstrap
from .errors import LockstepError
from .io import rounded

RATES = ("selection_rate", "tpr", "fpr")
DISPARITIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)


@dataclass(frozen=True)
class FairnessParams:
    SECTION: ClassVar[str] = "fairness"

    seed: int
    min_group_rows: int = 30
    min_group_positives: int = 10
    bootstrap_samples: int = 200
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if self.min_group_rows < 1 or self.min_group_positives < 1:
            raise LockstepError("fairness.min_group_rows and min_group_positives must be >= 1")
        if self.bootstrap_samples < 1 or not 0 < self.confidence < 1:
            raise LockstepError(
                "fairness.bootstrap_samples must be >= 1 and confidence between 0 and 1"
            )


def _num(value: float) -> float | None:
    return None if value != value else rounded(value)  # NaN becomes null in JSON


def group_rates(y: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> dict[str, dict]:
    """Per group (sorted): rows, actual positives and fairlearn's selection rate, TPR, FPR and
    precision (``MetricFrame`` by group; None where undefined), from the group's counts."""
    names, codes = np.unique(groups, return_inverse=True)
    counts = group_counts(y, pred, codes, len(names), np.ones((1, len(y))))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = counts["tp"] / counts["selected"]
    values = {**group_values(counts), "precision": precision}
    return {
        str(name): {
            "rows": int(counts["rows"][0, j]),
            "positives": int(counts["positives"][0, j]),
            **{
                k: _num(float(values[k][0, j]))
                for k in ("selection_rate", "tpr", "fpr", "precision")
            },
        }
        for j, name in enumerate(names)
    }


def too_small(entry: dict[str, Any], min_rows: int, min_positives: int) -> str | None:
    """Why a group is too small to judge, or None when it is large enough. The report stores only
    ``too_small: true`` and both limits; its readers call this again for the words."""
    if entry["rows"] < min_rows:
        return f"too few rows (< {min_rows})"
    negatives = entry["rows"] - entry["positives"]
    if min(entry["positives"], negatives) < min_positives:
        return f"too few positives or negatives (< {min_positives})"
    return None


def group_counts(
    y: np.ndarray, pred: np.ndarray, codes: np.ndarray, k: int, weights: np.ndarray
) -> dict[str, np.ndarray]:
    """Weighted counts per group (rows of ``weights``: resamples; columns: groups 0..k-1)."""
    onehot = np.eye(k)[codes]  # n × k
    columns = np.hstack(
        [onehot, onehot * pred[:, None], onehot * y[:, None], onehot * (y * pred)[:, None],
         onehot * ((1 - y) * pred)[:, None]]
    )  # fmt: skip
    names = ("rows", "selected", "positives", "tp", "fp")
    return dict(zip(names, np.split(weights @ columns, 5, axis=1), strict=True))


def group_values(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Selection rate, TPR and FPR per group, as fairlearn defines them (nan: undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "selection_rate": counts["selected"] / counts["rows"],
            "tpr": counts["tp"] / counts["positives"],
            "fpr": counts["fp"] / (counts["rows"] - counts["positives"]),
        }


def disparities_of(rates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """fairlearn's four disparities between the groups (columns), one per row of ``rates``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = {name: r.max(axis=1) - r.min(axis=1) for name, r in rates.items()}
        ratio = {name: r.min(axis=1) / r.max(axis=1) for name, r in rates.items()}
    return {
        "demographic_parity_difference": diff["selection_rate"],
        "demographic_parity_ratio": ratio["selection_rate"],
        "equalized_odds_difference": np.maximum(diff["tpr"], diff["fpr"]),
        "equalized_odds_ratio": np.minimum(ratio["tpr"], ratio["fpr"]),
    }


def disparities(y: np.ndarray, pred: np.ndarray, codes: np.ndarray, k: int) -> dict[str, float]:
    """fairlearn's four disparities over the ``k`` groups coded in ``codes``."""
    counts = group_counts(y, pred, codes, k, np.ones((1, len(y))))
    return {name: float(v[0]) for name, v in disparities_of(group_values(counts)).items()}


def resampled_disparities(
    y: np.ndarray, pred: np.ndarray, codes: np.ndarray, k: int, params: FairnessParams
) -> dict[str, np.ndarray]:
    """The four disparities on each seeded resample (rows: resamples; nan: a group vanished)."""
    n = len(y)
    draws = bootstrap.resamples(n, params.bootstrap_samples, params.seed)
    weights = np.array([np.bincount(idx, minlength=n) for idx in draws], dtype=float)
    return disparities_of(group_values(group_counts(y, pred, codes, k, weights)))


def extremes(groups: dict[str, dict], name: str) -> dict[str, Any]:
    """The rate a disparity compares and its lowest and highest group, for messages, as
    ``{"gap": {rate: {group: rate of the group, ...}}}``: labels live in keys, so the metrics
    file holds numbers only (``dvc exp show`` gets no text columns). fairness_checks.gap reads it.
    """
    rates = ("selection_rate",) if name.startswith("demographic") else ("tpr", "fpr")
    best: dict[str, Any] = {}
    for rate in rates:
        values = {g: e[rate] for g, e in groups.items() if e.get(rate) is not None}
        low, high = min(values, key=values.get), max(values, key=values.get)
        gap = values[high] - values[low]
        if not best or gap > best["gap"]:
            best = {"rate": rate, "gap": gap, "groups": {low: values[low], high: values[high]}}
    return {"gap": {best["rate"]: best["groups"]}}


def column_report(
    y: np.ndarray, pred: np.ndarray, values: np.ndarray, params: FairnessParams
) -> dict[str, Any]:
    """Groups and disparities (value, interval, extremes) for one sensitive column."""
    groups = np.asarray([str(v) for v in values], dtype=object)
    table = group_rates(y, pred, groups)
    kept = []
    for name, entry in table.items():
        if too_small(entry, params.min_group_rows, params.min_group_positives):
            table[name] = {**{k: entry[k] for k in ("rows", "positives")}, "too_small": True}
        else:
            kept.append(name)
    out: dict[str, Any] = {"groups": table}
    if len(kept) < 2:
        return out  # no disparity can be measured (the readers say so)
    mask = np.isin(groups, kept)
    codes = np.searchsorted(np.array(sorted(kept), dtype=object), groups[mask])
    point = disparities(y[mask], pred[mask], codes, len(kept))
    draws = resampled_disparities(y[mask], pred[mask], codes, len(kept), params)
    for name in DISPARITIES:
        low, high = bootstrap.percentile_interval(draws[name], params.confidence)
        out[name] = {
            "value": _num(point[name]),
            "low": _num(low),
            "high": _num(high),
            **extremes({g: table[g] for g in kept}, name),
        }
    return out


def fairness_report(
    y: np.ndarray,
    proba: np.ndarray,
    threshold: float,
    columns: dict[str, np.ndarray],
    params: FairnessParams,
) -> dict[str, Any]:
    """The whole reports/fairness.json: settings, and one column_report per sensitive column."""
    pred = (proba >= threshold).astype(int)
    return {
        "threshold": threshold,
        "confidence": params.confidence,
        "bootstrap_samples": params.bootstrap_samples,
        "min_group_rows": params.min_group_rows,
        "min_group_positives": params.min_group_positives,
        "columns": {name: column_report(y, pred, v, params) for name, v in columns.items()},
    }
