"""`lockstep drift`: has a batch of rows drifted from the reference data?

Inputs: a reference and a current batch (Parquet, CSV, or a JSONL prediction log whose records
nest the model's inputs under "features"), optionally the model. Output: reports/drift.json
(summary numbers at the top level, so `dvc metrics diff` reads them) and a table on stdout.
Params: ``data`` (the contract's feature columns and dtypes), ``drift`` (thresholds).
Not a pipeline stage: the pipeline has no current batch. See README, "Monitoring and retraining".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import click
import numpy as np
import pandas as pd

from ..config import load_params, read_section
from ..contract.dataconfig import BOOL_TEXT, DataConfig
from ..errors import LockstepError
from ..io import write_json
from ..options import params_option
from ..paths import DRIFT_FILE, MODEL_FILE
from .stats import (
    column_drifted,
    compare_categorical,
    compare_numeric,
    rounded_tree,
    score_drift,
    summary_table,
)


@dataclass(frozen=True)
class DriftParams:
    SECTION: ClassVar[str] = "drift"
    small_sample: int = 1000
    alpha: float = 0.05
    psi_threshold: float = 0.2
    js_threshold: float = 0.1
    psi_bins: int = 10
    epsilon: float = 1e-4
    dataset_drift_share: float = 0.5
    score_psi_threshold: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1 or not 0 < self.dataset_drift_share <= 1:
            raise LockstepError("drift.alpha must be in (0, 1) and dataset_drift_share in (0, 1]")
        if self.psi_bins < 2 or self.small_sample < 1 or not 0 < self.epsilon < 0.01:
            raise LockstepError(
                "drift.psi_bins must be at least 2, small_sample at least 1, epsilon in (0, 0.01)"
            )


def read_batch(path: str, role: str) -> pd.DataFrame:
    """Rows from Parquet, CSV or JSONL; a prediction log's "features" become columns."""
    file = Path(path)
    if not file.is_file():
        raise LockstepError(f"{role} batch {path} does not exist")
    suffix = file.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(file)
        elif suffix == ".csv":
            frame = pd.read_csv(file)
        elif suffix in (".jsonl", ".ndjson"):
            frame = _read_log(file)
        else:
            raise LockstepError(f"{role} batch {path}: use .parquet, .csv or .jsonl")
    except LockstepError:
        raise
    except Exception as exc:
        raise LockstepError(f"{role} batch {path} could not be read: {exc}") from exc
    if frame.empty:
        raise LockstepError(f"{role} batch {path} has no rows: nothing to compare")
    return frame


def _read_log(file: Path) -> pd.DataFrame:
    """The log's records; lines that are not JSON objects are skipped, counted in
    ``attrs["skipped_lines"]`` and reported on stderr."""
    from .logs import json_objects

    records, skipped = json_objects(file)
    for i, record in enumerate(records):
        features = record.get("features")
        if isinstance(features, dict):
            records[i] = {**features, **{k: v for k, v in record.items() if k != "features"}}
    frame = pd.DataFrame.from_records(records)
    frame.attrs["skipped_lines"] = skipped
    if skipped:
        click.echo(
            f"drift: skipped {skipped} line(s) of {file} that are not a JSON record", err=True
        )
    return frame


def conform(frame: pd.DataFrame, data: DataConfig, role: str, path: str) -> pd.DataFrame:
    """The contract's feature columns, numbers as floats and categories as text."""
    columns = data.feature_columns()
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LockstepError(
            f"{role} batch {path} lacks the contract's feature column(s) {', '.join(missing)} "
            f"(it has: {', '.join(map(str, frame.columns))})"
        )
    out = {}
    for name in columns:
        dtype, values = data.columns[name].dtype, frame[name]
        if dtype in ("int", "float"):
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & numbers.isna()
            if bad.any():
                example = values[bad].iloc[0]
                raise LockstepError(
                    f"{role} batch {path}: column {name} is {dtype} in the contract but holds "
                    f"{example!r} ({int(bad.sum())} non-numeric value(s))"
                )
            out[name] = numbers.astype(float)
        elif dtype == "bool":
            out[name] = values.map(lambda v: v if pd.isna(v) else BOOL_TEXT.get(str(v).lower(), v))
        else:
            out[name] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(out, index=frame.index)


