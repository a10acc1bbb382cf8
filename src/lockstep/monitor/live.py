"""`lockstep monitor`: is production still right? Live performance, concept drift, A/B verdict.

Reads the prediction log and the outcome store, joins them (``performance.join``), and for each
window (``--window``, from ``--since``) and each model that scored (prod, canary; by version):
label coverage and delay, live metrics with bootstrap intervals, the comparison with the model's
own test-set metrics at its commit (``reference``), degradation and concept drift
(``concept``). Over the whole period, the canary's A/B verdict against prod (``ab``).
Output: reports/monitoring.json (a DVC metric: summary at the top level), plot data under
reports/plots/monitoring/, and a table. Params: ``data``, ``monitor``, ``metrics``,
``promote.primary_metric``, ``drift`` (input drift of each window against --reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..contract.dataconfig import DataConfig
from ..errors import LockstepError
from . import ab, concept, performance
from .config import MonitorParams

# The arms of the A/B verdict: "canary", and "prod" for whatever the server labels the primary
# model with (the stage it came from: prod, or staging when that is what it serves).
ROLES = ("prod", "canary")


@dataclass
class Context:
    data: DataConfig
    cfg: MonitorParams
    directions: dict[str, str]
    primary: str
    tests: dict[str, dict[str, Any]]  # version -> test-set metrics and where they come from
    reference: pd.DataFrame | None  # conformed reference rows for input drift, or None
    drift: Any  # DriftParams


def input_drift(group: pd.DataFrame, ctx: Context) -> dict[str, Any] | None:
    if ctx.reference is None:
        return None
    from .drift import compare, conform

    try:
        current = conform(group, ctx.data, "window", "the prediction log")
    except LockstepError as exc:  # a log without the inputs: drift cannot be judged
        return {"dataset_drift": None, "not_checked": str(exc)}
    result = compare(ctx.reference, current, ctx.data, ctx.drift)
    drifted = [c for c, r in result["columns"].items() if r["drifted"]]
    return {
        "dataset_drift": result["dataset_drift"],
        "columns_drifted": drifted,
        "method": result["method"],
    }


def judge(labelled: pd.DataFrame, version: str, ctx: Context) -> dict[str, Any]:
    """Live metrics, degradation and concept drift of one window's labelled predictions."""
    cfg = ctx.cfg
    y = labelled["y"].to_numpy(dtype=int)
    score = labelled["score"].to_numpy(dtype=float)
    decision = labelled["label"].to_numpy(dtype=float)
    live = performance.measure(y, score, decision, cfg.bootstrap_samples, cfg.confidence, cfg.seed)
    test = (ctx.tests.get(version) or {}).get("metrics") or {}
    degraded = concept.degradation(live, test, cfg.degradation, ctx.directions, cfg.alpha)
    calib = concept.concept(labelled, ctx.data.slice_columns, cfg.alpha, cfg.calibration_margin)
    inputs = input_drift(labelled, ctx)
    moved = calib["calibration_moved"]
    inputs_drifted = bool(inputs and inputs["dataset_drift"])
    return {
        "metrics": {k: {m: v[m] for m in ("value", "low", "high")} for k, v in live.items()},
        "degradation": degraded,
        "calibration": calib,
        "input_drift": inputs,
        "degraded": degraded["degraded"],
        "concept_drift": bool(moved and not inputs_drifted),
        "data_drift": inputs_drifted,
    }


def windows(frame: pd.DataFrame, ctx: Context) -> list[dict[str, Any]]:
    out = []
    keys = ["window", "model", "version"]
    for (start, role, version), group in frame.groupby(keys, sort=True):
        row = {"window": start, "model": role, "version": version, **performance.coverage(group)}
        labelled = group[group["y"].notna()]
        row["judged"] = len(labelled) >= ctx.cfg.min_labels and labelled["y"].nunique() == 2
        if row["judged"]:
            row.update(judge(labelled, version, ctx))
        out.append(row)
    return out


