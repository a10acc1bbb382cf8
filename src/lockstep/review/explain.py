"""`lockstep explain`: split a metric's change between data, params and code (Shapley values).

The files a commit changes fall into factors: data (data/, *.dvc), params (params.yaml, conf/)
and code (src/, code/, dvc.yaml, pyproject.toml, requirements.lock). For every combination of
taking each changed factor from base or from head, the pipeline runs in a temporary worktree (base's
tree with head's files of those factors; DVC's run-cache skips stages it has seen), at most
2^3 = 8 runs, fewer when a factor did not change (the two corners are the commits themselves).
A factor's contribution is its Shapley value: its marginal effect averaged over the orders in
which the factors could be switched, so the parts add up to the total change. When every run
scored the same test rows, each part gets a paired bootstrap interval (rows resampled together
across all runs).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

FACTORS = ("data", "params", "code")


@dataclass(frozen=True)
class Explanation:
    """A metric's change from base to head split between the factors that changed."""

    metric: str
    changes: dict[str, list[str]]  # factor -> the changed files that feed the pipeline
    values: dict[frozenset[str], float]  # the metric of each run (factors taken from head)
    parts: dict[str, float]  # Shapley value of each factor
    bounds: dict[str, tuple[float, float]] | None  # paired interval of each part, when paired
    confidence: float

    @property
    def base(self) -> float:
        return self.values[frozenset()]

    @property
    def head(self) -> float:
        return self.values[frozenset(self.changes)]

    @property
    def hybrids(self) -> int:
        return len(self.values) - 2


CODE_FILES = ("dvc.yaml", "pyproject.toml", "requirements.lock")


def factor_of(path: str) -> str | None:
    """Which factor a changed file belongs to (None: it does not feed the pipeline)."""
    if path.startswith("data/") or path.endswith(".dvc"):
        return "data"
    if path == "params.yaml" or path.startswith("conf/"):
        return "params"
    if path.startswith(("src/", "code/")) or path in CODE_FILES:
        return "code"
    return None


def split_changes(paths: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(paths):
        factor = factor_of(path)
        if factor:
            out.setdefault(factor, []).append(path)
    return {f: out[f] for f in FACTORS if f in out}


def coalitions(factors: Sequence[str]) -> list[frozenset[str]]:
    """Every subset of ``factors`` (the factors taken from head), smallest first."""
    return [
        frozenset(combo)
        for r in range(len(factors) + 1)
        for combo in itertools.combinations(factors, r)
    ]


def shapley(factors: Sequence[str], value: Callable[[frozenset[str]], float]) -> dict[str, float]:
    """Shapley value of each factor for the game ``value`` (value(empty) = base, all = head)."""
    n = len(factors)
    out = {}
    for f in factors:
        others = [g for g in factors if g != f]
        total = 0.0
        for r in range(n):
            weight = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
            for combo in itertools.combinations(others, r):
                s = frozenset(combo)
                total += weight * (value(s | {f}) - value(s))
        out[f] = total
    return out


def paired_intervals(
    factors: Sequence[str],
    y: np.ndarray,
    proba: dict[frozenset[str], np.ndarray],
    metric: Callable[[np.ndarray, np.ndarray, float], float],
    threshold: float,
    samples: int,
    confidence: float,
    seed: int,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of each Shapley part, resampling the shared rows for every run."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {f: [] for f in factors}
    for _ in range(samples):
        idx = rng.integers(0, len(y), len(y))
        values = {s: metric(y[idx], p[idx], threshold) for s, p in proba.items()}
        for f, part in shapley(factors, values.__getitem__).items():
            draws[f].append(part)
    tail = (1 - confidence) / 2 * 100
    return {
        f: tuple(float(x) for x in np.percentile(np.asarray(d), [tail, 100 - tail]))
        for f, d in draws.items()
    }


def report_section(expl: Explanation | None, note: str = "") -> list[str]:
    """The PR report's explain section: each factor's Shapley part and its paired interval."""
    lines = ["### What moved the metric (explain)", ""]
    if expl is None:
        return [*lines, f"_{note}_", ""]
    m, total = expl.metric, expl.head - expl.base
    level = f"{expl.confidence:.0%}"
    lines += [
        f"`{m}` {expl.base:.4f} → {expl.head:.4f} ({total:+.4f}), split between what changed: "
        "each factor's part is its effect averaged over the orders in which the changes could "
        "be made (Shapley values), so the parts add up to the total. "
        f"{len(expl.values)} pipeline runs ({expl.hybrids} mixing base and head). {note}".rstrip(),
        "",
        f"| factor | part of the change | {level} paired interval | files changed |",
        "|---|---:|---:|---:|",
    ]
    for f, part in expl.parts.items():
        low_high = f"[{expl.bounds[f][0]:+.4f}, {expl.bounds[f][1]:+.4f}]" if expl.bounds else "—"
        lines.append(f"| {f} | {part:+.4f} | {low_high} | {len(expl.changes[f])} |")
    lines.append(f"| **total** | {total:+.4f} | | |")
    if expl.bounds is None:
        lines += ["", "No paired intervals: the runs did not all score the same test rows."]
    return [*lines, ""]
