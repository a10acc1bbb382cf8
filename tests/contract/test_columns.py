"""lockstep.contract.columns: data.rename and data.extra_columns on pandas and Dask frames."""

from __future__ import annotations

import pandas as pd
import pytest

from lockstep.contract.columns import rename_columns, split_extra_columns
from lockstep.errors import LockstepError
from tests.helpers.tiny import data_config, raw_frame


def test_rename_renames_and_keeps_the_other_columns():
    frame = pd.DataFrame({"ID": ["a"], "x": [1]})
    out = rename_columns(frame, {"ID": "customer_id"})
    assert list(out.columns) == ["customer_id", "x"]
    assert list(frame.columns) == ["ID", "x"]  # the input is left as it was


def test_rename_of_a_missing_column_names_it_and_what_the_source_has():
    frame = pd.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(LockstepError, match=r"no column 'nope' \(it has: a, b\)"):
        rename_columns(frame, {"nope": "x"})


def test_rename_message_cuts_a_huge_column_list():
    frame = pd.DataFrame({f"c{i:04d}" * 10: [1] for i in range(100)})
    with pytest.raises(LockstepError) as info:
        rename_columns(frame, {"nope": "x"})
    assert len(str(info.value)) < 600


def test_dask_frames_get_the_same_renames_and_drops():
    dd = pytest.importorskip("dask.dataframe")
    cfg = data_config(extra_columns="drop")
    frame = raw_frame(6).rename(columns={"customer_id": "ID"}).assign(surprise=1)
    lazy = dd.from_pandas(frame, npartitions=2)
    eager, eager_dropped = split_extra_columns(rename_columns(frame, {"ID": "customer_id"}), cfg)
    kept, dropped = split_extra_columns(rename_columns(lazy, {"ID": "customer_id"}), cfg)
    assert dropped == eager_dropped == ["surprise"]
    assert list(kept.columns) == list(eager.columns)
    computed = kept.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(computed, eager, check_dtype=False)  # dask reads text as arrow
    with pytest.raises(LockstepError, match="no column 'nope'"):
        rename_columns(lazy, {"nope": "x"})
