"""lockstep.stages.dask_split: a keyed-hash split, stratified per class, partitioning-free."""

from __future__ import annotations

import pandas as pd
import pytest

from lockstep.contract.dataconfig import DaskSpec
from lockstep.errors import LockstepError
from lockstep.stages.dask_split import split_parts
from lockstep.stages.split import SplitParams, check_split
from tests.helpers.parts import many_rows, write_source

ROWS = 4000


def run_split(tmp_path, frame, pieces, seed=3, test_size=0.25, id_column="customer_id"):
    source = write_source(tmp_path / f"in-{pieces}-{seed}", frame, pieces)
    out = tmp_path / f"out-{pieces}-{seed}"
    params = SplitParams(test_size=test_size, seed=seed)
    rows = split_parts(
        str(source), str(out), "churn", id_column, params, DaskSpec(),
        lambda counts: check_split(counts, "churn", params),
    )  # fmt: skip
    train, test = (pd.read_parquet(out / f"{p}.parquet") for p in ("train", "test"))
    assert rows == (len(train), len(test))
    return train, test


def test_split_is_stratified_per_class_and_loses_no_row(tmp_path):
    frame = many_rows(ROWS)
    train, test = run_split(tmp_path, frame, 4, test_size=0.3)
    assert sorted([*train["customer_id"], *test["customer_id"]]) == sorted(frame["customer_id"])
    counts = frame["churn"].value_counts()
    for label, n in counts.items():
        assert (test["churn"] == label).sum() == round(0.3 * n)  # exact up to rounding
    overall = (frame["churn"] == "Yes").mean()
    assert abs((test["churn"] == "Yes").mean() - overall) <= 1 / len(test)


def test_split_does_not_depend_on_partitioning_and_changes_with_the_seed(tmp_path):
    frame = many_rows(ROWS)
    _, two = run_split(tmp_path, frame, 2)
    _, five = run_split(tmp_path, frame, 5)
    assert set(two["customer_id"]) == set(five["customer_id"])
    _, other = run_split(tmp_path, frame, 2, seed=4)
    assert set(other["customer_id"]) != set(two["customer_id"])


def test_without_an_id_column_row_numbers_are_the_key(tmp_path):
    frame = many_rows(ROWS)
    _, two = run_split(tmp_path, frame, 2, id_column=None)
    _, five = run_split(tmp_path, frame, 5, id_column=None)
    assert set(two["customer_id"]) == set(five["customer_id"])


def test_a_single_class_is_refused(tmp_path):
    frame = many_rows(100).assign(churn="No")
    with pytest.raises(LockstepError, match=r"cannot stratify on 'churn'"):
        run_split(tmp_path, frame, 2)
