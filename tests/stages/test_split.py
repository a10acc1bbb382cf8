"""lockstep.stages.split: stratified, seeded train/test split."""

from __future__ import annotations

import pandas as pd
import pytest

from lockstep.errors import LockstepError
from lockstep.stages.split import SplitParams, split
from tests.helpers.tiny import raw_frame


def test_split_keeps_class_ratios_and_loses_no_rows():
    frame = raw_frame()
    train, test = split(frame, "churn", SplitParams(test_size=0.25, seed=3))
    assert len(train) + len(test) == len(frame)
    assert len(test) == 5
    overall = (frame["churn"] == "Yes").mean()
    for part in (train, test):
        share = (part["churn"] == "Yes").mean()
        assert abs(share - overall) <= 1 / len(part)
    ids = pd.concat([train["customer_id"], test["customer_id"]])
    assert sorted(ids) == sorted(frame["customer_id"])
    assert list(train.index) == list(range(len(train)))


def test_same_seed_gives_the_same_split_and_another_seed_differs():
    frame = raw_frame()
    first = split(frame, "churn", SplitParams(test_size=0.25, seed=11))
    second = split(frame, "churn", SplitParams(test_size=0.25, seed=11))
    for a, b in zip(first, second, strict=True):
        pd.testing.assert_frame_equal(a, b)
    other = [
        split(frame, "churn", SplitParams(test_size=0.25, seed=s))[1]["customer_id"].tolist()
        for s in (12, 13, 14)
    ]
    assert any(ids != first[1]["customer_id"].tolist() for ids in other)


def test_single_class_target_is_an_error():
    frame = raw_frame()
    frame["churn"] = "No"
    with pytest.raises(LockstepError, match=r"cannot stratify on 'churn'.*'No': 20"):
        split(frame, "churn", SplitParams(test_size=0.25, seed=0))


def test_class_with_one_row_is_an_error():
    frame = raw_frame()
    frame["churn"] = ["Yes"] + ["No"] * 19
    with pytest.raises(LockstepError, match=r"each class needs 2\+ rows"):
        split(frame, "churn", SplitParams(test_size=0.25, seed=0))


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1])
def test_test_size_outside_0_1_is_an_error(test_size):
    with pytest.raises(LockstepError, match=r"split\.test_size must be between 0 and 1"):
        split(raw_frame(), "churn", SplitParams(test_size=test_size, seed=0))
