"""Stage split on the dask engine: data/validated.parquet parts → data/split/{train,test}.parquet.

Each row gets a keyed hash (SipHash, the key derived from ``split.seed``) of its id, or of its row
number in the whole table when the data has no id column. Within each class of the target, the
test part is the ``round(test_size × class rows)`` rows with the smallest hashes, so the split is
stratified exactly (up to rounding), independent of partitioning and of the scheduler, and
changes with the seed. Two passes: the first reads the id and target columns and finds each
class's hash threshold; the second writes part k of train and of test from validated part k.
It is not the same rows as the pandas engine's split (scikit-learn's shuffled stratified split).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LockstepError
from . import parts


def split_key(seed: int) -> str:
    """A 16-character hashing key for pandas' keyed SipHash, from the seed."""
    return hashlib.blake2b(f"lockstep-split:{seed}".encode(), digest_size=8).hexdigest()


def row_hashes(frame: pd.DataFrame, start: int, id_column: str | None, key: str) -> np.ndarray:
    if id_column:
        values = frame[id_column].astype(str)
    else:
        values = pd.Series(np.arange(start, start + len(frame))).astype(str)
    return pd.util.hash_pandas_object(values, index=False, hash_key=key).to_numpy()


def class_hashes(frame, number, starts, target, id_column, key) -> dict[Any, np.ndarray]:
    hashes = row_hashes(frame, starts[number], id_column, key)
    labels = frame[target].to_numpy()
    return {label: hashes[labels == label] for label in pd.unique(labels)}


def labels(found: list[dict[Any, np.ndarray]]) -> list[Any]:
    return sorted({k for part in found for k in part}, key=str)


def thresholds(found: list[dict[Any, np.ndarray]], test_size: float) -> dict[Any, np.uint64]:
    """Per class, the largest hash that goes to the test part."""
    out = {}
    for label in labels(found):
        hashes = np.concatenate([part[label] for part in found if label in part])
        k = min(max(int(np.floor(test_size * len(hashes) + 0.5)), 1), len(hashes) - 1)
        out[label] = np.partition(hashes, k - 1)[k - 1]
    return out


def write_split(frame, number, starts, target, id_column, key, limits, folders) -> tuple[int, int]:
    hashes = row_hashes(frame, starts[number], id_column, key)
    limit = frame[target].map(limits).to_numpy(dtype="uint64")
    test = hashes <= limit
    train_folder, test_folder = folders
    parts.write_part(train_folder, number, frame[~test].reset_index(drop=True))
    parts.write_part(test_folder, number, frame[test].reset_index(drop=True))
    return int((~test).sum()), int(test.sum())


def split_parts(
    input_path: str,
    output_dir: str,
    target: str,
    id_column: str | None,
    params: Any,
    dask: Any,
    check: Callable[[pd.Series], None],
) -> tuple[int, int]:
    """Write train and test parts; return their row counts. ``check(counts)`` refuses a split
    that cannot be stratified (the pandas engine's rules)."""
    frame = parts.read_parts(input_path)
    if target not in frame.columns:
        raise LockstepError(f"data.target: column '{target}' is not in the validated data")
    if id_column and id_column not in frame.columns:
        raise LockstepError(f"data.id_column: column '{id_column}' is not in the validated data")
    starts = parts.offsets(parts.row_counts(parts.part_files(input_path)))
    key = split_key(params.seed)
    keys = [c for c in (id_column, target) if c]
    with parts.scheduler(dask):
        found = parts.run(class_hashes, frame[keys], starts, target, id_column, key)
        check(pd.Series({k: sum(len(p.get(k, ())) for p in found) for k in labels(found)}))
        limits = thresholds(found, params.test_size)
        out = [f"{output_dir}/train.parquet", f"{output_dir}/test.parquet"]
        with parts.publishing(*out) as folders:
            written = parts.run(write_split, frame, starts, target, id_column, key, limits, folders)
    return sum(a for a, _ in written), sum(b for _, b in written)
