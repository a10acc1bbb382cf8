"""Stage validate: data/raw/<name>.parquet → data/validated.parquet + reports/validation.json
+ reports/column_types.json.

Params: ``data``, ``split.test_size``, ``train.cv_folds``. Builds the pandera schema from the data
config and validates lazily, so every failing check is reported at once. On failure it prints a
table (column, check, rows failing, a few ids and values, each cut to 80 characters), still writes
reports/validation.json, and exits 1 before any later stage runs. The target must hold two classes
or more, each with enough rows for the stratified split and k-fold cross-validation. It writes
the column types (name, dtype, nullable of each column of ``data.columns``) for train and the
model card, which depend on that file instead of on ``data.columns``
(lockstep.contract.column_types); they come from the contract alone, so failing data leaves them
as they were.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import click
import pandas as pd
import pandera.errors
from tabulate import tabulate

from ..config import build, load_params, read_section, section
from ..contract.column_types import write_column_types
from ..contract.columns import split_extra_columns
from ..contract.dataconfig import DataConfig
from ..contract.schema import summarize_failures, validate_frame
from ..contract.text import cut, cut_repr
from ..errors import LockstepError
from ..io import read_parquet, write_json, write_parquet
from ..options import params_option
from ..paths import COLUMN_TYPES_FILE, VALIDATED_DATA, VALIDATION_FILE

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = (
    "data.name",
    "data.columns",
    "data.target",
    "data.id_column",
    "data.extra_columns",
    "data.engine",
    "data.dask",
    "split.test_size",
    "train.cv_folds",
)


@dataclass(frozen=True)
class Needs:
    """What later stages need of the target: read from their params sections."""

    test_size: float
    cv_folds: int = 5

    @property
    def rows_per_class(self) -> int:
        """1+ row per class in the stratified test part and ``cv_folds`` in the training part."""
        if not 0 < self.test_size < 1:
            return 2  # split reports a bad test_size itself
        return max(2, math.ceil(self.cv_folds / (1 - self.test_size)) + 1)


def class_failures(target: pd.Series, need: int) -> list[dict]:
    """Failure rows when the target has fewer than 2 classes or a class with < ``need`` rows."""
    return count_failures(target.value_counts(sort=False), str(target.name), need)


def count_failures(counts: pd.Series, column: str, need: int) -> list[dict]:
    """``class_failures`` from the target's rows per class (``column`` names the target)."""
    counts = counts.sort_index()
    seen = ", ".join(f"{cut_repr(k)}: {n} rows" for k, n in counts.items()) or "no rows"
    rows = []
    if len(counts) < 2:
        rows.append({"check": "two_classes", "failing": 1})
    short = counts[counts < need]
    if len(short):
        rows.append({"check": f"rows_per_class(>={need})", "failing": len(short)})
    blank = {"example_rows": "-", "example_ids": "-", "example_values": seen}
    return [{"column": cut(column), **row, **blank} for row in rows]


def validate(
    frame: pd.DataFrame, cfg: DataConfig, needs: Needs | None = None
) -> tuple[pd.DataFrame | None, dict]:
    """Return (validated frame or None, report); the report is reports/validation.json.

    ``needs`` (the command reads it from params) adds the rule on the target's classes."""
    frame, dropped = split_extra_columns(frame, cfg)
    report = {"rows_checked": len(frame), "dropped_columns": dropped, "failures": {}}
    try:
        validated = validate_frame(frame, cfg)
        rows = [] if needs is None else class_failures(validated[cfg.target], needs.rows_per_class)
    except pandera.errors.SchemaErrors as exc:
        validated, rows = None, summarize_failures(exc.failure_cases, frame, cfg.id_column)
    if rows:
        report["failures"] = {f"{r['column']}: {r['check']}": r["failing"] for r in rows}
        report["failure_cases"] = rows
        report["passed"] = False
        return None, report
    report["passed"] = True
    return validated, report


def load_needs(params: dict) -> Needs:
    split, train = section(params, "split"), section(params, "train")
    needs = {"test_size": split.get("test_size"), "cv_folds": train.get("cv_folds", 5)}
    return build(Needs, needs, "split.test_size/train.cv_folds")


@click.command("validate")
@params_option()
@click.option("--input", "input_path", default=None, help="Default: data/raw/<data.name>.parquet")
@click.option("--output", default=VALIDATED_DATA, show_default=True)
@click.option("--report", "report_path", default=VALIDATION_FILE, show_default=True)
@click.option("--column-types", "types_path", default=COLUMN_TYPES_FILE, show_default=True)
def command(
    params_path: str, input_path: str | None, output: str, report_path: str, types_path: str
) -> None:
    """Check raw data against the data contract; stop the pipeline on any failure."""
    params = load_params(params_path, PARAMS)
    cfg = read_section(DataConfig, params)
    input_path = input_path or f"data/raw/{cfg.name}.parquet"
    needs = load_needs(params)
    # From the contract alone, so written first: DVC deletes a stage's outputs before it runs,
    # and failing data must not leave this Git-tracked file deleted.
    write_column_types(types_path, cfg)
    if cfg.engine == "dask":  # writes the parts itself when they pass
        from .dask_validate import validate_parts

        need = needs.rows_per_class
        passed, report = validate_parts(
            input_path, output, cfg, lambda counts: count_failures(counts, cfg.target, need)
        )
        validated = True if passed else None
    else:
        validated, report = validate(read_parquet(input_path), cfg, needs)
    for column in report["dropped_columns"]:
        click.echo(
            f"warning: dropped column '{column}' (not in data.columns; "
            "data.extra_columns is 'drop')",
            err=True,
        )
    write_json(report_path, report)
    if validated is None:
        table = tabulate(report["failure_cases"], headers="keys", tablefmt="github")
        click.echo(
            f"validation failed for {input_path} against conf/data/{cfg.name}.yaml:\n{table}",
            err=True,
        )
        raise LockstepError(
            f"{len(report['failures'])} check(s) failed; fix the data or the contract in "
            f"conf/data/{cfg.name}.yaml (details in {report_path})"
        )
    if cfg.engine != "dask":
        write_parquet(output, validated)
    click.echo(f"validate: {report['rows_checked']} rows passed -> {output}", file=sys.stdout)
