"""Stage fairness: models/model.skops + data/features/test.parquet → reports/fairness.json.

Params: ``data`` (target, positive class, ``sensitive_columns``), ``evaluate`` (threshold) and
``fairness`` (seed, smallest group, bootstrap samples, confidence). Only the columns the dataset
declares in ``data.sensitive_columns`` are measured; with none declared the file says so. The
definitions are in lockstep.fairness; reports/fairness.json is a DVC metric (cache: false), read
by the model card, `lockstep report`, `lockstep gate` and `lockstep promote`.
"""

from __future__ import annotations

import click

from ..config import read_section
from ..errors import LockstepError
from ..fairness import FairnessParams, fairness_report
from ..io import write_json
from ..options import params_option
from ..paths import FAIRNESS_FILE, MODEL_FILE, TEST_FEATURES
from .evaluate import score_test_rows

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = (
    "data.target",
    "data.positive_class",
    "data.sensitive_columns",
    "data.sensitive_as_features",
    "evaluate",
    "fairness",
    "numerics",
)


@click.command("fairness")
@params_option()
@click.option("--model", "model_path", default=MODEL_FILE, show_default=True)
@click.option("--input", "input_path", default=TEST_FEATURES, show_default=True)
@click.option("--output", default=FAIRNESS_FILE, show_default=True)
def command(params_path: str, model_path: str, input_path: str, output: str) -> None:
    """Per-group rates and disparities, with intervals, for each declared sensitive column."""
    params, data, ev, frame, _, y, _, proba = score_test_rows(
        params_path, model_path, input_path, PARAMS
    )
    fair = read_section(FairnessParams, params)
    missing = [c for c in data.sensitive_columns if c not in frame.columns]
    if missing:
        raise LockstepError(
            f"data.sensitive_columns: '{missing[0]}' is not in the test features ({input_path})"
        )
    columns = {c: frame[c].to_numpy() for c in data.sensitive_columns}
    report = fairness_report(y, proba, ev.threshold, columns, fair)
    report["sensitive_as_features"] = data.sensitive_as_features
    write_json(output, report)
    click.echo(f"fairness: {len(columns)} sensitive column(s) -> {output}")
