"""lockstep.stages.dask_ingest (and the dask engine end to end): fixed partitioning, same bytes."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from lockstep.contract.dataconfig import DaskSpec
from lockstep.errors import LockstepError
from lockstep.stages.dask_ingest import chunks
from lockstep.stages.ingest import content_hash
from lockstep.stages.parts import part_files
from lockstep.stages.validate import validate
from tests.helpers.parts import dask_params, many_rows, run_stages, same_tree, write_source
from tests.helpers.tiny import data_config

ROWS = 3000
PARTITION = 700


@pytest.mark.slow  # the four data stages, twice: about 5 s
def test_outputs_are_the_same_bytes_whatever_the_source_partitioning_and_the_threads(tmp_path):
    frame = many_rows(ROWS)
    three = write_source(tmp_path / "three", frame, 3)
    seven = write_source(tmp_path / "seven", frame, 7)
    run_stages(tmp_path / "a", dask_params(three, PARTITION))
    run_stages(tmp_path / "b", dask_params(seven, PARTITION, threads=1))
    assert same_tree(tmp_path / "a", tmp_path / "b") == []

    raw_dir = tmp_path / "a" / "data" / "raw" / "tiny.parquet"
    assert len(part_files(raw_dir)) == math.ceil(ROWS / PARTITION)
    raw = pd.read_parquet(raw_dir)
    meta = json.loads((tmp_path / "a" / "reports" / "ingest.json").read_text())
    assert meta["rows"] == ROWS and meta["content_hash"] == content_hash(raw)
    # the pandas engine's validate accepts the same rows and gives the same frame
    expected, report = validate(raw, data_config())
    assert report["passed"]
    validated = pd.read_parquet(tmp_path / "a" / "data" / "validated.parquet")
    pd.testing.assert_frame_equal(validated, expected.reset_index(drop=True))
    features = pd.read_parquet(tmp_path / "a" / "data" / "features" / "train.parquet")
    assert {"tenure_band", "charges_per_month", "addon_count"} <= set(features.columns)


def test_a_rerun_gives_the_same_bytes(tmp_path):
    source = write_source(tmp_path / "source", many_rows(1200, seed=1), 3)
    run_stages(tmp_path / "a", dask_params(source, 500))
    run_stages(tmp_path / "b", dask_params(source, 500))
    assert same_tree(tmp_path / "a", tmp_path / "b") == []


@pytest.mark.slow
def test_a_local_cluster_gives_the_same_bytes_as_threads(tmp_path):
    source = write_source(tmp_path / "source", many_rows(1200, seed=2), 3)
    run_stages(tmp_path / "threads", dask_params(source, 500), stages=("ingest",))
    run_stages(tmp_path / "cluster", dask_params(source, 500, workers=2), stages=("ingest",))
    assert same_tree(tmp_path / "threads", tmp_path / "cluster") == []
    assert len(part_files(tmp_path / "cluster" / "data" / "raw" / "tiny.parquet")) == 3


def test_chunks_cut_row_groups_into_parts_of_fixed_size(tmp_path):
    source = write_source(tmp_path / "source", many_rows(1000), 3)
    pieces = chunks(part_files(source), 300)
    sizes = [sum(stop - start for _, _, start, stop in chunk) for chunk in pieces]
    assert sizes == [300, 300, 300, 100]


def test_feedback_is_refused_with_the_dask_engine(tmp_path, monkeypatch):
    from lockstep.stages.dask_ingest import ingest_parts

    monkeypatch.chdir(tmp_path)
    many_rows(10).to_parquet("feedback.parquet")
    cfg = data_config(feedback="feedback.parquet", engine="dask", dask={"partition_rows": 5})
    assert cfg.dask == DaskSpec(partition_rows=5)
    with pytest.raises(LockstepError, match=r"data\.feedback .*not merged by data\.engine dask"):
        ingest_parts(cfg, "out", lambda spec: many_rows(10))


def test_an_unknown_engine_is_refused():
    with pytest.raises(LockstepError, match=r"data\.engine: 'spark' is not one of pandas, dask"):
        data_config(engine="spark")
