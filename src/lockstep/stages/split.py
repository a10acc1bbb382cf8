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

# The params this stage reads: its `params:` in dvc.yaml (tests/stages/test_dvc_lock.py).
PARAMS = ("split", "data.target")


@dataclass(frozen=True)
class SplitParams:
    SECTION: ClassVar[str] = "split"
    test_size: float
    seed: int


def split(
    frame: pd.DataFrame, target: str, params: SplitParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not 0 < params.test_size < 1:
        raise LockstepError(f"split.test_size must be between 0 and 1, got {params.test_size}")
    if target not in frame.columns:
        raise LockstepError(f"data.target: column '{target}' is not in the validated data")
    counts = frame[target].value_counts()
    if len(counts) < 2 or counts.min() < 2:
        raise LockstepError(
            f"cannot stratify on '{target}': each class needs 2+ rows, got {counts.to_dict()}"
        )
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
    train, test = split(read_parquet(input_path), target, split_params)
    write_parquet(f"{output_dir}/train.parquet", train)
    write_parquet(f"{output_dir}/test.parquet", test)
    click.echo(f"split: {len(train)} train, {len(test)} test rows -> {output_dir}/")
