"""`lockstep gate`: fail when a test-set metric regresses past its tolerance against a base rev.

``gate.mode`` chooses how a regression is judged (lockstep.gate_modes): ``tolerance`` by the
point change, ``significance`` and ``non_inferiority`` by the interval of the change computed
from both revisions' scored test rows.

Params: ``gate.tolerances`` (metric → ``abs`` and ``rel``) and ``metrics`` (which way is better),
both read from the BASE revision, so a pull request cannot loosen the bar it is judged by (the
head's values are used only when the base has no ``gate`` section yet). A regression fails only
when it exceeds both the absolute and the relative tolerance (``rel`` × |base value|).
With ``--check-lock REV``, ``gate.require_fresh_lock: true`` also fails a stale dvc.lock at REV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from .. import metric_rules
from ..config import build
from ..errors import LockstepError
from ..fairness_checks import breaches, check_limits
from ..paths import FAIRNESS_FILE
from . import lockcheck
from .diffs import fmt_amount
from .gate_modes import gate_stats, restate

DIGITS = 9  # metric files hold 6 decimals; rounding the difference removes float noise


@dataclass(frozen=True)
class Tolerance:
    abs: float = 0.0
    rel: float = 0.0
    margin: float | None = None  # non_inferiority mode only; default: the tolerance


@dataclass(frozen=True)
class Check:
    metric: str
    base: float | None
    head: float | None
    regression: float
    allowed: float
    failed: bool
    reason: str


def tolerances(params: dict[str, Any], where: str = "params.yaml:gate") -> dict[str, Tolerance]:
    """The ``gate.tolerances`` section as Tolerance objects; negative values are rejected."""
    section = (params.get("gate") or {}).get("tolerances") or {}
    result = {}
    for name, value in section.items():
        tol = build(Tolerance, value, f"{where}.tolerances.{name}")
        if tol.abs < 0 or tol.rel < 0 or (tol.margin is not None and tol.margin < 0):
            raise LockstepError(f"{where}.tolerances.{name}: abs, rel and margin must be >= 0")
        result[name] = tol
    return result


def policy(
    base_params: dict[str, Any], head_params: dict[str, Any]
) -> tuple[dict[str, str], dict[str, Tolerance], str]:
    """(directions, tolerances, source): the base's policy, or the head's if the base has none."""
    source, params = ("base", base_params) if "gate" in base_params else ("head", head_params)
    directions = metric_rules.directions(params)
    tols = tolerances(params)
    undirected = sorted(set(tols) - set(directions))
    if undirected:
        raise LockstepError(
            f"gate.tolerances.{undirected[0]} has no direction: add it to the `metrics` section"
        )
    return directions, tols, source


def require_fresh_lock(params: dict[str, Any]) -> bool:
    """``gate.require_fresh_lock``: whether a stale committed dvc.lock fails the gate."""
    value = (params.get("gate") or {}).get("require_fresh_lock", False)
    if not isinstance(value, bool):
        raise LockstepError(f"gate.require_fresh_lock must be true or false, not {value!r}")
    return value


def lock_line(fresh: lockcheck.Freshness, required: bool) -> tuple[bool, str]:
    """(passed, line) for the dvc.lock check: stale fails only when the gate requires fresh."""
    failed = fresh.stale and required
    why = " (gate.require_fresh_lock)" if failed else ""
    return not failed, f"{'FAIL' if failed else 'ok  '} dvc.lock: {fresh.summary()}{why}"


def allowed(tol: Tolerance, base: float) -> float:
    """The largest regression that still passes: exceeding both tolerances means exceeding this."""
    return max(tol.abs, tol.rel * abs(base))


def check(
    base: dict[str, Any],
    head: dict[str, Any],
    directions: dict[str, str],
    tols: dict[str, Tolerance],
) -> list[Check]:
    """One Check per gated metric, in config order."""
    checks = []
    for name, tol in tols.items():
        b, h = base.get(name), head.get(name)
        if b is None:
            checks.append(Check(name, None, h, 0.0, 0.0, False, "new at head: not gated"))
            continue
        if h is None:
            checks.append(Check(name, b, None, 0.0, 0.0, True, "missing at head"))
            continue
        regression = round(-metric_rules.improvement(directions[name], b, h), DIGITS)
        limit = round(allowed(tol, b), DIGITS)
        failed = regression > limit
        if failed:
            reason = (
                f"regressed by {fmt_amount(regression)}, more than both abs {tol.abs:g} "
                f"and rel {tol.rel:g} × {fmt_amount(abs(b))} = {fmt_amount(tol.rel * abs(b))}"
            )
        elif regression > 0:
            reason = f"regressed by {fmt_amount(regression)}, within tolerance {fmt_amount(limit)}"
        else:
            reason = "no regression"
        checks.append(Check(name, b, h, regression, limit, failed, reason))
    return checks


def fairness_limits(base_params: dict[str, Any], head_params: dict[str, Any]) -> dict[str, float]:
    """``gate.fairness_limits``: the base's, or the head's if the base has no gate section."""
    params = base_params if "gate" in base_params else head_params
    return check_limits((params.get("gate") or {}).get("fairness_limits") or {}, "gate")


def fairness_gate(
    base_params: dict[str, Any], head_params: dict[str, Any], fairness: dict[str, Any] | None
) -> tuple[list[str], list[str]]:
    """(lines, reasons): head's disparities judged by the fairness limits."""
    limits = fairness_limits(base_params, head_params)
    return breaches(fairness, limits) if limits else ([], [])


