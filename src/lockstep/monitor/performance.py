"""Live performance: logged predictions joined with outcomes, measured per window and model.

Each outcome is matched to the latest prediction of its id made at or before the outcome was
observed (``pd.merge_asof``); an outcome whose id the log never scored, or that was observed
before the id's first prediction, is counted and left out, never joined. Metrics come with a
seeded percentile bootstrap interval (``lockstep.bootstrap``). Ranking and probability metrics
(ROC AUC, PR AUC, Brier, log loss) use the logged score; precision and recall use the logged
decision, i.e. the threshold the server actually applied.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from .. import bootstrap

SCORE_METRICS = ("roc_auc", "pr_auc", "brier", "log_loss")
DECISION_METRICS = ("precision", "recall")
TS = "datetime64[ns, UTC]"


def join(predictions: pd.DataFrame, outcomes: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Predictions with ``y`` and ``observed_at`` where an outcome matched, and join counts."""
    preds = predictions.assign(ts=predictions["ts"].astype(TS), row=np.arange(len(predictions)))
    outs = outcomes.assign(observed_at=outcomes["observed_at"].astype(TS))
    outs = outs.sort_values("observed_at", kind="mergesort")
    matched = pd.merge_asof(
        outs,
        preds[["ts", "id", "row"]].sort_values("ts", kind="mergesort"),
        left_on="observed_at",
        right_on="ts",
        by="id",
        direction="backward",
    )
    known = outs["id"].isin(set(preds["id"])).to_numpy()
    hit = matched["row"].notna().to_numpy()
    counts = {
        "outcomes": len(outs),
        "matched": int(hit.sum()),
        "unknown_id": int((~known).sum()),
        "before_prediction": int((known & ~hit).sum()),
    }
    rows = matched.loc[hit, "row"].astype(int).to_numpy()
    y = np.full(len(preds), np.nan)
    y[rows] = matched.loc[hit, "label"].to_numpy(dtype=float)
    observed = pd.Series(pd.NaT, index=preds.index, dtype=TS)
    observed.iloc[rows] = matched.loc[hit, "observed_at"].to_numpy()
    return preds.drop(columns="row").assign(y=y, observed_at=observed), counts


def assign_windows(frame: pd.DataFrame, since: datetime | None, width: timedelta) -> pd.DataFrame:
    """Each prediction's window start: ``since`` (default the first day logged) + k × width."""
    origin = pd.Timestamp(since) if since is not None else frame["ts"].min().floor("D")
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
    kept = frame[frame["ts"] >= origin]
    k = ((kept["ts"] - origin) // pd.Timedelta(width)).astype(int)
    start = origin + k * pd.Timedelta(width)
    return kept.assign(window=start.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def delays(group: pd.DataFrame) -> dict[str, float | None]:
    """Label delay in hours (observed − predicted) of the labelled predictions."""
    hours = ((group["observed_at"] - group["ts"]).dt.total_seconds() / 3600).dropna()
    if hours.empty:
        return {"median_hours": None, "p90_hours": None}
    return {"median_hours": float(hours.median()), "p90_hours": float(hours.quantile(0.9))}


def measure(
    y: np.ndarray,
    score: np.ndarray,
    decision: np.ndarray,
    samples: int,
    confidence: float,
    seed: int,
) -> dict[str, Any]:
    """Point value, interval and bootstrap draws of every live metric."""
    drawn = bootstrap.draws(y, score, 0.5, samples, seed, SCORE_METRICS)
    drawn.update(bootstrap.draws(y, decision, 0.5, samples, seed, DECISION_METRICS))
    out = {}
    for name, values in drawn.items():
        p = decision if name in DECISION_METRICS else score
        value = float(bootstrap.METRICS[name](y, p, 0.5))
        low, high = bootstrap.percentile_interval(values, confidence)
        out[name] = {"value": value, "low": low, "high": high, "draws": values}
    return out


def coverage(group: pd.DataFrame) -> dict[str, Any]:
    labelled = int(group["y"].notna().sum())
    return {
        "predictions": len(group),
        "labelled": labelled,
        "coverage": labelled / len(group) if len(group) else 0.0,
        "positives": int(np.nansum(group["y"].to_numpy())),
        **delays(group),
    }
