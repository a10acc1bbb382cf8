"""Stage validate: data/raw/<name>.parquet → data/validated.parquet + reports/validation.json.

Params: ``data``. Builds the pandera schema from the data config and validates lazily, so every
failing check is reported at once. On failure it prints a table (column, check, rows failing, a
few ids and values), still writes reports/validation.json, and exits 1 before any later stage runs.
"""

from __future__ import annotations

import sys

import click
import pandas as pd
import pandera.errors
from tabulate import tabulate

from ..config import load_params, read_section
from ..contract.schema import DataConfig, split_extra_columns, summarize_failures, validate_frame
from ..errors import LockstepError
from ..io import read_parquet, write_json, write_parquet
from ..options import params_option
from ..paths import VALIDATED_DATA, VALIDATION_FILE


def validate(frame: pd.DataFrame, cfg: DataConfig) -> tuple[pd.DataFrame | None, dict]:
    """Return (validated frame or None, report); the report is reports/validation.json."""
    frame, dropped = split_extra_columns(frame, cfg)
    report = {"rows_checked": len(frame), "dropped_columns": dropped, "failures": {}}
    try:
        validated = validate_frame(frame, cfg)
    except pandera.errors.SchemaErrors as exc:
        rows = summarize_failures(exc.failure_cases, frame, cfg.id_column)
        report["failures"] = {f"{r['column']}: {r['check']}": r["failing"] for r in rows}
        report["failure_cases"] = rows
        report["passed"] = False
        return None, report
    report["passed"] = True
    return validated, report


@click.command("validate")
@params_option()
@click.option("--input", "input_path", default=None, help="Default: data/raw/<data.name>.parquet")
@click.option("--output", default=VALIDATED_DATA, show_default=True)
@click.option("--report", "report_path", default=VALIDATION_FILE, show_default=True)
def command(params_path: str, input_path: str | None, output: str, report_path: str) -> None:
    """Check raw data against the data contract; stop the pipeline on any failure."""
    cfg = read_section(DataConfig, load_params(params_path))
    input_path = input_path or f"data/raw/{cfg.name}.parquet"
    validated, report = validate(read_parquet(input_path), cfg)
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
    write_parquet(output, validated)
    click.echo(f"validate: {report['rows_checked']} rows passed -> {output}", file=sys.stdout)
