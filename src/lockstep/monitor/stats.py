"""Distribution comparisons for `lockstep drift`: pure functions on two samples of one column.

Numeric columns: Kolmogorov–Smirnov test, PSI on quantile bins of the reference, Wasserstein
distance (raw and divided by the reference's standard deviation). Categorical columns:
chi-square test on aligned category counts, PSI, and Jensen–Shannon distance (base 2).
Also the decision rule per column and for scores, and the report's rounding and table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ..io import rounded

NULL = "<null>"


def psi(reference: np.ndarray, current: np.ndarray, epsilon: float) -> float:
    """Population stability index of two share vectors over the same bins.

    An empty bin's share is raised to ``epsilon``, so a category or range that only one side has
    gives a large but finite value.
    """
    p = np.clip(np.asarray(reference, dtype=float), epsilon, None)
    q = np.clip(np.asarray(current, dtype=float), epsilon, None)
    return float(np.sum((q - p) * np.log(q / p)))


def category_counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts of each category on both sides, aligned on the union (sorted) of categories."""
    ref = reference.astype(object).where(reference.notna(), NULL).astype(str).value_counts()
    cur = current.astype(object).where(current.notna(), NULL).astype(str).value_counts()
    categories = sorted(set(ref.index) | set(cur.index))
    return (
        ref.reindex(categories, fill_value=0).to_numpy(dtype=float),
        cur.reindex(categories, fill_value=0).to_numpy(dtype=float),
    )


def numeric_bins(reference: np.ndarray, current: np.ndarray, bins: int) -> tuple[Any, Any]:
    """Counts per bin: each distinct value when the reference has few, else reference quantiles.

    With quantile bins, values outside the reference's range fall in the first or last bin;
    with distinct values, a value the reference never had is a bin of its own.
    """
    distinct = np.unique(reference)
    if len(distinct) <= bins:
        return category_counts(pd.Series(reference), pd.Series(current))
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    size = len(inner) + 1
    ref = np.bincount(np.searchsorted(inner, reference, side="right"), minlength=size)
    cur = np.bincount(np.searchsorted(inner, current, side="right"), minlength=size)
    return ref.astype(float), cur.astype(float)


def compare_numeric(
    reference: pd.Series, current: pd.Series, bins: int, epsilon: float
) -> dict[str, Any]:
    """KS test, PSI and Wasserstein distance of one numeric column (nulls left out)."""
    ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(dtype=float)
    cur = pd.to_numeric(current, errors="coerce").dropna().to_numpy(dtype=float)
    out: dict[str, Any] = {"kind": "numeric", "test": "ks"}
    if len(ref) == 0 or len(cur) == 0:
        return out | _all_null(len(ref), len(cur))
    ks = stats.ks_2samp(ref, cur)
    ref_counts, cur_counts = numeric_bins(ref, cur, bins)
    wasserstein = float(stats.wasserstein_distance(ref, cur))
    std = float(np.std(ref))
    return out | {
        "statistic": float(ks.statistic),
        "p_value": float(ks.pvalue),
        "psi": psi(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum(), epsilon),
        "wasserstein": wasserstein,
        # Relative to the reference's spread; undefined for a constant reference.
        "distance": wasserstein / std if std > 0 else None,
    }


def compare_categorical(reference: pd.Series, current: pd.Series, epsilon: float) -> dict:
    """Chi-square test, PSI and Jensen–Shannon distance of one categorical column.

    Nulls count as a category of their own.
    """
    ref_counts, cur_counts = category_counts(reference, current)
    out: dict[str, Any] = {"kind": "categorical", "test": "chi2"}
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return out | _all_null(ref_counts.sum(), cur_counts.sum())
    p, q = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    if len(p) < 2:  # one category on both sides: nothing can differ
        statistic, p_value = 0.0, 1.0
    else:
        result = stats.chi2_contingency(np.vstack([ref_counts, cur_counts]), correction=False)
        statistic, p_value = float(result.statistic), float(result.pvalue)
    return out | {
        "statistic": statistic,
        "p_value": p_value,
        "psi": psi(p, q, epsilon),
        "distance": float(jensenshannon(p, q, base=2)),
    }


def _all_null(reference_rows: float, current_rows: float) -> dict[str, Any]:
    """Nothing to compare: say which side has no values (drift unless both are all null)."""
    sides = [s for s, n in (("reference", reference_rows), ("current", current_rows)) if n == 0]
    return {
        "statistic": None,
        "p_value": None,
        "psi": None,
        "distance": None,
        "all_null": "both" if len(sides) == 2 else sides[0],
    }


def column_drifted(result: dict[str, Any], small: bool, alpha: float, cfg: Any) -> bool:
    """The decision rule: a corrected p-value for small samples, distances for large ones."""
    if result.get("all_null"):
        return result["all_null"] != "both"
    if small:
        return result["p_value"] < alpha
    if result["psi"] >= cfg.psi_threshold:
        return True
    return result["kind"] == "categorical" and result["distance"] >= cfg.js_threshold


def score_drift(reference: np.ndarray, current: np.ndarray, cfg: Any) -> dict[str, Any]:
    """Prediction scores: KS at alpha below small_sample current rows, PSI from there on."""
    result = compare_numeric(pd.Series(reference), pd.Series(current), cfg.psi_bins, cfg.epsilon)
    result.pop("kind")
    if result.get("all_null"):
        result["drifted"] = result["all_null"] != "both"
    elif len(current) < cfg.small_sample:
        result["drifted"] = result["p_value"] < cfg.alpha
    else:
        result["drifted"] = result["psi"] >= cfg.score_psi_threshold
    return result


def rounded_tree(value: Any, digits: int = 6) -> Any:
    """Round every float in nested dicts and lists; leave bools, ints, text and None alone."""
    if isinstance(value, dict):
        return {str(k): rounded_tree(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded_tree(v, digits) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating):
        return rounded(value, digits) if value == value else None
    return value


def summary_table(report: dict[str, Any]) -> str:
    """The report as a table for people: one row per column (and the score), then a summary."""
    from tabulate import tabulate

    keys = ("kind", "test", "statistic", "p_value", "psi", "distance", "drifted")
    rows = [[name, *(r.get(k) for k in keys)] for name, r in report["columns"].items()]
    if report.get("score"):
        rows.append(["(score)", "score", *(report["score"].get(k) for k in keys[1:])])
    body = tabulate(rows, headers=["column", *keys], floatfmt=".4g", missingval="-")
    score = {None: "not checked", True: "yes", False: "no"}[report["score_drift"]]
    return (
        f"{body}\n\n{report['columns_drifted']} of {report['columns_total']} columns drifted "
        f"(share {report['share']:.2f}; decided by {report['method']}, "
        f"{report['rows_current']} current vs {report['rows_reference']} reference rows); "
        f"dataset drift: {'yes' if report['dataset_drift'] else 'no'}; score drift: {score}"
    )