def compare(
    reference: pd.DataFrame, current: pd.DataFrame, data: DataConfig, cfg: DriftParams
) -> dict[str, Any]:
    """Per-column results and the dataset decision (``current`` decides small or large)."""
    columns = data.feature_columns()
    small = len(current) < cfg.small_sample
    alpha = cfg.alpha / len(columns)
    results = {}
    for name in columns:
        if data.columns[name].dtype in ("int", "float"):
            result = compare_numeric(reference[name], current[name], cfg.psi_bins, cfg.epsilon)
        else:
            result = compare_categorical(reference[name], current[name], cfg.epsilon)
        result["drifted"] = column_drifted(result, small, alpha, cfg)
        results[name] = result
    drifted = sum(r["drifted"] for r in results.values())
    share = drifted / len(columns)
    return {
        "method": "tests" if small else "distances",
        "alpha_per_column": alpha,
        "rows_reference": len(reference),
        "rows_current": len(current),
        "columns_total": len(columns),
        "columns_drifted": drifted,
        "share": share,
        "dataset_drift": share >= cfg.dataset_drift_share,
        "columns": results,
    }


def scores(frame: pd.DataFrame, model: Any, where: str) -> np.ndarray:
    """Logged scores when the batch has them, else the model's positive-class probabilities."""
    if "score" in frame.columns:
        return pd.to_numeric(frame["score"], errors="coerce").dropna().to_numpy(dtype=float)
    try:
        return model.predict_proba(frame)[:, 1]
    except Exception as exc:  # a column the model needs, or a value it cannot encode
        raise LockstepError(f"the model could not score the {where}: {exc}") from exc


@click.command("drift")
@click.option("--reference", required=True, help="Reference rows: .parquet, .csv or .jsonl.")
@click.option("--current", required=True, help="The new batch: .parquet, .csv or .jsonl log.")
@click.option("--output", default=DRIFT_FILE, show_default=True)
@click.option(
    "--model",
    "model_path",
    default=None,
    help=f"Score both batches and compare the scores (e.g. {MODEL_FILE}); logged scores win.",
)
@params_option()
@click.option("--fail-on-drift", is_flag=True, help="Exit 1 when dataset or score drift is found.")
def command(
    reference: str,
    current: str,
    output: str,
    model_path: str | None,
    params_path: str,
    fail_on_drift: bool,
) -> None:
    """Per-column and prediction-score drift of the --current batch against --reference.

    Scores are compared when --model is given or the current batch has a "score" column (a
    prediction log); rows without logged scores are scored by the model (default
    models/model.skops).
    """
    params = load_params(params_path)
    data = read_section(DataConfig, params)
    cfg = read_section(DriftParams, params)
    ref_raw, cur_raw = read_batch(reference, "reference"), read_batch(current, "current")
    ref = conform(ref_raw, data, "reference", reference)
    cur = conform(cur_raw, data, "current", current)
    report = compare(ref, cur, data, cfg)
    report["skipped_lines"] = ref_raw.attrs.get("skipped_lines", 0)
    report["skipped_lines"] += cur_raw.attrs.get("skipped_lines", 0)
    report["score"], report["score_drift"] = None, None
    if model_path or "score" in cur_raw.columns:
        model = None
        if "score" not in cur_raw.columns or "score" not in ref_raw.columns:
            from ..modelfile import load_model

            model = load_model(model_path or MODEL_FILE)
        ref_scores = scores(ref_raw.assign(**ref), model, f"reference batch {reference}")
        cur_scores = scores(cur_raw.assign(**cur), model, f"current batch {current}")
        report["score"] = score_drift(ref_scores, cur_scores, cfg)
        report["score_drift"] = report["score"]["drifted"]
    report = rounded_tree(report)
    write_json(output, report)
    click.echo(summary_table(report))
    if fail_on_drift and (report["dataset_drift"] or report["score_drift"]):
        click.echo("drift found: exiting 1 (--fail-on-drift)", err=True)
        raise click.exceptions.Exit(1)