def summary(checks: list[Check], base_label: str, head_label: str) -> tuple[bool, str]:
    """(passed, text): one line per metric and a verdict line."""
    failed = [c for c in checks if c.failed]
    lines = [
        f"{'FAIL' if c.failed else 'ok  '} {c.metric}: {c.base} -> {c.head} ({c.reason})"
        for c in checks
    ]
    if not checks:
        lines.append("no metric has a tolerance in gate.tolerances: nothing to check")
    if failed:
        names = ", ".join(c.metric for c in failed)
        lines.append(
            f"gate FAILED: {names} regressed past tolerance ({base_label} -> {head_label})"
        )
    else:
        lines.append(
            f"gate passed: no metric regressed past tolerance ({base_label} -> {head_label})"
        )
    return not failed, "\n".join(lines)


def tested(base: str, head: str, rules: dict[str, Any]) -> dict:
    """Comparisons of every judged metric from both revisions' scored rows (must exist)."""
    from ..scores import read_at
    from ..significance import compare_all

    stats = gate_stats(rules)
    threshold = float((rules.get("evaluate") or {}).get("threshold", 0.5))
    settings = stats.settings(threshold)
    return compare_all(read_at(base), read_at(head), metric_rules.directions(rules), settings)


@click.command("gate")
@click.option("--base", required=True, help="Git revision to compare against (e.g. origin/main).")
@click.option("--head", default="workspace", show_default=True, help="Revision or 'workspace'.")
@click.option(
    "--check-lock",
    "lock_rev",
    metavar="REV",
    help="Compare dvc.lock committed at REV with the reproduced one in the working tree.",
)
def command(base: str, head: str, lock_rev: str | None) -> None:
    """Exit 1 when a metric in gate.tolerances regresses past its tolerance."""
    from .revisions import load

    snaps = load([base, head], files=())
    b, h = snaps[base], snaps[head]
    directions, tols, source = policy(b.params, h.params)
    if tols and source == "base" and not b.metric_file():
        raise LockstepError(
            f"{b.label} has gate tolerances but no readable reports/metrics.json: the gate "
            f"cannot compare (run `dvc metrics show --all-commits` to see DVC's error)"
        )
    checks = check(b.metric_file(), h.metric_file(), directions, tols)
    rules = b.params if source == "base" else h.params
    mode = gate_stats(rules).mode
    if mode != "tolerance":
        checks = restate(checks, directions, tols, mode, tested(base, head, rules))
    passed, text = summary(checks, b.label, h.label)
    text = f"mode: {mode}\n{text}"
    fair_lines, fair_reasons = fairness_gate(b.params, h.params, h.metric_file(FAIRNESS_FILE))
    if fair_lines:
        passed = passed and not fair_reasons
        text = "\n".join([*fair_lines, *(f"gate FAILED: {r}" for r in fair_reasons), text])
    if lock_rev:
        required = require_fresh_lock(b.params if source == "base" else h.params)
        fresh, line = lock_line(lockcheck.check(lock_rev), required)
        passed, text = passed and fresh, f"{line}\n{text}"
        if not fresh:
            text += "\ngate FAILED: the committed dvc.lock is stale (gate.require_fresh_lock)"
    if h.stale:
        text = f"warning: not reproduced ({', '.join(h.stale)} changed): run `dvc repro`\n{text}"
    if source == "head":
        text = f"note: {b.label} has no gate section; using {h.label}'s tolerances\n{text}"
    click.echo(text)
    if not passed:
        raise SystemExit(1)