def ab_verdict(frame: pd.DataFrame, ctx: Context) -> dict[str, Any] | None:
    canary = frame["model"] == "canary"
    arms = {r: frame[(canary == (r == "canary")) & frame["y"].notna()] for r in ROLES}
    if any(len(a) < ctx.cfg.min_labels or a["y"].nunique() < 2 for a in arms.values()):
        sizes = {r: len(a) for r, a in arms.items()}
        return {
            "verdict": "not enough labels",
            "labelled": sizes,
            "min_labels_per_arm": ctx.cfg.min_labels,
        }
    pairs = {
        r: (a["y"].to_numpy(dtype=int), a["score"].to_numpy(dtype=float)) for r, a in arms.items()
    }
    cfg = ctx.cfg
    versions = {r: sorted(set(a["version"])) for r, a in arms.items()}
    return {
        "versions": versions,
        **ab.verdict(
            pairs["prod"],
            pairs["canary"],
            ctx.primary,
            ctx.directions.get(ctx.primary, "higher"),
            cfg.bootstrap_samples,
            cfg.confidence,
            cfg.seed,
            cfg.ab_min_effect,
            cfg.ab_power,
        ),
    }


def latest(rows: list[dict[str, Any]], role: str) -> dict[str, Any] | None:
    judged = [r for r in rows if (r["model"] == "canary") == (role == "canary") and r["judged"]]
    return judged[-1] if judged else None


def summarise(frame: pd.DataFrame, rows: list[dict], counts: dict, ctx: Context) -> dict:
    """The top level of monitoring.json: what `dvc metrics` and the alert read."""
    labelled = int(frame["y"].notna().sum())
    now = {r: latest(rows, r) for r in ROLES}
    flags = {
        k: any(bool(w and w.get(k)) for w in now.values())
        for k in ("degraded", "concept_drift", "data_drift")
    }
    status = (
        "degraded"
        if flags["degraded"]
        else "concept drift"
        if flags["concept_drift"]
        else ("data drift" if flags["data_drift"] else "healthy")
    )
    if not any(now.values()):
        status = "not enough labels"
    return {
        "status": status,
        **flags,
        "predictions": len(frame),
        "labelled": labelled,
        "coverage": labelled / len(frame) if len(frame) else 0.0,
        "outcomes": counts["join"],
        "log": counts["log"],
        "latest": {
            r: (
                {
                    "window": w["window"],
                    "version": w["version"],
                    **{m: v["value"] for m, v in w["metrics"].items()},
                }
                if w
                else None
            )
            for r, w in now.items()
        },
        "test_metrics": ctx.tests,
    }


def report(
    predictions: pd.DataFrame,
    outcomes: pd.DataFrame,
    log_counts: dict,
    ctx: Context,
    since: Any,
    width: Any,
) -> tuple[dict[str, Any], dict[str, list]]:
    """(monitoring.json, plot data by name)."""
    joined, join_counts = performance.join(predictions, outcomes)
    frame = performance.assign_windows(joined, since, width)
    if frame.empty:
        raise LockstepError(f"no logged prediction at or after {since}: nothing to monitor")
    rows = windows(frame, ctx)
    out = summarise(frame, rows, {"join": join_counts, "log": log_counts}, ctx)
    out["ab"] = ab_verdict(frame, ctx) if (frame["model"] == "canary").any() else None
    out["windows"] = rows
    return out, {"performance": performance_rows(out), "calibration": calibration_rows(frame)}


def performance_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Plot data: the live metrics of each judged window with their intervals."""
    perf = []
    for w in result["windows"]:
        if not w["judged"]:
            continue
        row = {"window": w["window"], "model": f"{w['model']} {w['version']}"}
        for name, v in w["metrics"].items():
            row.update({name: v["value"], f"{name}_low": v["low"], f"{name}_high": v["high"]})
        perf.append(row)
    return perf


def calibration_rows(frame: pd.DataFrame, bins: int = 10) -> list[dict[str, Any]]:
    """Observed positive rate against mean score in quantile bins, per model."""
    out = []
    for role, group in frame[frame["y"].notna()].groupby("model", sort=True):
        order = np.argsort(group["score"].to_numpy(), kind="mergesort")
        for chunk in np.array_split(order, min(bins, len(order))):
            out.append(
                {
                    "model": role,
                    "mean_predicted": float(group["score"].to_numpy()[chunk].mean()),
                    "fraction_positive": float(group["y"].to_numpy()[chunk].mean()),
                }
            )
    return out
