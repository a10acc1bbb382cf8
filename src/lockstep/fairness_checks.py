"""Judging reports/fairness.json against limits (`lockstep gate`, `promote`), and its card text.

A limit caps a disparity for every sensitive column: ``*_difference`` at most the limit,
``*_ratio`` at least the limit. A limit is breached only when the whole bootstrap interval lies
beyond it, so noise alone does not refuse a model; a disparity that could not be measured (groups
too small) is shown as such and breaches nothing. Comparing two revisions (the PR report) is in
lockstep.review.fairness.
"""

from __future__ import annotations

from typing import Any

from .errors import LockstepError
from .fairness import DISPARITIES, too_small
from .paths import FAIRNESS_FILE


def check_limits(limits: dict[str, float], where: str) -> dict[str, float]:
    """The limits, after checking each names a known disparity."""
    for name, value in limits.items():
        if name not in DISPARITIES:
            raise LockstepError(
                f"{where}.fairness_limits: '{name}' is not one of {', '.join(DISPARITIES)}"
            )
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise LockstepError(f"{where}.fairness_limits.{name} must be a number, got {value!r}")
    return dict(limits)


def fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def measured(report: dict | None) -> dict[tuple[str, str], dict]:
    """(column, disparity) → entry, for every disparity the report could measure."""
    out = {}
    for column, body in ((report or {}).get("columns") or {}).items():
        for name in DISPARITIES:
            entry = body.get(name)
            if isinstance(entry, dict) and entry.get("low") is not None:
                out[(column, name)] = entry
    return out


NO_DISPARITY = "fewer than two groups large enough: no disparity can be measured"


def gap(entry: dict) -> tuple[str, str, str]:
    """(rate, highest group, lowest group) of a disparity: its ``gap`` holds {rate: {group: rate}}
    (labels in keys keep the metrics file numeric)."""
    ((rate, groups),) = (entry.get("gap") or {"?": {"?": 0.0}}).items()
    ordered = sorted(groups, key=lambda g: (groups[g], g))
    return rate, ordered[-1], ordered[0]


def _gap(entry: dict) -> str:
    rate, high, low = gap(entry)
    return f"{rate} of group {high} vs {low}"


def breaches(report: dict | None, limits: dict[str, float]) -> tuple[list[str], list[str]]:
    """(lines, reasons): one line per limited disparity; a reason per interval beyond a limit."""
    lines: list[str] = []
    reasons: list[str] = []
    found = measured(report)
    columns = sorted((report or {}).get("columns") or {})
    for name, limit in sorted(limits.items()):
        upper = name.endswith("_difference")
        for column in columns:
            entry = found.get((column, name))
            if entry is None:
                lines.append(f"fairness {column} {name}: not measured (groups too small) ok")
                continue
            beyond = entry["low"] > limit if upper else entry["high"] < limit
            bound = "<=" if upper else ">="
            interval = f"{fmt(entry['value'])} (CI {fmt(entry['low'])}–{fmt(entry['high'])})"
            lines.append(
                f"fairness {column} {name}: {interval} {bound} {limit} {'FAIL' if beyond else 'ok'}"
            )
            if beyond:
                side = "above" if upper else "below"
                reasons.append(
                    f"fairness: {name} for `{column}` is {interval}, wholly {side} the limit "
                    f"{limit} ({_gap(entry)})"
                )
    if limits and not columns:
        lines.append(f"fairness limits set but {FAIRNESS_FILE} has no sensitive column")
    return lines, reasons


def _cell(entry: dict, key: str, report: dict) -> str:
    if not entry.get("too_small"):
        return fmt(entry.get(key))
    why = too_small(entry, report["min_group_rows"], report["min_group_positives"])
    return f"n/a ({why or 'too small'})"


def card_section(report: dict | None) -> list[str]:
    """The model card's fairness section: per-group rates and disparities with intervals."""
    columns = (report or {}).get("columns") or {}
    if not columns:
        return ["No sensitive columns are declared (`data.sensitive_columns`): nothing measured."]
    uses = (
        "uses them as features"
        if report.get("sensitive_as_features", True)
        else ("does not see them (`data.sensitive_as_features: false`)")
    )
    level = f"{report['confidence']:.0%}"
    lines = [
        f"Sensitive columns (declared in `data.sensitive_columns`): "
        f"{', '.join(f'`{c}`' for c in columns)}. The model {uses}.",
        "",
        f"Threshold {report['threshold']}; a group with fewer than {report['min_group_rows']} rows "
        f"or {report['min_group_positives']} actual positives or negatives is not judged. "
        f"{level} intervals from {report['bootstrap_samples']} seeded bootstrap resamples.",
    ]
    for column, body in columns.items():
        lines += ["", f"### `{column}`", ""]
        lines += [
            "| group | rows | positives | selection rate | TPR | FPR | precision |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for group, e in body["groups"].items():
            rates = [_cell(e, k, report) for k in ("selection_rate", "tpr", "fpr", "precision")]
            lines.append(
                f"| {group} | {e['rows']} | {e['positives']} | " + " | ".join(rates) + " |"
            )
        if not all(name in body for name in DISPARITIES):
            lines += ["", NO_DISPARITY]
            continue
        lines += ["", f"| disparity | value | {level} CI | widest gap |", "|---|---:|---:|---|"]
        for name in DISPARITIES:
            e = body[name]
            lines.append(
                f"| {name} | {fmt(e['value'])} | {fmt(e['low'])} – {fmt(e['high'])} | {_gap(e)} |"
            )
    return lines
