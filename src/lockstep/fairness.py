"""Group fairness of a classifier at its threshold: fairlearn's definitions, seeded intervals.

For each declared sensitive column, per group (one value of the column): rows, actual positives,
selection rate, true- and false-positive rate and precision (fairlearn's ``MetricFrame``). Between
the groups large enough to say anything: the demographic-parity and equalized-odds difference and
ratio (fairlearn's ``demographic_parity_difference`` … ``equalized_odds_ratio``; equalized odds is
the worse of the TPR and FPR gaps). A group with fewer than ``min_group_rows`` rows, or fewer than
``min_group_positives`` actual positives or negatives, is reported as too small and left out of
the disparities: never as a rate of 0.

Each disparity has a percentile bootstrap interval from the model card's seeded resamples of the
test rows (lockstep.bootstrap). Resampled values use a vectorised form of fairlearn's definitions
(a few counts per group); a test checks it against fairlearn on the same resamples.
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
    """fairlearn's MetricFrame by group: selection rate, TPR, FPR, precision (nan: undefined)."""
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import precision_score

    def precision(y_true: Any, y_pred: Any) -> float:
        return precision_score(y_true, y_pred, zero_division=np.nan)

    frame = MetricFrame(
        metrics={
            "rows": count,
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "precision": precision,
        },
        y_true=y,
        y_pred=pred,
        sensitive_features=groups,
    ).by_group
    out = {}
    for group, row in frame.iterrows():
        mask = groups == group
        positives = int(y[mask].sum())
        out[str(group)] = {
            "rows": int(row["rows"]),
            "positives": positives,
            **{k: _num(row[k]) for k in ("selection_rate", "tpr", "fpr", "precision")},
        }
    return out


def too_small(entry: dict[str, Any], min_rows: int, min_positives: int) -> str | None:
    """Why a group is too small to judge, or None when it is large enough. The report stores only
    ``too_small: true`` and both limits; its readers call this again for the words."""
    if entry["rows"] < min_rows:
        return f"too few rows (< {min_rows})"
    negatives = entry["rows"] - entry["positives"]
    if min(entry["positives"], negatives) < min_positives:
        return f"too few positives or negatives (< {min_positives})"
    return None


def disparities(y: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """fairlearn's four disparities over all groups present in ``groups``."""
    from fairlearn import metrics as fm

    return {
        name: float(getattr(fm, name)(y, pred, sensitive_features=groups)) for name in DISPARITIES
    }


def resampled_disparities(
    y: np.ndarray, pred: np.ndarray, codes: np.ndarray, k: int, params: FairnessParams
) -> dict[str, np.ndarray]:
    """The four disparities on each seeded resample (rows: resamples; nan: a group vanished)."""
    n = len(y)
    onehot = np.eye(k)[codes]  # n × k
    columns = np.hstack(
        [onehot, onehot * pred[:, None], onehot * y[:, None], onehot * (y * pred)[:, None],
         onehot * ((1 - y) * pred)[:, None]]
    )  # fmt: skip
    draws = bootstrap.resamples(n, params.bootstrap_samples, params.seed)
    weights = np.array([np.bincount(idx, minlength=n) for idx in draws], dtype=float)
    rows, selected, pos, tp, fp = np.split(weights @ columns, 5, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {
            "selection_rate": selected / rows,
            "tpr": tp / pos,
            "fpr": fp / (rows - pos),
        }
        diff = {name: r.max(axis=1) - r.min(axis=1) for name, r in rates.items()}
        ratio = {name: r.min(axis=1) / r.max(axis=1) for name, r in rates.items()}
    return {
        "demographic_parity_difference": diff["selection_rate"],
        "demographic_parity_ratio": ratio["selection_rate"],
        "equalized_odds_difference": np.maximum(diff["tpr"], diff["fpr"]),
        "equalized_odds_ratio": np.minimum(ratio["tpr"], ratio["fpr"]),
    }


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
    point = disparities(y[mask], pred[mask], groups[mask])
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
