"""Stage split: data/validated.parquet → data/split/train.parquet, data/split/test.parquet.

Params: ``split`` (test_size, seed) and ``data.target``. Stratified on the target so both parts
keep the class balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import click
import pandas as pd
from sklearn.model_selection import train_test_split

from ..config import load_params, read_section, section
from ..errors import LockstepError
from ..io import read_parquet, write_parquet
from ..options import params_option
from ..paths import SPLIT_DIR, VALIDATED_DATA
from .parts import dask_spec

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = ("split", "data.target", "data.id_column", "data.engine", "data.dask")


@dataclass(frozen=True)
class SplitParams:
    SECTION: ClassVar[str] = "split"
    test_size: float
    seed: int


def check_split(counts: pd.Series, target: str, params: SplitParams) -> None:
    """Refuse a test size outside (0, 1) and a target that cannot be stratified (rows per class)."""
    if not 0 < params.test_size < 1:
        raise LockstepError(f"split.test_size must be between 0 and 1, got {params.test_size}")
    if len(counts) < 2 or counts.min() < 2:
        raise LockstepError(
            f"cannot stratify on '{target}': each class needs 2+ rows, got {counts.to_dict()}"
        )


def split(
    frame: pd.DataFrame, target: str, params: SplitParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if target not in frame.columns:
        raise LockstepError(f"data.target: column '{target}' is not in the validated data")
    check_split(frame[target].value_counts(), target, params)
    train, test = train_test_split(
        frame, test_size=params.test_size, random_state=params.seed, stratify=frame[target]
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


@click.command("split")
@params_option()
@click.option("--input", "input_path", default=VALIDATED_DATA, show_default=True)
@click.option("--output-dir", default=SPLIT_DIR, show_default=True)
def command(params_path: str, input_path: str, output_dir: str) -> None:
    """Stratified train/test split by seed."""
    params = load_params(params_path, PARAMS)
    split_params = read_section(SplitParams, params)
    target = section(params, "data")["target"]
    dask = dask_spec(params)
    if dask is not None:  # parts in, parts out (lockstep.stages.dask_split)
        from .dask_split import split_parts

        id_column = params["data"].get("id_column")
        rows = split_parts(
            input_path, output_dir, target, id_column, split_params, dask,
            lambda counts: check_split(counts, target, split_params),
        )  # fmt: skip
        click.echo(f"split: {rows[0]} train, {rows[1]} test rows -> {output_dir}/ (parts)")
        return
    train, test = split(read_parquet(input_path), target, split_params)
    write_parquet(f"{output_dir}/train.parquet", train)
    write_parquet(f"{output_dir}/test.parquet", test)
    click.echo(f"split: {len(train)} train, {len(test)} test rows -> {output_dir}/")
