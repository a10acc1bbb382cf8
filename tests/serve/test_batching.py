"""lockstep.serve.batching: concurrent requests scored together, each getting its own rows back."""

from __future__ import annotations

import asyncio
import json
import warnings

import numpy as np
import pytest

from lockstep.contract.records import check_records
from lockstep.contract.schema import build_schema
from lockstep.serve.batching import Batcher, join
from lockstep.serve.scoring import Scorer
from tests.helpers.models import saved
from tests.helpers.tiny import data_config

pytestmark = pytest.mark.filterwarnings("ignore:X does not have valid feature names")


def batches(sizes: list[int]) -> list:
    """Checked batches of the tiny rows with the given numbers of records, ids made unique."""
    data = data_config()
    schema = build_schema(data).remove_columns([data.target])
    _, X = saved("logistic_regression")
    rows = json.loads(X.to_json(orient="records"))
    out, start = [], 0
    for size in sizes:
        chunk = [dict(rows[(start + i) % 20], customer_id=f"r{start + i}") for i in range(size)]
        batch, errors = check_records(chunk, data, schema, None)
        assert not errors
        out.append(batch)
        start += size
    return out


async def together(batcher: Batcher, scorers: list, parts: list) -> list[np.ndarray]:
    return await asyncio.gather(*(batcher.proba(s, b) for s, b in zip(scorers, parts, strict=True)))


@pytest.mark.parametrize("family", ["logistic_regression", "random_forest"])
def test_records_scored_together_get_the_probabilities_they_get_alone(family):
    scorer = Scorer(saved(family)[0])
    batcher = Batcher(max_records=64, max_wait=5.0)
    rounds = [[1, 1, 3, 1, 2], [1] * 9 + [4, 3], [2, 1, 1, 5]]  # first batch, probe, after
    for sizes in rounds:
        parts = batches(sizes)
        alone = [scorer.positive_proba(b) for b in parts]
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no fallback to scoring alone
            got = asyncio.run(together(batcher, [scorer] * len(parts), parts))
        for a, g in zip(alone, got, strict=True):
            assert np.array_equal(a, g)  # exactly, bit for bit
    assert list(batcher.sizes) == [len(sizes) for sizes in rounds]  # one batch per round
    # trees score row by row: one call for all; a linear model's product keeps it sliced
    assert batcher.modes[scorer] in ("joined", "sliced, not joined")
    if family == "random_forest":
        assert batcher.modes[scorer] == "joined"


def test_a_batch_stops_at_max_records_and_two_models_are_scored_apart():
    prod, canary = Scorer(saved("logistic_regression")[0]), Scorer(saved("random_forest")[0])
    parts = batches([1] * 10)
    scorers = [prod, canary] * 5
    batcher = Batcher(max_records=4, max_wait=5.0)
    got = asyncio.run(together(batcher, scorers, parts))
    assert sum(batcher.sizes) == 10 and max(batcher.sizes) <= 4
    for scorer, part, g in zip(scorers, parts, got, strict=True):
        assert np.array_equal(scorer.positive_proba(part), g)


def test_a_lone_request_does_not_wait_for_company():
    scorer = Scorer(saved("logistic_regression")[0])
    batcher = Batcher(max_records=64, max_wait=600.0)  # a timer would never fire in this test

    async def alone() -> np.ndarray:
        return await asyncio.wait_for(batcher.proba(scorer, batches([1])[0]), timeout=10)

    assert len(asyncio.run(alone())) == 1 and list(batcher.sizes) == [1]


def test_wait_zero_scores_each_request_alone():
    scorer = Scorer(saved("logistic_regression")[0])
    batcher = Batcher(max_records=64, max_wait=0)
    parts = batches([1, 2, 1])
    got = asyncio.run(together(batcher, [scorer] * 3, parts))
    assert not batcher.sizes and [len(g) for g in got] == [1, 2, 1]


class ByBatchSize:
    """A scorer whose answer depends on how many records it gets (what batching must notice)."""

    def positive_proba(self, batch) -> np.ndarray:
        return np.full(len(batch), 1 / len(batch))


def test_a_scorer_that_depends_on_the_batch_is_warned_about_and_scored_alone():
    batcher, scorer = Batcher(max_records=64, max_wait=5.0), ByBatchSize()
    with pytest.warns(RuntimeWarning, match="scoring every request alone"):
        got = asyncio.run(together(batcher, [scorer] * 3, batches([1, 1, 2])))
    assert [g.tolist() for g in got] == [[1.0], [1.0], [0.5, 0.5]]
    again = asyncio.run(together(batcher, [scorer] * 2, batches([1, 1])))
    assert [g.tolist() for g in again] == [[1.0], [1.0]]


class Broken:
    def positive_proba(self, batch) -> np.ndarray:
        raise ValueError("cannot score")


def test_an_error_while_scoring_reaches_every_request_of_the_batch():
    async def run() -> list:
        batcher = Batcher(max_records=64, max_wait=5.0)
        calls = [batcher.proba(Broken(), b) for b in batches([1, 1])]
        return await asyncio.gather(*calls, return_exceptions=True)

    assert [str(e) for e in asyncio.run(run())] == ["cannot score", "cannot score"]


def test_join_keeps_the_records_in_order():
    parts = batches([2, 1, 3])
    joined = join(parts)
    assert len(joined) == 6
    assert joined.ids == [i for p in parts for i in p.ids]
