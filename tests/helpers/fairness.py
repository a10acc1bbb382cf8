"""Hand-made reports/fairness.json entries for the tests of limits and of the PR report."""

from __future__ import annotations


def entry(value: float, low: float, high: float) -> dict:
    """One disparity: value, interval, and the groups that set it (tpr of 1 vs 0)."""
    return {"value": value, "low": low, "high": high, "gap": {"tpr": {"0": 0.5, "1": 0.5 + value}}}


def report_of(**disparities: dict) -> dict:
    """A report with one sensitive column, `senior`, holding these disparities."""
    return {"confidence": 0.95, "columns": {"senior": dict(disparities)}}
