"""`lockstep outcomes export`: labelled rows from what production saw, for retraining.

Every logged prediction with a matched outcome becomes one row of the training data contract:
the pseudonymized id (never a raw one: the log and the store hold hashes only), the logged
inputs, and the observed label as the target's class. The rows are checked by the data
contract's pandera schema and merged into the feedback file (``data.feedback``, by default
data/source/feedback.parquet, inside the ingest stage's DVC-tracked data/source/): a newer row
replaces an older one with the same id. `dvc repro` then retrains on source + feedback.
Too few labelled rows (``monitor.retrain_min_labels``) and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd

from ..contract.dataconfig import DataConfig
from ..contract.schema import build_schema
from ..errors import LockstepError
from ..io import write_parquet
from ..options import params_option


def labelled_rows(joined: pd.DataFrame, data: DataConfig) -> pd.DataFrame:
    """Contract rows (id, features, target) of the predictions that have an outcome."""
    rows = joined[joined["y"].notna()].sort_values(["ts", "id"], kind="mergesort")
    rows = rows.drop_duplicates("id", keep="last")
    allowed = data.columns[data.target].allowed or ()
    negative = next((v for v in allowed if str(v) != str(data.positive_class)), None)
    if negative is None:
        raise LockstepError(f"data.columns.{data.target}.allowed must list both classes")
    missing = [c for c in data.feature_columns() if c not in rows.columns]
    if missing:
        raise LockstepError(f"the prediction log lacks the feature column(s) {', '.join(missing)}")
    out = pd.DataFrame({data.id_column: rows["id"].to_numpy()})
    for name in data.columns:
        if name == data.target:
            out[name] = [data.positive_class if y == 1 else negative for y in rows["y"]]
        elif name != data.id_column:
            out[name] = rows[name].to_numpy()
    return out


def checked(rows: pd.DataFrame, data: DataConfig) -> pd.DataFrame:
    """The rows as the contract types them, or an error naming the failing checks."""
    import pandera.errors

    try:
        return build_schema(data).validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check"]].drop_duplicates().head(5)
        found = "; ".join(f"{c}: {k}" for c, k in cases.itertuples(index=False))
        raise LockstepError(f"labelled production rows break the data contract: {found}") from exc


def merge_into(path: str, rows: pd.DataFrame, id_column: str) -> int:
    """Merge ``rows`` into the Parquet file ``path`` (newer wins per id); the total row count."""
    file = Path(path)
    if file.exists():
        old = pd.read_parquet(file)
        if set(old.columns) != set(rows.columns):
            raise LockstepError(f"{path} has other columns than the data contract: not merged")
        rows = pd.concat([old, rows[old.columns]], ignore_index=True)
    rows = rows.drop_duplicates(id_column, keep="last").sort_values(id_column, kind="mergesort")
    write_parquet(file, rows.reset_index(drop=True))
    return len(rows)


def window_rows(
    data: DataConfig, cfg: Any, store: str | None, log_dir: str | None, since: str | None
) -> pd.DataFrame:
    """The labelled production rows (log joined with outcomes) from ``since`` on."""
    from .config import since_time
    from .logs import read_predictions
    from .outcomes import read_store
    from .performance import join

    predictions, _ = read_predictions(log_dir or cfg.log_dir)
    joined, _ = join(predictions, read_store(store or cfg.store))
    start = since_time(since)
    if start is not None:
        joined = joined[joined["ts"] >= pd.Timestamp(start).tz_localize(start.tzinfo or "UTC")]
    return labelled_rows(joined, data)


@click.command("export")
@params_option()
@click.option("--store", default=None, help="Outcome store folder (default: monitor.store).")
@click.option("--log-dir", default=None, help="Prediction log folder (default: monitor.log_dir).")
@click.option("--output", default=None, help="Feedback file (default: data.feedback).")
@click.option("--since", default=None, help="Only predictions from this ISO date/time on.")
@click.option("--min-labels", type=int, default=None, help="Default: monitor.retrain_min_labels.")
def export_command(
    params_path: str,
    store: str | None,
    log_dir: str | None,
    output: str | None,
    since: str | None,
    min_labels: int | None,
) -> None:
    """Merge labelled production rows (log + outcomes) into the feedback file for retraining."""
    from ..config import build, load_params, section
    from .config import MonitorParams

    params = load_params(params_path)
    data = build(DataConfig, section(params, "data"), "data")
    cfg = build(MonitorParams, section(params, "monitor"), "monitor")
    output = output or data.feedback
    if not output:
        raise LockstepError("no feedback file: set data.feedback in conf/ or pass --output")
    rows = window_rows(data, cfg, store, log_dir, since)
    needed = min_labels if min_labels is not None else cfg.retrain_min_labels
    if len(rows) < needed:
        raise LockstepError(
            f"{len(rows)} labelled production row(s); retraining needs at least {needed} "
            f"({needed - len(rows)} more outcome(s)): nothing written"
        )
    total = merge_into(output, checked(rows, data), data.id_column)
    click.echo(f"outcomes export: {len(rows)} labelled row(s) merged into {output} ({total} rows)")
