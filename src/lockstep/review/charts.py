"""Curves as Mermaid ``xychart-beta`` blocks, which GitHub renders natively in comments.

A Mermaid line series is a list of y values at evenly spaced x positions, so each curve is first
resampled onto a fixed grid: ROC by linear interpolation of tpr over fpr, precision-recall as
interpolated precision (the best precision at recall >= r, the usual PR envelope).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

GRID_POINTS = 21
BASE_COLOR = "#9e9e9e"
HEAD_COLOR = "#1f6feb"


def grid(points: int = GRID_POINTS) -> list[float]:
    return [i / (points - 1) for i in range(points)]


def _pairs(rows: Sequence[dict[str, Any]] | None, x: str, y: str) -> list[tuple[float, float]]:
    pairs = []
    for row in rows or []:
        if isinstance(row, dict) and row.get(x) is not None and row.get(y) is not None:
            pairs.append((float(row[x]), float(row[y])))
    return sorted(pairs)


def interpolate(pairs: list[tuple[float, float]], xs: list[float]) -> list[float]:
    """Linear interpolation of sorted (x, y) pairs at ``xs``; the highest y at a repeated x."""
    merged: dict[float, float] = {}
    for x, y in pairs:
        merged[x] = max(y, merged.get(x, y))
    px = sorted(merged)
    out = []
    for x in xs:
        if x <= px[0]:
            out.append(merged[px[0]])
        elif x >= px[-1]:
            out.append(merged[px[-1]])
        else:
            hi = next(i for i, v in enumerate(px) if v >= x)
            x0, x1 = px[hi - 1], px[hi]
            y0, y1 = merged[x0], merged[x1]
            out.append(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    return out


def envelope(pairs: list[tuple[float, float]], xs: list[float]) -> list[float]:
    """Best y among points with x >= each grid value (interpolated precision)."""
    out = []
    for x in xs:
        ys = [py for px, py in pairs if px >= x - 1e-12]
        out.append(max(ys) if ys else 0.0)
    return out


def roc_series(rows: Sequence[dict[str, Any]] | None) -> list[float] | None:
    pairs = _pairs(rows, "fpr", "tpr")
    return interpolate(pairs, grid()) if pairs else None


def pr_series(rows: Sequence[dict[str, Any]] | None) -> list[float] | None:
    pairs = _pairs(rows, "recall", "precision")
    return envelope(pairs, grid()) if pairs else None


def xychart(
    title: str, x_label: str, y_label: str, base: list[float] | None, head: list[float] | None
) -> str:
    """A fenced Mermaid block: base in grey, then head in blue (missing series are skipped)."""
    series = [(s, c) for s, c in ((base, BASE_COLOR), (head, HEAD_COLOR)) if s is not None]
    if not series:
        return ""
    init = {"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(c for _, c in series)}}}
    lines = [
        "```mermaid",
        f"%%{{init: {json.dumps(init)}}}%%",
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "{x_label}" 0 --> 1',
        f'    y-axis "{y_label}" 0 --> 1',
    ]
    for values, _ in series:
        lines.append("    line [" + ", ".join(f"{v:.3f}" for v in values) + "]")
    lines.append("```")
    return "\n".join(lines)
