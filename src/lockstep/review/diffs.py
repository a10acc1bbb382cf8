"""Pure helpers for comparing two revisions: number formatting, flattening, metric and param rows.

Numbers are shown for people: four decimals for metrics, thousands separators for counts, and
changes computed from the rounded difference so ``0.81 - 0.82`` reads ``-0.0100``, never
``-0.010000000000000009``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import metric_rules
from ..paths import DRIFT_FILE, MONITORING_FILE

DECIMALS = 4
MISSING = "—"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def fmt_value(value: Any) -> str:
    """A metric or param value as a short string."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0 or abs(value) >= 10**-DECIMALS:
            return f"{value:.{DECIMALS}f}"
        return f"{value:.3g}"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def fmt_change(base: Any, head: Any) -> tuple[str, str]:
    """(absolute, relative) change from ``base`` to ``head``; blank when either is missing."""
    if not (is_number(base) and is_number(head)):
        return "", ""
    if isinstance(base, int) and isinstance(head, int):
        delta_text = "0" if head == base else f"{head - base:+,}"
    else:
        delta = round(float(head) - float(base), 9)
        if delta == 0:
            delta_text = "0"
        elif abs(delta) >= 0.5 * 10**-DECIMALS:
            delta_text = f"{delta:+.{DECIMALS}f}"
        else:
            delta_text = f"{delta:+.2g}"
    if base == 0 or head == base:
        return delta_text, ""
    relative = (float(head) - float(base)) / abs(float(base))
    text = f"{relative:+.1%}"
    return delta_text, "<0.1%" if text in ("+0.0%", "-0.0%") else text


def fmt_param(value: Any) -> str:
    """A param value as written in YAML terms: exact numbers, null, true/false, JSON lists."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value) if isinstance(value, int | float | str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def fmt_amount(value: float) -> str:
    """A small positive amount (a regression, a tolerance) to four significant digits."""
    return f"{value:.4g}"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings to dotted keys; lists stay whole values."""
    if not isinstance(value, dict):
        return {prefix: value} if prefix else {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return out


@dataclass(frozen=True)
class MetricRow:
    name: str
    base: Any
    head: Any
    change: str
    relative: str
    verdict: str


def metric_rows(
    base: dict[str, Any], head: dict[str, Any], directions: dict[str, str], alias: str = ""
) -> list[MetricRow]:
    """Rows for every numeric key in either file: judged metrics first, in config order.

    ``alias`` maps a nested key to its judged name, e.g. ``cv.roc_auc.mean`` judged as
    ``roc_auc`` when alias is ``cv.{}.mean``.
    """
    base, head = flatten(base), flatten(head)
    keys = [k for k in {**base, **head} if is_number(base.get(k)) or is_number(head.get(k))]

    def direction(key: str) -> str | None:
        for name, way in directions.items():
            if key == name or (alias and key == alias.format(name)):
                return way
        return None

    order = {name: i for i, name in enumerate(directions)}

    def rank(key: str) -> tuple[int, int, str]:
        if alias:
            return (0, 0, key)
        return (0 if key in order else 1, order.get(key, len(order)), key)

    rows = []
    for key in sorted(keys, key=rank):
        b, h = base.get(key), head.get(key)
        change, relative = fmt_change(b, h)
        verdict = metric_rules.verdict(
            direction(key), b if is_number(b) else None, h if is_number(h) else None
        )
        rows.append(MetricRow(key, b, h, change, relative, verdict))
    return rows


def param_changes(base: dict[str, Any], head: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, base, head) for every flattened param that differs, added or removed."""
    base, head = flatten(base), flatten(head)
    keys = sorted(set(base) | set(head))
    return [(k, base.get(k), head.get(k)) for k in keys if base.get(k) != head.get(k)]


DRIFT_SUMMARY = ("columns_drifted", "share", "dataset_drift", "score_drift")


MONITORING_SUMMARY = ("labelled", "coverage", "degraded", "concept_drift", "data_drift")


def summary_section(
    title: str, path: str, keys: tuple[str, ...], base: dict[str, Any], head: dict[str, Any]
) -> list[str]:
    """A metric file's summary keys at each revision; nothing when neither revision has one."""
    if not base and not head:
        return []
    rows = [[f"`{k}`", fmt_value(base.get(k)), fmt_value(head.get(k))] for k in keys]
    return [f"### {title} (`{path}`)", "", *table(["", "base", "head"], rows, "lrr"), ""]


def drift_section(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    """The drift summary of `lockstep drift` at each revision; nothing when neither has one."""
    return summary_section("Drift", DRIFT_FILE, DRIFT_SUMMARY, base, head)


def monitoring_section(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    """The summary of `lockstep monitor` (live performance) at each revision, if any."""
    return summary_section("Monitoring", MONITORING_FILE, MONITORING_SUMMARY, base, head)


def table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """A GitHub markdown table; ``align`` is one of l, r, c per column."""
    align = align or "l" * len(header)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines
