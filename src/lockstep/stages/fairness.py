"""Stage fairness: data/scores/test.parquet + data/features/test.parquet → reports/fairness.json.

It reads the test rows' labels and scores as evaluate wrote them (it never loads the model) and
the sensitive columns from the test features. Params: ``data`` (``sensitive_columns``),
``evaluate.threshold`` and ``fairness`` (seed, smallest group, bootstrap samples, confidence).
Only the columns the dataset declares in ``data.sensitive_columns`` are measured; with none
declared the file says so. The definitions are in lockstep.fairness; reports/fairness.json is a
DVC metric (cache: false), read by the model card, `lockstep report`, `lockstep gate` and
`lockstep promote`.
"""

from __future__ import annotations

import click

from ..config import load_params, read_section
from ..contract.schema import DataConfig
from ..errors import LockstepError
from ..fairness import FairnessParams, fairness_report
from ..io import write_json
from ..options import params_option
from ..paths import FAIRNESS_FILE, SCORES_FILE, TEST_FEATURES
from .scored import decision, read_scored

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = (
    "data.sensitive_columns",
    "data.sensitive_as_features",
    "evaluate.threshold",
    "fairness",
    "numerics",
)


@click.command("fairness")
@params_option()
@click.option("--scores", "scores_path", default=SCORES_FILE, show_default=True)
@click.option("--input", "input_path", default=TEST_FEATURES, show_default=True)
@click.option("--output", default=FAIRNESS_FILE, show_default=True)
def command(params_path: str, scores_path: str, input_path: str, output: str) -> None:
    """Per-group rates and disparities, with intervals, for each declared sensitive column."""
    params = load_params(params_path, PARAMS)
    data = read_section(DataConfig, params)
    fair = read_section(FairnessParams, params)
    threshold = decision(params)
    frame, y, proba = read_scored(scores_path, input_path)
    missing = [c for c in data.sensitive_columns if c not in frame.columns]
    if missing:
        raise LockstepError(
            f"data.sensitive_columns: '{missing[0]}' is not in the test features ({input_path})"
        )
    columns = {c: frame[c].to_numpy() for c in data.sensitive_columns}
    report = fairness_report(y, proba, threshold, columns, fair)
    report["sensitive_as_features"] = data.sensitive_as_features
    write_json(output, report)
    click.echo(f"fairness: {len(columns)} sensitive column(s) -> {output}")
