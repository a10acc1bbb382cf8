"""Thousands of churn-like rows (the tiny dataset's columns) and a project that runs the data
stages on them with the dask engine, for the partitioned-Parquet tests."""

from __future__ import annotations

import contextlib
import filecmp
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.helpers.cli import invoke
from tests.helpers.tiny import params, raw_frame, write_params

DATA_STAGES = ("ingest", "validate", "split", "featurize")
OUTPUTS = ("data/raw/tiny.parquet", "data/validated.parquet", "data/split", "data/features")


def many_rows(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` rows drawn from the tiny dataset, with unique ids and jittered charges."""
    rng = np.random.default_rng(seed)
    base = raw_frame()
    frame = base.iloc[rng.integers(0, len(base), size=rows)].reset_index(drop=True)
    frame["customer_id"] = [f"c{i:06d}" for i in range(rows)]
    frame["monthly_charges"] = np.round(frame["monthly_charges"] + rng.uniform(0, 5, rows), 2)
    return frame


def write_source(folder: Path, frame: pd.DataFrame, pieces: int) -> Path:
    """``frame`` as ``pieces`` Parquet files of uneven sizes, in name order."""
    folder.mkdir(parents=True, exist_ok=True)
    cuts = np.linspace(0, len(frame), pieces + 1).astype(int)
    cuts[1:-1] += np.arange(1, pieces) * 7  # uneven on purpose
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        frame.iloc[a:b].to_parquet(folder / f"source-{i:03d}.parquet", index=False)
    return folder


def dask_params(source: Path, partition_rows: int, **dask: Any) -> dict[str, Any]:
    mapping = params()
    mapping["data"]["source"] = {"kind": "file", "path": str(source)}
    mapping["data"]["engine"] = "dask"
    mapping["data"]["dask"] = {"partition_rows": partition_rows, **dask}
    return mapping


def run_stages(project: Path, mapping: dict[str, Any], stages=DATA_STAGES) -> None:
    """Run the data stages in ``project`` (in-process, as `lockstep <stage>`)."""
    project.mkdir(parents=True, exist_ok=True)
    write_params(project / "params.yaml", mapping)
    with contextlib.chdir(project):
        for stage in stages:
            result = invoke(stage, catch_exceptions=False)
            assert result.exit_code == 0, f"{stage}: {result.output}"


def same_tree(a: Path, b: Path) -> list[str]:
    """The output files that differ (or exist on one side only) between two projects."""
    differ = []
    for out in OUTPUTS:
        left = sorted(p.relative_to(a) for p in (a / out).rglob("*") if p.is_file())
        right = sorted(p.relative_to(b) for p in (b / out).rglob("*") if p.is_file())
        if left != right:
            differ.append(f"{out}: {left} vs {right}")
            continue
        differ += [str(p) for p in left if not filecmp.cmp(a / p, b / p, shallow=False)]
    return differ
