"""Adaptive micro-batching: the records of concurrent /predict requests scored in one call.

Scoring one record costs almost what scoring twenty does: most of it is the fixed cost of a call
(input checks and small numpy calls in every fitted step). Under load many small requests wait at
once, so ``Batcher.proba`` collects the checked records of the requests that reach scoring
together, scores them in one call per model and hands each request its own rows back.

When to score is adaptive. A request that finds the batcher empty opens a batch and is scored at
a later turn of the event loop: as soon as ``QUIET_TURNS`` turns pass in which no other
request joined (light load: no timer, no wait), or when the batch holds ``max_records``
records, or ``max_wait`` seconds after it opened, whichever comes first. ``max_wait`` 0 or
``max_records`` 1 scores every request alone, as before.

A record's probability must not depend on the other records of its batch, to the last bit. Every
fitted step works row by row, but a matrix product (a linear model's) sums in an order that
depends on the number of rows (BLAS kernels). So batches are scored "sliced": the features of all
records in one call (most of the cost; checked once against scoring alone, exactly), and the
estimator on each request's own rows, which it sees as it would alone. Once a batch holds
``PROBE_RECORDS`` records, one estimator call for all of them is tried in two orders; when that
agrees exactly (tree models), later batches are scored in one call ("joined"). A model whose
features cannot be built in one go (not a Pipeline, or one that disagrees) is scored alone, with
a warning.
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..contract.records import Batch

# Turns of the event loop without a new request before a batch is scored. One turn is not enough:
# a request read in one turn reaches scoring in the next.
QUIET_TURNS = 2
# Records a batch needs before one estimator call for all of them is tried ("joined"): a matrix
# product agrees with the row-by-row one on a few rows by chance, on this many hardly ever.
PROBE_RECORDS = 16


@dataclass
class _Open:
    """A batch being filled: (scorer, records, future) per request."""

    opened: float
    items: list[tuple[Any, Batch, asyncio.Future]] = field(default_factory=list)
    size: int = 0
    quiet: int = 0
    seen: int = 0


class Batcher:
    """Collects concurrent scoring calls on one event loop; ``proba`` is awaited per request."""

    def __init__(self, max_records: int = 64, max_wait: float = 0.002) -> None:
        self.max_records, self.max_wait = max_records, max_wait
        self._open: _Open | None = None
        # per scorer: how its batches are scored (see the module docstring)
        self.modes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.sizes: deque[int] = deque(maxlen=10_000)  # requests per scored batch, latest last
        self.observe: Callable[[int], None] | None = None  # e.g. a Prometheus histogram's

    @property
    def enabled(self) -> bool:
        return self.max_wait > 0 and self.max_records > 1

    async def proba(self, scorer: Any, batch: Batch) -> np.ndarray:
        """The positive-class probability of each record of ``batch``, scored with others."""
        if not self.enabled or len(batch) >= self.max_records:
            return scorer.positive_proba(batch)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self._open is None:
            self._open = _Open(loop.time())
            loop.call_soon(self._tick, self._open)
        self._open.items.append((scorer, batch, future))
        self._open.size += len(batch)
        if self._open.size >= self.max_records:
            self._flush()
        return await future

    def _tick(self, batch: _Open) -> None:
        if self._open is not batch:  # already scored (it filled up)
            return
        joined = len(batch.items) > batch.seen
        batch.seen, batch.quiet = len(batch.items), 0 if joined else batch.quiet + 1
        loop = asyncio.get_running_loop()
        if batch.quiet >= QUIET_TURNS or loop.time() - batch.opened >= self.max_wait:
            self._flush()
        else:
            loop.call_soon(self._tick, batch)

    def _flush(self) -> None:
        batch, self._open = self._open, None
        if batch is None:
            return
        self.sizes.append(len(batch.items))
        if self.observe is not None:
            self.observe(len(batch.items))
        groups: dict[int, list[tuple[Any, Batch, asyncio.Future]]] = {}
        for item in batch.items:
            groups.setdefault(id(item[0]), []).append(item)
        for items in groups.values():
            try:
                results = self._score(items[0][0], [b for _, b, _ in items])
            except Exception as exc:  # each request answers with the error as it would alone
                for _, _, future in items:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), proba in zip(items, results, strict=True):
                if not future.done():  # a request cancelled meanwhile (client gone)
                    future.set_result(proba)

    def _score(self, scorer: Any, batches: list[Batch]) -> list[np.ndarray]:
        mode = self.modes.get(scorer)
        if len(batches) == 1 or mode == "alone":
            return [scorer.positive_proba(b) for b in batches]
        if mode == "joined":
            return _split(scorer.positive_proba(join(batches)), batches)
        if mode is None:
            return self._first(scorer, batches)
        sliced = _sliced(scorer, batches)
        if mode == "sliced" and sum(map(len, batches)) >= PROBE_RECORDS:
            joined = [_split(scorer.positive_proba(join(batches)), batches)]
            joined.append(_split(scorer.positive_proba(join(batches[::-1])), batches[::-1])[::-1])
            agree = all(_same(sliced, j) for j in joined)
            self.modes[scorer] = "joined" if agree else "sliced, not joined"
        return sliced

    def _first(self, scorer: Any, batches: list[Batch]) -> list[np.ndarray]:
        """The first batch of a model: scored alone, and sliced, which must agree exactly."""
        alone = [scorer.positive_proba(b) for b in batches]
        try:
            same = _same(alone, _sliced(scorer, batches))
        except Exception:  # a model that cannot be taken apart (not a Pipeline)
            same = False
        self.modes[scorer] = "sliced" if same else "alone"
        if not same:
            warnings.warn(
                "batching: records scored together differ from records scored alone; "
                "scoring every request alone",
                RuntimeWarning,
                stacklevel=2,
            )
        return alone


def _same(one: list[np.ndarray], other: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b, equal_nan=True) for a, b in zip(one, other, strict=True))


def _split(proba: np.ndarray, batches: list[Batch]) -> list[np.ndarray]:
    return np.split(proba, np.cumsum([len(b) for b in batches])[:-1])


def _sliced(scorer: Any, batches: list[Batch]) -> list[np.ndarray]:
    """The features of all records built in one go, the estimator called on each request's rows
    (a linear model's matrix product sums in an order that depends on the number of rows)."""
    matrix = scorer.features(join(batches))
    bounds = np.cumsum([0, *(len(b) for b in batches)])
    return [scorer.estimate(matrix[lo:hi]) for lo, hi in itertools.pairwise(bounds)]


def join(batches: list[Batch]) -> Batch:
    """One Batch holding the records of ``batches`` in order."""
    names = list(batches[0].values)
    values = {n: [v for b in batches for v in b.values[n]] for n in names}
    return Batch(values, batches[0].data)
