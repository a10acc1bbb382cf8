"""The PR report's fairness section: base vs head disparities from reports/fairness.json.

A change is flagged significantly worse when the worsening exceeds z·√(se_base² + se_head²), each
se read off its bootstrap interval (width / 2z) and z the normal quantile (1 + confidence) / 2:
a one-sided normal test on two independent sets of resamples, so a worsening of chance alone is
flagged with probability about (1 - confidence) / 2. Limits are judged as the gate
judges them (lockstep.fairness_checks).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

from ..fairness_checks import breaches, fmt, measured


def worse(base: dict, head: dict, name: str, confidence: float) -> bool:
    """Is head's disparity significantly worse than base's (normal test on bootstrap se)?"""
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    se = [(e["high"] - e["low"]) / (2 * z) for e in (base, head)]
    change = head["value"] - base["value"]
    worsening = change if name.endswith("_difference") else -change
    return worsening > z * (se[0] ** 2 + se[1] ** 2) ** 0.5


def changes(base: dict | None, head: dict | None) -> list[dict[str, Any]]:
    """One row per (column, disparity) measured at either revision, flagged when worse."""
    b, h = measured(base), measured(head)
    confidence = float((head or base or {}).get("confidence", 0.95))
    rows = []
    for column, name in sorted(set(b) | set(h)):
        be, he = b.get((column, name)), h.get((column, name))
        flagged = be is not None and he is not None and worse(be, he, name, confidence)
        rows.append({"column": column, "name": name, "base": be, "head": he, "worse": flagged})
    return rows


def report_section(base: dict | None, head: dict | None, limits: dict[str, float]) -> list[str]:
    """The PR report's fairness section: base vs head disparities, worsening and limits flagged."""
    rows = changes(base, head)
    if not rows:
        return []
    _, reasons = breaches(head, limits)
    lines = ["### Fairness", ""]
    lines += [f"- ❌ {r}" for r in reasons]
    flagged = [r for r in rows if r["worse"]]
    lines += [f"- 🔻 `{r['column']}` {r['name']} is significantly worse" for r in flagged]
    if not reasons and not flagged:
        lines.append("- no disparity breaches a limit or got significantly worse")
    lines += ["", "| column | disparity | base | head | |", "|---|---|---:|---:|---|"]
    for r in rows:
        cells = [
            "—" if e is None else f"{fmt(e['value'])} ({fmt(e['low'])}–{fmt(e['high'])})"
            for e in (r["base"], r["head"])
        ]
        mark = "🔻 significantly worse" if r["worse"] else ""
        lines.append(f"| `{r['column']}` | {r['name']} | {cells[0]} | {cells[1]} | {mark} |")
    return [*lines, ""]
