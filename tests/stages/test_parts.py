"""lockstep.stages.parts: part files in order, folders published whole or not at all."""

from __future__ import annotations

import pandas as pd
import pytest

from lockstep.contract.dataconfig import DaskSpec
from lockstep.errors import LockstepError
from lockstep.io import write_parquet
from lockstep.stages.parts import dask_spec, part_files, publishing, write_part


def test_a_failed_run_leaves_the_previous_parts_and_no_staging_folder(tmp_path):
    out = tmp_path / "out.parquet"
    with publishing(out) as (folder,):
        write_part(folder, 0, pd.DataFrame({"x": [1]}))
    with pytest.raises(RuntimeError), publishing(out) as (folder,):
        write_part(folder, 0, pd.DataFrame({"x": [2]}))
        raise RuntimeError("a task failed")
    assert pd.read_parquet(out)["x"].tolist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


def test_parts_replace_a_file_and_a_file_replaces_parts(tmp_path):
    out = tmp_path / "out.parquet"
    write_parquet(out, pd.DataFrame({"x": [1]}))
    with publishing(out) as (folder,):
        for number in (0, 1, 10):  # name order: part-00000, part-00001, part-00010
            write_part(folder, number, pd.DataFrame({"x": [number]}))
    assert [p.name for p in part_files(out)][-1] == "part-00010.parquet"
    assert pd.read_parquet(out)["x"].tolist() == [0, 1, 10]
    write_parquet(out, pd.DataFrame({"x": [5]}))  # the pandas engine again
    assert out.is_file() and pd.read_parquet(out)["x"].tolist() == [5]


def test_dask_spec_reads_the_engine():
    assert dask_spec({"data": {"engine": "pandas"}}) is None
    assert dask_spec({"data": {}}) is None
    spec = dask_spec({"data": {"engine": "dask", "dask": {"partition_rows": 10}}})
    assert spec == DaskSpec(partition_rows=10)
    with pytest.raises(LockstepError, match=r"data\.engine: 'Dask' is not one of"):
        dask_spec({"data": {"engine": "Dask"}})
    with pytest.raises(LockstepError, match=r"data\.dask: unknown key 'rows'"):
        dask_spec({"data": {"engine": "dask", "dask": {"rows": 10}}})


def test_an_empty_folder_is_not_a_table(tmp_path):
    with pytest.raises(LockstepError, match="without Parquet files"):
        part_files(tmp_path)
