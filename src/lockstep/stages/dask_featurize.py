"""Stage featurize on the dask engine: data/split parts → data/features/{train,test}.parquet parts.

``derive`` is row-wise and stateless, so part k of each output is part k of its input with the
derived columns added: the same partitioning, the same bytes whatever runs the tasks.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..contract.dataconfig import DaskSpec
from ..features import check_specs, derive
from . import parts


def derive_part(frame: pd.DataFrame, number: int, specs: Any, folder: str) -> int:
    parts.write_part(folder, number, derive(frame, specs))
    return len(frame)


def featurize_parts(input_dir: str, output_dir: str, specs: Any, dask: DaskSpec) -> None:
    """Add the derived features to every part of train and test."""
    with parts.scheduler(dask):
        for part in ("train", "test"):
            frame = parts.read_parts(f"{input_dir}/{part}.parquet")
            check_specs(specs, list(frame.columns))
            with parts.publishing(f"{output_dir}/{part}.parquet") as (folder,):
                parts.run(derive_part, frame, specs, folder)
