"""Stage model_card: evaluate's outputs + test features + ingest record → reports/model_card.md.

It reads the model's test scores, metrics and feature effects as evaluate wrote them
(data/scores/test.parquet, reports/metrics.json, reports/feature_effects.json) and never loads
the model itself; the model file is hashed for the lineage.

Params: ``data`` (target, slices; the schema table's column types come from validate's
reports/column_types.json), ``split``, ``model``, ``train``, ``evaluate`` (threshold, seed)
and ``model_card`` (bootstrap samples, confidence); the fairness section comes from
reports/fairness.json (stage fairness). Slice columns, intended use and limitations
belong to the dataset, so they come from ``data`` (``slice_columns``, ``intended_use``,
``limitations``).
The card holds the data source and hash, rows, schema, params, test metrics with seeded bootstrap
confidence intervals, metrics by slice, intended use and limits, and lineage: the md5 (as in
dvc.lock) of every input. The commit is not known inside the pipeline; `lockstep model get`
adds the registered version and its commit when it materialises the card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import click
import numpy as np
import pandas as pd

from .. import bootstrap, explain
from ..config import load_params, read_section, section
from ..contract.column_types import with_column_types
from ..contract.schema import DataConfig
from ..errors import LockstepError
from ..fairness_checks import card_section
from ..io import file_hash, read_json, write_text
from ..options import params_option
from ..paths import (
    COLUMN_TYPES_FILE,
    EFFECTS_FILE,
    FAIRNESS_FILE,
    INGEST_FILE,
    METRICS_FILE,
    MODEL_CARD,
    MODEL_FILE,
    SCORES_FILE,
    TEST_FEATURES,
)
from .scored import decision, read_scored

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = (
    "data.name",
    "data.target",
    "data.positive_class",
    "data.slice_columns",
    "data.intended_use",
    "data.limitations",
    "split",
    "model",
    "train",
    "evaluate",
    "model_card",
    "numerics",
)


@dataclass(frozen=True)
class ModelCardParams:
    SECTION: ClassVar[str] = "model_card"
    bootstrap_samples: int = 200
    confidence: float = 0.95


def _f(value: float) -> str:
    return "n/a" if value != value else f"{value:.4f}"  # NaN-safe


def metric_table(
    y: np.ndarray,
    proba: np.ndarray,
    threshold: float,
    card: ModelCardParams,
    seed: int,
    values: dict[str, float],
) -> list[str]:
    """Each metric's test value (evaluate's reports/metrics.json) and its bootstrap interval."""
    ci = bootstrap.intervals(y, proba, threshold, card.bootstrap_samples, card.confidence, seed)
    level = f"{card.confidence:.0%}"
    lines = [f"| metric | value | {level} CI |", "|---|---:|---:|"]
    for name in sorted(ci):
        low, high = ci[name]
        lines.append(f"| {name} | {_f(values[name])} | {_f(low)} – {_f(high)} |")
    return lines


def slice_tables(
    frame: pd.DataFrame,
    y: np.ndarray,
    proba: np.ndarray,
    threshold: float,
    columns: tuple[str, ...],
    target: str = "target",
) -> list[str]:
    lines: list[str] = []
    for column in columns:
        if column not in frame.columns:
            raise LockstepError(
                f"data.slice_columns: column '{column}' is not in the test features"
            )
        lines += ["", f"### By `{column}`", ""]
        lines += [
            f"| value | rows | {target} rate | roc_auc | precision | recall |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        values = frame[column].astype(str).to_numpy()
        for value in sorted(set(values)):
            mask = values == value
            ys, ps = y[mask], proba[mask]
            cells = [
                value,
                str(int(mask.sum())),
                _f(float(ys.mean())),
                _f(bootstrap.roc_auc(ys, ps, threshold)),
                _f(bootstrap.precision(ys, ps, threshold)),
                _f(bootstrap.recall(ys, ps, threshold)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def render(
    data: DataConfig,
    ingest: dict[str, Any],
    params: dict[str, Any],
    metrics: list[str],
    slices: list[str],
    card: ModelCardParams,
    lineage: dict[str, str],
    extra: tuple[str, ...] = (),
) -> str:
    fields = sorted(ingest.get("source", {}).items(), key=lambda kv: (kv[0] != "kind", kv[0]))
    source = ", ".join(f"{k} `{v}`" for k, v in fields)
    model = params.get("model", {})
    lines = [
        f"# Model card: {model.get('family', 'model')} on {data.name}",
        "",
        "## Intended use",
        "",
        data.intended_use.strip() or "Not stated.",
        "",
        "## Limits",
        "",
        *(f"- {item.strip()}" for item in data.limitations),
        "",
        "## Data",
        "",
        f"- source: {source or 'unknown'}",
        f"- content hash (sha256): `{ingest.get('content_hash', 'unknown')}`",
        f"- rows: {ingest.get('rows', 'unknown')}",
        f"- target: `{data.target}` (positive class `{data.positive_class}`)",
        f"- test rows: {params.get('test_rows')} (split test_size {params['split']['test_size']})",
        "",
        "| column | type | nullable |",
        "|---|---|---|",
        *(
            f"| {n} | {s.dtype} | {'yes' if s.nullable else 'no'} |"
            for n, s in data.columns.items()
        ),
        "",
        "## Params",
        "",
        *(
            f"- {name}: `{json.dumps(params[name], sort_keys=True)}`"
            for name in ("model", "train", "evaluate")
        ),
        "",
        f"## Test metrics (threshold {params['evaluate']['threshold']})",
        "",
        f"Bootstrap intervals: {card.bootstrap_samples} seeded resamples of the test rows.",
        "",
        *metrics,
        "",
        "## Metrics by slice",
        *slices,
        "",
        *extra,
        "## Lineage",
        "",
        "md5 of each input, as recorded in dvc.lock:",
        "",
        *(f"- `{path}`: `{digest}`" for path, digest in sorted(lineage.items())),
    ]
    return "\n".join(lines) + "\n"


def read_inputs(path: str, what: str) -> Any:
    """A JSON file another stage wrote; a clear error when it is missing."""
    found = read_json(path)
    if found is None:
        raise LockstepError(f"{what} {path} not found: run `dvc repro` to write it")
    return found


@click.command("model_card")
@params_option()
@click.option("--model", "model_path", default=MODEL_FILE, show_default=True)
@click.option("--input", "input_path", default=TEST_FEATURES, show_default=True)
@click.option("--scores", "scores_path", default=SCORES_FILE, show_default=True)
@click.option("--metrics", "metrics_path", default=METRICS_FILE, show_default=True)
@click.option("--effects", "effects_path", default=EFFECTS_FILE, show_default=True)
@click.option("--ingest", "ingest_path", default=INGEST_FILE, show_default=True)
@click.option("--fairness", "fairness_path", default=FAIRNESS_FILE, show_default=True)
@click.option("--column-types", "types_path", default=COLUMN_TYPES_FILE, show_default=True)
@click.option("--output", default=MODEL_CARD, show_default=True)
def command(
    params_path: str,
    model_path: str,
    input_path: str,
    scores_path: str,
    metrics_path: str,
    effects_path: str,
    ingest_path: str,
    fairness_path: str,
    types_path: str,
    output: str,
) -> None:
    """Write the model card: data, params, metrics with intervals and by slice, lineage."""
    params = load_params(params_path, PARAMS)
    data = with_column_types(read_section(DataConfig, params), types_path)
    card = read_section(ModelCardParams, params)
    threshold, seed = decision(params), section(params, "evaluate")["seed"]
    frame, y, proba = read_scored(scores_path, input_path)
    ingest = read_inputs(ingest_path, "the ingest record")
    shown = {name: section(params, name) for name in ("model", "train", "evaluate", "split")}
    shown["test_rows"] = len(frame)
    values = read_inputs(metrics_path, "the test metrics")
    metrics = metric_table(y, proba, threshold, card, seed, values)
    slices = slice_tables(frame, y, proba, threshold, data.slice_columns, data.target)
    fair = card_section(read_inputs(fairness_path, "the fairness report"))
    effects = explain.card_lines(read_inputs(effects_path, "the feature effects"))
    extra = ("## Fairness", "", *fair, "", "## What drives the score", "", *effects, "")
    inputs = (model_path, input_path, ingest_path, fairness_path)
    lineage = {p: file_hash(p, "md5") for p in inputs}
    write_text(output, render(data, ingest, shown, metrics, slices, card, lineage, extra))
    click.echo(f"model_card: {len(data.slice_columns)} slice column(s) -> {output}")
